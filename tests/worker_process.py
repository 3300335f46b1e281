"""A sync worker in its own process, for tests that kill workers or run several at once.

Usage: python -m tests.worker_process SECONDS  (settings and database from the environment)
"""

import sys

import django

if __name__ == "__main__":
    django.setup()
    from portalsync import engine

    engine.sweep(seconds=float(sys.argv[1]))
