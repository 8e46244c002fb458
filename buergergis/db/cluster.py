"""The private PostgreSQL/PostGIS cluster under ``var/pg`` (used when ``DATABASE_URL`` is unset).

Layout: ``var/pg/data`` (PGDATA), ``var/pg/run`` (unix socket), ``var/pg/log/postgresql.log``
and ``var/pg/password`` (the role's password for TCP clients such as pygeoapi or ogr2ogr).
Local socket connections are trusted; TCP on 127.0.0.1 needs the password (scram-sha-256).
As root the cluster runs as the unprivileged OS user ``settings.pg_os_user``, because
PostgreSQL refuses to run as root; otherwise it runs as the current user.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import pwd
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import errors, sql

from buergergis.errors import ClusterError
from buergergis.settings import Settings

log = logging.getLogger(__name__)

PG_MAJOR = 15
POSTGIS_PACKAGE = f"postgresql-{PG_MAJOR}-postgis-3"
CONF_NAME = "buergergis.conf"
_DEFAULT_BINDIR = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
_DEFAULT_SHAREDIR = Path(f"/usr/share/postgresql/{PG_MAJOR}")
_SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes including the terminating NUL
_START_TIMEOUT_S = 60


@dataclass(frozen=True)
class ClusterPaths:
    """Where the private cluster keeps its files."""

    root: Path
    data: Path
    run: Path
    logfile: Path
    password: Path
    lock: Path

    @classmethod
    def of(cls, settings: Settings) -> ClusterPaths:
        """The paths for ``settings.var``."""
        root = settings.var / "pg"
        return cls(
            root=root,
            data=root / "data",
            run=settings.pg_socket_dir,
            logfile=root / "log" / "postgresql.log",
            password=root / "password",
            lock=root / "cluster.lock",
        )


@dataclass(frozen=True)
class ClusterStatus:
    """What ``buergergis db status`` shows."""

    initialized: bool
    running: bool
    pid: int | None
    port: int
    socket_dir: Path
    url: str
    data_dir: Path


# --- public API ----------------------------------------------------------------------------


def start(settings: Settings) -> ClusterStatus:
    """Create (first time) and start the cluster, then ensure the database with PostGIS.

    Idempotent: a running cluster is reused, a stale ``postmaster.pid`` is removed.
    """
    paths = ClusterPaths.of(settings)
    ensure_postgis_installed()
    _check_socket_path(settings, paths)
    with _locked(paths):
        _prepare_dirs(settings, paths)
        was_initialized = _is_initialized(paths)
        new_password = _ensure_password_file(settings, paths)
        if not was_initialized:
            _initdb(settings, paths)
        pid = _running_pid(paths)
        if pid is None:
            _clear_stale_state(paths)
            _write_config(settings, paths)
            _pg_ctl_start(settings, paths)
        else:
            _check_running_port(settings, paths)
        _wait_ready(settings, paths)
        if new_password and was_initialized:
            _set_role_password(settings, paths)
        _ensure_cluster_database(settings)
    return status(settings)


def stop(settings: Settings) -> bool:
    """Stop the cluster (fast shutdown); ``False`` when it was not running."""
    paths = ClusterPaths.of(settings)
    if not _is_initialized(paths):
        return False
    with _locked(paths):
        if _running_pid(paths) is None:
            return False
        argv = [str(bindir() / "pg_ctl"), "stop", "-D", str(paths.data), "-m", "fast", "-w", "-s"]
        _run(_as_cluster_user(settings, argv), cwd=paths.root, what="pg_ctl stop")
    log.info("PostgreSQL-Cluster in %s gestoppt.", paths.data)
    return True


def status(settings: Settings) -> ClusterStatus:
    """Whether the cluster exists and runs, with its PID, port and socket directory."""
    paths = ClusterPaths.of(settings)
    initialized = _is_initialized(paths)
    pid = _running_pid(paths) if initialized else None
    return ClusterStatus(
        initialized=initialized,
        running=pid is not None,
        pid=pid,
        port=(_pidfile_port(paths) if pid else None) or settings.pg_port,
        socket_dir=paths.run,
        url=settings.libpq_url(),
        data_dir=paths.data,
    )


def ensure_database(settings: Settings) -> None:
    """Make the database usable: check ``DATABASE_URL`` (with PostGIS), or start the cluster."""
    if not settings.database_url:
        start(settings)
        return
    url = settings.libpq_url()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise ClusterError(
            f"Die Datenbank {redact(url)} (DATABASE_URL) ist nicht erreichbar: {exc}"
        ) from exc
    with conn:
        _ensure_postgis_extension(conn, redact(url))


def tcp_url(settings: Settings) -> str:
    """``postgresql://user:password@127.0.0.1:port/db`` for peer servers that need TCP."""
    if settings.database_url:
        return settings.libpq_url()
    paths = ClusterPaths.of(settings)
    try:
        password = paths.password.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise ClusterError(
            f"Kein Passwort in {paths.password} – der Cluster ist noch nicht eingerichtet "
            "(`buergergis db start`)."
        ) from exc
    user, db = quote(settings.pg_user, safe=""), quote(settings.pg_database, safe="")
    return f"postgresql://{user}:{quote(password, safe='')}@127.0.0.1:{settings.pg_port}/{db}"


