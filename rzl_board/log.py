"""Logging filters."""

import logging


def without_traceback_for_refusals(record: logging.LogRecord) -> bool:
    """A refused page (403) is an expected answer, not a fault: keep the line
    ("Forbidden (Permission denied): /path"), drop the traceback Django attaches."""
    if getattr(record, "status_code", None) == 403:
        record.exc_info = None
        record.exc_text = None
    return True
