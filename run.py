#!/usr/bin/env python3
"""One command to set up and run RZL Board – Klientenportal sync, or its tests.

    python3 run.py          set up (virtualenv, packages, keys, database, demo data) and
                            start web, background worker and portal emulator
    python3 run.py test     set up and run the test suite (extra arguments go to pytest)
    python3 run.py bench    run the benchmark (extra arguments go to manage.py portal_benchmark)

Needs nothing but Python 3.11. Keys and demo passwords are generated on the first start
and kept in .env.local (untracked).
"""

import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
ENV_FILE = ROOT / ".env.local"
WEB_HOST, WEB_PORT = "127.0.0.1", 8000
PORTAL_HOST, PORTAL_PORT = "127.0.0.1", 8010


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements` unless they are installed already."""
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 oder neuer wird benötigt.")
    if not PYTHON.exists():
        say("Lege die virtuelle Umgebung .venv an …")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"Installiere Pakete aus {requirements} …")
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
            str(ROOT / requirements),
        ],
        check=True,
    )
    stamp.write_text(digest)


def ensure_env_file() -> dict[str, str]:
    """Generate keys and passwords once; later starts reuse them."""
    if not ENV_FILE.exists():
        say("Erzeuge Schlüssel und Passwörter in .env.local …")
        values = {
            # Production-like pages (German error pages, no debug output); plain HTTP on
            # loopback, so the cookies cannot be HTTPS-only.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # A Fernet key is 32 random bytes, URL-safe base64.
            "PORTALSYNC_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "PORTAL_URL": f"http://{PORTAL_HOST}:{PORTAL_PORT}",
            "PORTAL_EMULATOR_PASSWORD": secrets.token_urlsafe(12),
            "DEMO_ADMIN_PASSWORD": secrets.token_urlsafe(9),
            "DEMO_STAFF_PASSWORD": secrets.token_urlsafe(9),
        }
        ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        ENV_FILE.chmod(0o600)
    values = {}
    for line in ENV_FILE.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def service_password_stored(env: dict[str, str]) -> bool:
    """Whether the Board has a service password (a later start needs no first step)."""
    result = subprocess.run(
        [str(PYTHON), str(ROOT / "manage.py"), "portal_status", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(result.stdout)["status"] != "not_configured"
    except (ValueError, KeyError):
        return False


def wait_for_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own loopback URL
                return True
        except OSError:
            time.sleep(0.3)
    return False


def run_product() -> int:
    ensure_venv("requirements.txt")
    local = ensure_env_file()
    env = {**os.environ, **local, "PYTHONUNBUFFERED": "1"}
    manage("migrate", "--no-input", "-v", "0", env=env)
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    manage("load_demo", env=env)
    manage("portal_sync", "--in-background", env=env)
    (ROOT / "var").mkdir(exist_ok=True)
    commands = {
        "Portal-Emulator": [
            "portal_emulator",
            "--host",
            PORTAL_HOST,
            "--port",
            str(PORTAL_PORT),
            # The password comes from PORTAL_EMULATOR_PASSWORD in the environment: an
            # argument would show in the process list.
            "--data",
            str(ROOT / "var" / "emulator.sqlite3"),
        ],
        "Hintergrunddienst": ["qcluster"],
        "Web": ["runserver", f"{WEB_HOST}:{WEB_PORT}", "--noreload"],
    }
    # Each service gets its own process group, so stopping it also stops its children
    # (the qcluster's worker processes).
    processes = {
        name: subprocess.Popen(
            [str(PYTHON), str(ROOT / "manage.py"), *args],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        for name, args in commands.items()
    }
    next_step = (
        "  Das Service-Account Passwort ist im Board hinterlegt; der Funktionsstatus steht\n"
        "  unter STAMM / Einstellungen / Klientenportal Synchronisation.\n"
        if service_password_stored(env)
        else "  Nächster Schritt: als kanzlei-admin anmelden, STAMM / Einstellungen /\n"
        "  Klientenportal Synchronisation öffnen und das Service-Account Passwort eintragen.\n"
    )
    web_url = f"http://{WEB_HOST}:{WEB_PORT}/"
    portal_url = f"http://{PORTAL_HOST}:{PORTAL_PORT}/"
    ready = wait_for_http(web_url + "health/", 30) and wait_for_http(portal_url, 30)
    if ready:
        print(
            "\n"
            "RZL Board – Klientenportal sync läuft.\n"
            f"  Board:                         {web_url}\n"
            f"  Klientenportal (Emulator):     {portal_url}\n"
            f"  Portal-Einstellungen:          {portal_url}einstellungen\n"
            "\n"
            f"  KIS/Board-Administrator:       kanzlei-admin / {local['DEMO_ADMIN_PASSWORD']}\n"
            f"  Mitarbeiter:                   mitarbeiter / {local['DEMO_STAFF_PASSWORD']}\n"
            f"  Service-Account Passwort:      {local['PORTAL_EMULATOR_PASSWORD']}\n"
            "\n"
            f"{next_step}"
            "  Beenden mit Strg+C.\n",
            flush=True,
        )
    else:
        say("Web oder Portal-Emulator antworten nicht; siehe Meldungen oben.")
    return supervise(processes)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def supervise(processes: dict[str, subprocess.Popen]) -> int:
    """Wait until Ctrl+C (or SIGTERM) or until one process ends; then stop all of them."""
    # A shell starts background jobs with SIGINT ignored; take both signals explicitly.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    say(f"{name} wurde beendet (Exit-Code {process.returncode}); stoppe alles.")
                    code = process.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("Beende alle Dienste …")
        for process in processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # A worker busy with a long sweep does not stop by itself in time; nothing is
            # lost by killing it (its claims expire and are taken over).
            _signal_group(process, signal.SIGKILL)
        say("Alle Dienste wurden beendet.")
    return code


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium; install it where we may (root + apt)."""
    if Path("/usr/bin/chromium").exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installiere chromium (Debian-Paket) für die Browser-Tests …")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt_env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=True,
            env=apt_env,
            stdout=subprocess.DEVNULL,
        )
    else:
        say(
            "Hinweis: /usr/bin/chromium fehlt; die Browser-Tests schlagen fehl. "
            "Installieren mit: sudo apt-get install chromium"
        )


def run_tests(pytest_args: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    ensure_chromium()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], env=env, cwd=ROOT).returncode


def run_benchmark(args: list[str]) -> int:
    ensure_venv("requirements.txt")
    env = {**os.environ, **ensure_env_file(), "PYTHONUNBUFFERED": "1"}
    command = [str(PYTHON), str(ROOT / "manage.py"), "portal_benchmark", *args]
    return subprocess.run(command, env=env, cwd=ROOT).returncode


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["test"]:
        return run_tests(args[1:])
    if args[:1] == ["bench"]:
        return run_benchmark(args[1:])
    if args:
        print(__doc__)
        return 2
    return run_product()


if __name__ == "__main__":
    sys.exit(main())