def psql_args(settings: Settings) -> list[str]:
    """The argv that runs ``psql`` connected to the BürgerGIS database."""
    try:
        psql = str(bindir() / "psql")
    except ClusterError:
        psql = shutil.which("psql") or "psql"
    if settings.database_url:
        return [psql, settings.libpq_url()]
    paths = ClusterPaths.of(settings)
    return [
        psql,
        *("-h", str(paths.run), "-p", str(settings.pg_port)),
        *("-U", settings.pg_user, "-d", settings.pg_database),
    ]


def redact(url: str) -> str:
    """``url`` with the password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


@functools.cache
def bindir() -> Path:
    """Directory with ``initdb``, ``pg_ctl`` and ``postgres`` of PostgreSQL 15."""
    candidates = [_DEFAULT_BINDIR]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise ClusterError(
        f"PostgreSQL {PG_MAJOR} ist nicht installiert (kein initdb in {_DEFAULT_BINDIR}). "
        f"Bitte `sudo apt-get install postgresql-{PG_MAJOR}` ausführen oder DATABASE_URL setzen."
    )


def ensure_postgis_installed() -> None:
    """Install Debian's PostGIS package when running as root, else explain how to."""
    control = _sharedir() / "extension" / "postgis.control"
    if control.is_file():
        return
    if not _is_root():
        raise ClusterError(
            f"PostGIS für PostgreSQL {PG_MAJOR} fehlt ({control} nicht gefunden). "
            f"Bitte `sudo apt-get install {POSTGIS_PACKAGE}` ausführen."
        )
    log.info("Installiere %s …", POSTGIS_PACKAGE)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", POSTGIS_PACKAGE]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        _run(["apt-get", "update", "-q"], env=env, what="apt-get update")
        _run(install, env=env, what=f"apt-get install {POSTGIS_PACKAGE}")
    if not control.is_file():
        raise ClusterError(f"{POSTGIS_PACKAGE} ist installiert, aber {control} fehlt.")


# --- processes -----------------------------------------------------------------------------


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_cluster_user(settings: Settings, argv: Sequence[str]) -> list[str]:
    """Prefix ``argv`` with ``runuser`` when root, because PostgreSQL refuses to run as root."""
    if _is_root():
        return ["runuser", "-u", settings.pg_os_user, "--", *argv]
    return list(argv)


def _run(
    argv: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a helper program; a failure becomes a ``ClusterError`` with its message."""
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"{what} konnte nicht ausgeführt werden: {exc}") from exc
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip()
        raise ClusterError(f"{what} ist fehlgeschlagen (Exit-Code {proc.returncode}): {message}")
    return proc


@functools.cache
def _sharedir() -> Path:
    pg_config = bindir() / "pg_config"
    if pg_config.is_file():
        out = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
        )
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return _DEFAULT_SHAREDIR


def _is_postgres_process(pid: int) -> bool:
    """True when ``pid`` runs a PostgreSQL program (zombies and reused PIDs are not)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0).startswith((b"postgres", b"postmaster"))


