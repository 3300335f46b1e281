"""Machine description, the printed table and the results file."""

import os
import platform
import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import django

TARGETS = {
    "full_sync": 2000.0,  # clients/s
    "ratio": 20.0,
    "p50": 0.5,
    "p95": 1.5,
    "extra_queries": 2,
    "render_ms": 150.0,
    "import": 1000.0,  # rows/s
    "rss_mb": 250.0,
}


def _first(path: str, pattern: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "?"
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else "?"


def machine(connection: Any) -> dict[str, str]:
    """What the figures were measured on."""
    mem_kb = _first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    info = {
        "nproc": str(os.cpu_count()),
        "cpu": _first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "ram": f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "?",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "database": connection.vendor,
        "date": date.today().isoformat(),
        # Other work on the machine shows in the figures; say how busy it was.
        "load": " ".join(f"{value:.1f}" for value in os.getloadavg()),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    return info


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, met) for every figure of one run."""
    n = f["clients"]
    full, tasks, loop = f["full_sync"], f["naive_tasks"], f["naive_loop"]
    ratio = full["rate"] / tasks["rate"]
    out = [
        (
            f"1. Full sync of {_n(n)} clients, nothing delivered → all acknowledged",
            f"{_n(full['rate'])} clients/s ({full['seconds']:.2f} s)",
            f"≥ {_n(TARGETS['full_sync'])}/s",
            _yes(full["rate"] >= TARGETS["full_sync"]),
        ),
        (
            f"   naive baseline: one django-q2 task and one new connection per client "
            f"({_n(tasks['clients'])} clients)",
            f"{_n(tasks['rate'])} clients/s",
            "",
            "",
        ),
        (
            "   full sync ÷ naive baseline",
            f"{ratio:.0f}×",
            "≥ 20×",
            _yes(ratio >= TARGETS["ratio"]),
        ),
        (
            f"   for comparison: the naive per-client code in a plain loop, no task queue "
            f"({_n(loop['clients'])} clients)",
            f"{_n(loop['rate'])} clients/s (full sync ÷ loop: {full['rate'] / loop['rate']:.0f}×)",
            "",
            "",
        ),
    ]
    for key, label in (("latency_orm", "ORM broker"), ("latency_redis", "Redis broker")):
        if key in f:
            lat = f[key]
            ok = lat["p50"] <= TARGETS["p50"] and lat["p95"] <= TARGETS["p95"]
            out.append(
                (
                    f"2. Edit-to-portal latency, {label}, {lat['edits']} single edits",
                    f"p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s (max {lat['max']:.2f} s)",
                    "p50 ≤ 0.5 s, p95 ≤ 1.5 s" if key == "latency_orm" else "",
                    _yes(ok) if key == "latency_orm" else "",
                )
            )
    save = f["save"]
    extra = save["on"]["queries"] - save["off"]["queries"]
    out += [
        (
            "3. Save through the service, portal flag on vs off: SQL queries",
            f"{save['on']['queries']} vs {save['off']['queries']} (+{extra})",
            "≤ +2",
            _yes(extra <= TARGETS["extra_queries"]),
        ),
        (
            "   time of a save, flag on vs off (median)",
            f"{save['on']['median_ms']:.1f} ms vs {save['off']['median_ms']:.1f} ms "
            f"(×{save['on']['median_ms'] / save['off']['median_ms']:.2f})",
            "",
            "",
        ),
        (
            "   requests to the portal during the saves",
            str(save["portal_requests"]),
            "0",
            _yes(save["portal_requests"] == 0),
        ),
    ]
    small, large = f["pages_small"], f["pages_large"]
    for key, label in (
        ("client_list", "client list"),
        ("settings", "settings page with the enabled-clients table"),
        ("sync_log", "sync log"),
    ):
        a, b = small[key], large[key]
        ok = a["queries"] == b["queries"] and b["median_ms"] <= TARGETS["render_ms"]
        out.append(
            (
                f"4. {label}: queries and median render at 100 / {_n(n)} clients",
                f"{a['queries']} / {b['queries']} queries, "
                f"{a['median_ms']:.0f} / {b['median_ms']:.0f} ms",
                "same count, ≤ 150 ms",
                _yes(ok),
            )
        )
    imp = f["import"]
    out += [
        (
            f"5. Import of a {_n(imp['rows'])}-row CSV including validation",
            f"{_n(imp['rate'])} rows/s ({imp['seconds']:.1f} s)",
            "≥ 1,000/s",
            _yes(imp["rate"] >= TARGETS["import"]),
        ),
        (
            "6. Worker peak RSS during the full sync",
            f"{full['peak_rss_mb']:.0f} MB",
            "≤ 250 MB",
            _yes(full["peak_rss_mb"] <= TARGETS["rss_mb"]),
        ),
    ]
    return out


def machine_line(m: dict[str, str]) -> str:
    database = f"PostgreSQL {m['postgresql']}" if "postgresql" in m else f"SQLite {m['sqlite']}"
    return (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']}, "
        f"Django {m['django']}, {database}; load average {m['load']} at the start; "
        f"measured {m['date']}"
    )


def table(figures: dict[str, Any]) -> str:
    """The results of one run as a Markdown table (also readable as plain text)."""
    lines = [
        "| figure | measured | target | met |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(figures)),
        "",
        f"Machine: {machine_line(figures['machine'])}.",
        f"Benchmark run time: {figures['total_seconds']:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def write_results(path: Path, figures: dict[str, Any]) -> None:
    """Put this run's table into `path`, replacing the section of the same database."""
    vendor = figures["machine"]["database"]
    title = "PostgreSQL" if vendor == "postgresql" else "SQLite"
    begin, end = f"<!-- results:{vendor} -->", f"<!-- /results:{vendor} -->"
    section = f"{begin}\n## {title}\n\n{table(figures)}{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
