from django import template
from django.http import HttpRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """The current URL's query string with `page` set to `number` (filters are kept)."""
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def sort_url(context: template.Context, name: str) -> str:
    """The current URL sorted by `name`, descending if it is already sorted ascending by it.

    Filters are kept; the page starts again at 1.
    """
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    current = context.get("sort") or "number"
    query["sort"] = "-" + name if current == name else name
    return "?" + query.urlencode()
