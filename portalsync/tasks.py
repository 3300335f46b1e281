"""django-q2 task entry points. Thin on purpose: no arguments, one engine call each."""

from portalsync import engine


def kick() -> str:
    """Deliver what is due now (enqueued after a client change commits)."""
    return repr(engine.kick())


def sweep() -> str:
    """Scheduled every minute: poll for due work and keep the heartbeat fresh."""
    return repr(engine.sweep())