def _process_cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def _is_our_postmaster(pid: int, data: Path) -> bool:
    """A postmaster works in its data directory; when that cannot be read, assume it is ours."""
    if not _is_postgres_process(pid):
        return False
    cwd = _process_cwd(pid)
    return cwd is None or cwd == data


def _leftover_processes(data: Path) -> list[int]:
    """PostgreSQL processes still working in ``data`` (children of a killed postmaster)."""
    pids = (int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit())
    return [pid for pid in pids if _process_cwd(pid) == data and _is_postgres_process(pid)]


# --- cluster files -------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(paths: ClusterPaths) -> Iterator[None]:
    """Serialise start/stop between processes (xdist workers, gunicorn, CLI)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _is_initialized(paths: ClusterPaths) -> bool:
    return (paths.data / "PG_VERSION").is_file()


def _check_socket_path(settings: Settings, paths: ClusterPaths) -> None:
    socket = paths.run / f".s.PGSQL.{settings.pg_port}"
    if len(str(socket)) > _SOCKET_PATH_MAX:
        raise ClusterError(
            f"Der Socket-Pfad {socket} ist zu lang für Unix-Sockets; "
            "bitte BUERGERGIS_VAR_DIR auf ein kürzeres Verzeichnis setzen."
        )


def _prepare_dirs(settings: Settings, paths: ClusterPaths) -> None:
    """Create var/pg; as root hand it to the cluster's OS user and check it can get there."""
    for directory in (paths.root, paths.data, paths.run, paths.logfile.parent):
        directory.mkdir(parents=True, exist_ok=True)
    paths.data.chmod(0o700)
    if not _is_root():
        return
    user = _ensure_os_user(settings.pg_os_user)
    for directory in (paths.root, paths.run, paths.logfile.parent):
        _chown(directory, user)
    _chown(paths.data, user, recursive=True)
    _ensure_traversable(settings, paths)


