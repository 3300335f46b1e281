"""The office-scale benchmark behind `manage.py portal_benchmark` (see README, "Benchmark").

Modules: scratch (a throw-away database and the environment of child processes), setup
(data and the emulator), sync (full sync and the naive baseline), latency (edit-to-portal
through a real qcluster), web (save cost, pages, import), worker (the process that drains),
report (machine, table, results file).
"""
