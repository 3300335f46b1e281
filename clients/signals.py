from django.dispatch import Signal

# Sent after a write that bypasses Model.save() (QuerySet.update, bulk_create,
# bulk_update) with `client_ids` and, for update(), `changes` (field -> value), inside the
# writing transaction.
clients_bulk_changed = Signal()
