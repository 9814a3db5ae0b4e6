"""Start, stop and inspect the local stack: the warehouse and the WHOOP sandbox as background processes.

Each service runs in its own session (so one signal to its process group stops it and anything it
spawned), logs to `$WHOOP_HOME/logs/<service>.log` and is recorded in `$WHOOP_HOME/run/<service>.pid`
plus `<service>.json` (pid, host, port, start time). A pid alone is not trusted: a process counts as
ours only if its command line is the service's module on the recorded port, so a recycled pid is
treated as stale state and cleaned up instead of being signalled.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

from infra.local.errors import WhoopError
from infra.local.settings import REPO_ROOT, Settings

HEALTH_TIMEOUT = 1.0  # per request: a local server that takes longer than this is not healthy
START_TIMEOUT = 30.0  # the warehouse imports Snowpark/DuckDB; cold starts take a few seconds
STOP_TIMEOUT = 10.0  # after SIGTERM, before SIGKILL

# Popen objects of services this Python process started, so `down` in the same process reaps them.
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Service:
    """One server of the stack: how to launch it and how to ask whether it is up."""

    name: str
    module: str
    health_path: str
    port_env: str

    def port(self, settings: Settings) -> int:
        return settings.warehouse_port if self.name == "warehouse" else settings.sandbox_port

    def command(self, settings: Settings) -> list[str]:
        base = [sys.executable, "-m", self.module, "--host", settings.host, "--port", str(self.port(settings))]
        if self.name == "warehouse":
            return [*base, "--data-dir", str(settings.warehouse_dir)]
        return [*base, "--state-dir", str(settings.sandbox_dir), "--seed", str(settings.seed)]


SERVICES = (
    Service("warehouse", "infra.local.warehouse.server", "/_local/health", "WHOOP_WAREHOUSE_PORT"),
    Service("sandbox", "infra.local.sandbox", "/_sandbox/health", "WHOOP_SANDBOX_PORT"),
)


@dataclass
class ServiceStatus:
    """What `up`, `down` and `status` report per service; `message` says what an action did."""

    name: str
    running: bool
    pid: int | None
    url: str
    port: int
    log_path: Path
    state: str  # running | stopped | unresponsive | stale
    message: str = ""

    def to_dict(self) -> dict:
        return {**asdict(self), "log_path": str(self.log_path)}


@dataclass(frozen=True)
class _Record:
    """The run-dir state of a service as a previous `up` left it."""

    pid: int | None
    host: str
    port: int
    started_at: float


# --- paths and state files ---------------------------------------------------------------------


def _pid_path(settings: Settings, svc: Service) -> Path:
    return settings.run_dir / f"{svc.name}.pid"


def _info_path(settings: Settings, svc: Service) -> Path:
    return settings.run_dir / f"{svc.name}.json"


def log_path(settings: Settings, name: str) -> Path:
    return settings.logs_dir / f"{name}.log"


def _read_record(settings: Settings, svc: Service) -> _Record | None:
    """The recorded state, or None if there is no pid file; unreadable content yields pid None (stale)."""
    pid_file = _pid_path(settings, svc)
    if not pid_file.exists():
        return None
    try:
        pid: int | None = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        pid = None
    try:
        info = json.loads(_info_path(settings, svc).read_text())
    except (OSError, ValueError):
        info = {}
    return _Record(
        pid=pid,
        host=str(info.get("host", settings.host)),
        port=int(info.get("port", svc.port(settings))),
        started_at=float(info.get("started_at_epoch", 0.0)),
    )


def _write_record(settings: Settings, svc: Service, pid: int, command: list[str]) -> None:
    now = time.time()
    info = {
        "pid": pid,
        "host": settings.host,
        "port": svc.port(settings),
        "started_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "started_at_epoch": now,
        "command": command,
    }
    _info_path(settings, svc).write_text(json.dumps(info, indent=2) + "\n")
    _pid_path(settings, svc).write_text(f"{pid}\n")


def _clear_record(settings: Settings, svc: Service) -> None:
    _pid_path(settings, svc).unlink(missing_ok=True)
    _info_path(settings, svc).unlink(missing_ok=True)


# --- processes -----------------------------------------------------------------------------------


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process, so a stopped service is not left a zombie."""
    proc = _children.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            _children.pop(pid, None)
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _alive(pid: int) -> bool:
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists but belongs to another user: certainly not ours, _is_ours says so
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _cmdline(pid: int) -> list[str]:
    try:
        return [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0") if a]
    except OSError:
        pass
    try:  # no /proc (macOS): ask ps
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return []
    return out.stdout.split()


def _is_ours(pid: int | None, svc: Service, port: int) -> bool:
    """True if `pid` is alive and is this service's server on `port` (not a recycled pid)."""
    if pid is None or pid <= 0 or not _alive(pid):
        return False
    args = _cmdline(pid)
    if svc.module not in args:
        return False
    return any(a == "--port" and b == str(port) for a, b in itertools.pairwise(args))


def _healthy(host: str, port: int, svc: Service) -> bool:
    try:
        r = requests.get(f"http://{host}:{port}{svc.health_path}", timeout=HEALTH_TIMEOUT)
        return r.status_code == 200 and r.json().get("status") == "ok"
    except (requests.RequestException, ValueError):
        return False


def _port_free(host: str, port: int) -> bool:
    """Whether a server could listen on the port; SO_REUSEADDR as uvicorn sets it, so TIME_WAIT is no conflict."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # started with start_new_session: the group id is the pid


def _stop_pids(pids: list[int]) -> None:
    """SIGTERM each process group, wait up to STOP_TIMEOUT for all, then SIGKILL the survivors."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    kill_deadline = time.monotonic() + 2.0
    while time.monotonic() < kill_deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        _children.pop(pid, None)


def _last_log_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


# --- checks --------------------------------------------------------------------------------------


def _check_loopback(host: str) -> None:
    """The local stack has no authentication worth the name: refuse to listen beyond this machine."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise WhoopError(f"WHOOP_LOCAL_HOST={host} is not a loopback address; the local stack only listens on loopback")


def _status_of(settings: Settings, svc: Service, record: _Record | None, message: str = "") -> ServiceStatus:
    host = record.host if record else settings.host
    port = record.port if record else svc.port(settings)
    pid = record.pid if record else None
    if record is None:
        state = "stopped"
    elif not _is_ours(pid, svc, port):
        state = "stale"
    else:
        state = "running" if _healthy(host, port, svc) else "unresponsive"
    return ServiceStatus(
        name=svc.name,
        running=state == "running",
        pid=pid if state in ("running", "unresponsive") else None,
        url=f"http://{host}:{port}",
        port=port,
        log_path=log_path(settings, svc.name),
        state=state,
        message=message,
    )


# --- public API ----------------------------------------------------------------------------------


def status(settings: Settings) -> list[ServiceStatus]:
    """Each service's state, read-only: stale pid files are reported (state "stale"), not removed."""
    return [_status_of(settings, svc, _read_record(settings, svc)) for svc in SERVICES]


def _settle(settings: Settings, svc: Service, notes: list[str]) -> bool:
    """Bring a service's recorded state to "running and healthy" or "nothing recorded"; True if running."""
    record = _read_record(settings, svc)
    if record is None:
        return False
    if not _is_ours(record.pid, svc, record.port):
        _clear_record(settings, svc)
        notes.append(f"removed stale pid file (pid {record.pid} is not a running {svc.name})")
        return False
    # ours: give a server another `up` just started the rest of its start-up window
    deadline = min(record.started_at + START_TIMEOUT, time.time() + START_TIMEOUT)
    while True:
        if _healthy(record.host, record.port, svc):
            notes.append("already running")
            if record.port != svc.port(settings):
                notes.append(f"on port {record.port}, not {svc.port(settings)}: run 'whoop local down' to move it")
            return True
        if time.time() >= deadline or not _alive(record.pid or 0):
            break
        time.sleep(0.1)
    _stop_pids([record.pid] if record.pid else [])
    _clear_record(settings, svc)
    notes.append(f"stopped unresponsive process (pid {record.pid})")
    return False


def _launch(settings: Settings, svc: Service) -> subprocess.Popen:
    command = svc.command(settings)
    log = log_path(settings, svc.name)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("a") as fh:
        fh.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} starting: {' '.join(command)}\n")
        fh.flush()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
            env=env,
        )
    _children[proc.pid] = proc
    _write_record(settings, svc, proc.pid, command)
    return proc


