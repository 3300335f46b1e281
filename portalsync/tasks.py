"""django-q2 task entry points. Thin on purpose: no arguments, one engine call each."""

from portalsync import engine
from portalsync import reconcile as reconcile_module


def kick() -> str:
    """Deliver what is due now (enqueued after a client change commits)."""
    return repr(engine.kick())


def sweep() -> str:
    """Scheduled every minute: poll for due work and keep the heartbeat fresh."""
    return repr(engine.sweep())


def reconcile() -> str:
    """Scheduled: repair local and remote drift."""
    return repr((reconcile_module.reconcile_local(), reconcile_module.reconcile_remote()))


def prune_log() -> str:
    """Scheduled daily: drop sync log rows past the retention."""
    return repr(engine.prune_log())
