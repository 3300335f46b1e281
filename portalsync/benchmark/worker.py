"""A sync worker process for the full-sync figure: drain until nothing is due.

Usage: python -m portalsync.benchmark.worker  (settings and database from the environment).
Prints one JSON line: seconds from the first claim to the last ack, clients delivered and
the process's peak resident memory.
"""

import cProfile
import json
import os
import time

import django


def peak_rss_mb() -> float:
    """VmHWM of this process (Linux), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    django.setup()
    from portalsync import engine

    profile_path = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_path else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = engine.drain()
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_path)
    result = {
        "seconds": seconds,
        "delivered": report.delivered,
        "errors": report.errors[:3],
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