def _ensure_os_user(name: str) -> pwd.struct_passwd:
    """The unprivileged system user that runs the cluster, created on first use."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    log.info("Lege Systembenutzer %s für PostgreSQL an.", name)
    argv = ["useradd", "--system", "--user-group", "--no-create-home"]
    argv += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    try:
        return pwd.getpwnam(name)  # also fine when a parallel process created it first
    except KeyError as exc:
        raise ClusterError(
            f"Systembenutzer {name} konnte nicht angelegt werden: {proc.stderr.strip()}"
        ) from exc


def _chown(path: Path, user: pwd.struct_passwd, *, recursive: bool = False) -> None:
    stat = path.stat()
    if (stat.st_uid, stat.st_gid) == (user.pw_uid, user.pw_gid):
        return
    if recursive:
        _run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(path)], what="chown")
    else:
        os.chown(path, user.pw_uid, user.pw_gid)


def _can_traverse(user: str, directory: Path) -> bool:
    argv = ["runuser", "-u", user, "--", "test", "-x", str(directory)]
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0


def _ensure_traversable(settings: Settings, paths: ClusterPaths) -> None:
    """The OS user must reach var/pg; var/ itself is opened up, other parents are reported."""
    user = settings.pg_os_user
    if _can_traverse(user, paths.root):
        return
    for directory in reversed([paths.root, *paths.root.parents]):
        if _can_traverse(user, directory):
            continue
        if directory == settings.var:
            directory.chmod(directory.stat().st_mode | 0o011)
            continue
        raise ClusterError(
            f"Der Systembenutzer {user} darf {directory} nicht durchqueren, PostgreSQL kann "
            f"{paths.data} so nicht öffnen. Bitte `chmod o+x {directory}` ausführen "
            "oder BUERGERGIS_VAR_DIR woanders hin legen."
        )


def _ensure_password_file(settings: Settings, paths: ClusterPaths) -> bool:
    """Generate the role's password into ``var/pg/password`` (mode 600); True when new."""
    if paths.password.is_file():
        return False
    fd = os.open(paths.password, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")
    if _is_root():
        user = pwd.getpwnam(settings.pg_os_user)
        os.chown(paths.password, user.pw_uid, user.pw_gid)
    return True


def _locale() -> str:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    except OSError:
        return "C"
    names = {name.lower() for name in out.stdout.split()}
    return "C.UTF-8" if names & {"c.utf8", "c.utf-8"} else "C"


def _initdb(settings: Settings, paths: ClusterPaths) -> None:
    if any(paths.data.iterdir()):
        raise ClusterError(
            f"{paths.data} ist nicht leer, enthält aber keinen PostgreSQL-Cluster. "
            "Bitte prüfen und das Verzeichnis leeren oder entfernen."
        )
    log.info("Lege PostgreSQL-Cluster in %s an …", paths.data)
    argv = [str(bindir() / "initdb"), "-D", str(paths.data), "-U", settings.pg_user]
    argv += ["--encoding=UTF8", f"--locale={_locale()}", "--no-instructions"]
    argv += ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={paths.password}"]
    _run(_as_cluster_user(settings, argv), cwd=paths.root, what="initdb")
    with (paths.data / "postgresql.conf").open("a", encoding="utf-8") as handle:
        handle.write("\n# BürgerGIS: settings managed by buergergis db start\n")
        handle.write(f"include_if_exists = '{CONF_NAME}'\n")


def _config_text(settings: Settings, paths: ClusterPaths) -> str:
    """``buergergis.conf``: a small server's tuning, the port, the socket dir and logging."""
    values: dict[str, object] = {
        "listen_addresses": "127.0.0.1",
        "port": settings.pg_port,
        "unix_socket_directories": paths.run,
        "max_connections": 200,
        "shared_buffers": "256MB",
        "work_mem": "16MB",
        "maintenance_work_mem": "128MB",
        "effective_cache_size": "1GB",
        "jit": "off",
        # A private single-node cluster needs no WAL for replication: with wal_level=minimal a
        # COPY into a table created in the same transaction (every layer load) skips the WAL.
        "wal_level": "minimal",
        "max_wal_senders": 0,
        "logging_collector": "off",  # pg_ctl -l sends the server's stderr to the log file
        "log_line_prefix": "%m [%p] %q%u@%d ",
        "log_min_duration_statement": "2s",
    }
    lines = ["# Written by `buergergis db start` before every start; edits are overwritten."]
    for name, value in values.items():
        quoted = str(value).replace("'", "''")
        lines.append(f"{name} = '{quoted}'")
    return "\n".join(lines) + "\n"


def _write_config(settings: Settings, paths: ClusterPaths) -> None:
    target = paths.data / CONF_NAME
    target.write_text(_config_text(settings, paths), encoding="utf-8")
    if _is_root():
        user = pwd.getpwnam(settings.pg_os_user)
        os.chown(target, user.pw_uid, user.pw_gid)


def _read_pidfile(paths: ClusterPaths) -> list[str]:
    try:
        return (paths.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []


def _pidfile_port(paths: ClusterPaths) -> int | None:
    """The port a running postmaster listens on (line 4 of ``postmaster.pid``)."""
    fields = _read_pidfile(paths)
    return int(fields[3]) if len(fields) > 3 and fields[3].strip().isdigit() else None


def _running_pid(paths: ClusterPaths) -> int | None:
    """PID of this cluster's postmaster, or None (no pid file, or a stale one)."""
    fields = _read_pidfile(paths)
    if not fields or not fields[0].strip().isdigit():
        return None
    pid = int(fields[0])
    return pid if _is_our_postmaster(pid, paths.data) else None


def _clear_stale_state(paths: ClusterPaths) -> None:
    """After a crash: remove pid and socket lock files whose process is gone or someone else."""
    pidfile = paths.data / "postmaster.pid"
    if pidfile.exists():
        log.warning("Entferne veraltete %s (der Prozess läuft nicht mehr).", pidfile)
        pidfile.unlink()
    for lock in paths.run.glob(".s.PGSQL.*.lock"):
        first = lock.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip()
        if first.isdigit() and _is_postgres_process(int(first)):
            continue
        lock.unlink(missing_ok=True)
        lock.with_suffix("").unlink(missing_ok=True)
    deadline = time.monotonic() + 15
    while leftovers := _leftover_processes(paths.data):
        if time.monotonic() > deadline:
            raise ClusterError(
                f"Alte PostgreSQL-Prozesse {leftovers} arbeiten noch in {paths.data}; "
                "bitte beenden und erneut starten."
            )
        time.sleep(0.2)


def log_tail(logfile: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a server log (empty when it cannot be read)."""
    try:
        text = logfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _pg_ctl_start(settings: Settings, paths: ClusterPaths) -> None:
    log.info("Starte PostgreSQL auf 127.0.0.1:%s (Socket %s) …", settings.pg_port, paths.run)
    argv = [str(bindir() / "pg_ctl"), "start", "-D", str(paths.data), "-l", str(paths.logfile)]
    argv += ["-w", "-t", str(_START_TIMEOUT_S), "-s"]
    try:
        _run(_as_cluster_user(settings, argv), cwd=paths.root, what="pg_ctl start")
    except ClusterError as exc:
        raise ClusterError(
            f"PostgreSQL ließ sich nicht starten ({exc.description}). "
            f"Letzte Zeilen aus {paths.logfile}:\n{log_tail(paths.logfile)}"
        ) from exc


def _check_running_port(settings: Settings, paths: ClusterPaths) -> None:
    port = _pidfile_port(paths)
    if port is not None and port != settings.pg_port:
        raise ClusterError(
            f"Der Cluster läuft auf Port {port}, eingestellt ist {settings.pg_port}. "
            "Bitte `buergergis db stop` und erneut starten."
        )


def _wait_ready(settings: Settings, paths: ClusterPaths) -> None:
    argv = [str(bindir() / "pg_isready"), "-q", "-h", str(paths.run), "-p", str(settings.pg_port)]
    argv += ["-U", settings.pg_user, "-d", "postgres"]
    deadline = time.monotonic() + _START_TIMEOUT_S
    while subprocess.run(argv, check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise ClusterError(
                f"PostgreSQL nimmt nach {_START_TIMEOUT_S} s keine Verbindungen an. "
                f"Letzte Zeilen aus {paths.logfile}:\n{log_tail(paths.logfile)}"
            )
        time.sleep(0.2)


# --- database inside the cluster -----------------------------------------------------------


def _connect(settings: Settings, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=str(settings.pg_socket_dir),
        port=settings.pg_port,
        user=settings.pg_user,
        dbname=dbname,
        autocommit=True,
        connect_timeout=10,
    )


def _set_role_password(settings: Settings, paths: ClusterPaths) -> None:
    """The password file was lost: put a new password on the role."""
    password = paths.password.read_text(encoding="utf-8").strip()
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(settings.pg_user), sql.Literal(password)
    )
    with _connect(settings, "postgres") as conn:
        conn.execute(statement)


def _ensure_cluster_database(settings: Settings) -> None:
    name = settings.pg_database
    with _connect(settings, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            log.info("Lege Datenbank %s an.", name)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with _connect(settings, name) as conn:
        _ensure_postgis_extension(conn, name)


def _ensure_postgis_extension(conn: psycopg.Connection, where: str) -> None:
    """``CREATE EXTENSION IF NOT EXISTS postgis``; lacking privileges is fine if it exists."""
    query = "SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
    if conn.execute(query).fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")
    except errors.UniqueViolation:
        pass  # created concurrently by another process
    except psycopg.Error as exc:
        raise ClusterError(
            f"Die Erweiterung PostGIS fehlt in {where} und konnte nicht angelegt werden: {exc}. "
            "Bitte als Datenbank-Administrator `CREATE EXTENSION postgis` ausführen."
        ) from exc