def _wait_started(settings: Settings, started: dict[Service, subprocess.Popen]) -> None:
    """Wait until every started service answers its health check; on failure stop them all and raise."""
    deadline = time.monotonic() + START_TIMEOUT
    pending = dict(started)
    while pending:
        for svc, proc in list(pending.items()):
            if _healthy(settings.host, svc.port(settings), svc):
                del pending[svc]
            elif proc.poll() is not None:
                _abort(settings, started)
                last = _last_log_line(log_path(settings, svc.name))
                raise WhoopError(
                    f"{svc.name} exited during start-up (exit code {proc.returncode}): {last or 'no output'} "
                    f"(log: {log_path(settings, svc.name)})"
                )
        if pending and time.monotonic() > deadline:
            _abort(settings, started)
            names = ", ".join(svc.name for svc in pending)
            raise WhoopError(
                f"{names} did not answer a health check within {START_TIMEOUT:.0f} s (logs: {settings.logs_dir})"
            )
        if pending:
            time.sleep(0.1)


def _abort(settings: Settings, started: dict[Service, subprocess.Popen]) -> None:
    _stop_pids([proc.pid for proc in started.values()])
    for svc in started:
        _clear_record(settings, svc)


def up(settings: Settings) -> list[ServiceStatus]:
    """Start whatever is not running, leave what is; fails before starting anything if a port is taken."""
    _check_loopback(settings.host)
    for d in (settings.run_dir, settings.logs_dir, settings.warehouse_dir, settings.sandbox_dir):
        d.mkdir(parents=True, exist_ok=True)
    notes: dict[str, list[str]] = {svc.name: [] for svc in SERVICES}
    to_start = [svc for svc in SERVICES if not _settle(settings, svc, notes[svc.name])]
    for svc in to_start:
        port = svc.port(settings)
        if not _port_free(settings.host, port):
            raise WhoopError(
                f"port {port} on {settings.host} (for the {svc.name}) is already in use by another process; "
                f"set {svc.port_env} to a free port"
            )
    started = {svc: _launch(settings, svc) for svc in to_start}
    _wait_started(settings, started)
    for svc, proc in started.items():
        notes[svc.name].append(f"started (pid {proc.pid})")
    return [_status_of(settings, svc, _read_record(settings, svc), "; ".join(notes[svc.name])) for svc in SERVICES]


def down(settings: Settings) -> list[ServiceStatus]:
    """Stop every running service and remove its pid file; a service that is not running is fine."""
    notes: dict[str, str] = {}
    to_stop: dict[Service, int] = {}
    for svc in SERVICES:
        record = _read_record(settings, svc)
        if record is None:
            notes[svc.name] = "not running"
        elif record.pid is not None and _is_ours(record.pid, svc, record.port):
            to_stop[svc] = record.pid
            notes[svc.name] = f"stopped (pid {record.pid})"
        else:
            _clear_record(settings, svc)
            notes[svc.name] = f"not running (removed stale pid file for pid {record.pid})"
    _stop_pids(list(to_stop.values()))
    survivors = [svc.name for svc, pid in to_stop.items() if _alive(pid)]
    for svc in to_stop:
        if svc.name not in survivors:
            _clear_record(settings, svc)
    if survivors:
        raise WhoopError(f"could not stop {', '.join(survivors)} even with SIGKILL; see {settings.run_dir}")
    return [_status_of(settings, svc, None, notes[svc.name]) for svc in SERVICES]
