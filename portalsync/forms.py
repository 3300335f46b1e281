from django import forms
from django.utils.translation import gettext_lazy as _


class ServicePasswordForm(forms.Form):
    # Write-only: the stored password is never rendered back into the page.
    password = forms.CharField(
        label=_("Service-Account Passwort"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Das Passwort, das am Klientenportal unter Stammdaten / Portal / Sonstige "
            "Einstellungen für den Service-Account festgelegt wurde."
        ),
    )
