"""Tools of the tile benchmark: peer venvs, server processes, wrk, pgbench, nginx, data.

Every server gets the same worker count (``WORKERS``), every load generator two connections.
Servers run in their own process group and are stopped by their pid, never by name.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from buergergis import gunicorn_conf
from buergergis.settings import PROJECT_ROOT

WORKERS = 2
#: gthread threads per BürgerGIS worker, as ``make run`` (one definition: the gunicorn config).
THREADS = gunicorn_conf.threads
CONNECTIONS = 2
DURATION_S = 6
ENVS = PROJECT_ROOT / "bench" / "envs"
#: Peer servers, pinned (``bench/envs/<name>``, created on first run).
PEERS = {
    "tipg": ["tipg==1.6.1", "uvicorn[standard]==0.54.0"],
    "titiler": ["titiler.application==2.4.0", "uvicorn[standard]==0.54.0"],
}


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    #: Slowest and fastest of the alternating rounds (the figure itself is their median).
    rps_min: float | None = None
    rps_max: float | None = None

    def rps_text(self, digits: int = 0) -> str:
        """``median (min–max)`` requests per second."""
        spread = (
            f" ({self.rps_min:,.{digits}f}–{self.rps_max:,.{digits}f})"
            if self.rps_min is not None and self.rps_max is not None
            else ""
        )
        return f"{self.rps:,.{digits}f}{spread}"


def peer_bin(name: str) -> Path:
    """``bin/`` of the pinned venv of a peer server (created when missing or outdated)."""
    env = ENVS / name
    marker = env / ".pinned"
    wanted = " ".join(PEERS[name])
    if not marker.exists() or marker.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True)
        subprocess.run(
            [str(env / "bin" / "pip"), "install", "-q", *PEERS[name]],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        marker.write_text(wanted)
    return env / "bin"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(
    cmd: list[str], env: dict[str, str], probe: str, cwd: Path | None = None
) -> Iterator[None]:
    """Run a server until the block ends; ``probe`` must answer 200 before we start."""
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_ready(proc, probe, Path(log.name))
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        os.unlink(log.name)


def _wait_ready(proc: subprocess.Popen, probe: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{probe}: Server beendet:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(probe, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{probe} antwortet nicht:\n{log.read_text()[-3000:]}")


def fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    """GET ``url`` and return the body (raises on non-2xx)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


def wrk(url: str, headers: dict[str, str] | None = None, duration: int = DURATION_S) -> Result:
    """``wrk`` with 2 threads and 2 connections; p50/p99 from ``--latency``."""
    cmd = ["wrk", "-t", str(CONNECTIONS), "-c", str(CONNECTIONS), "-d", f"{duration}s", "--latency"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Result(rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), int(errors[1]) if errors else 0)


def _wrk_ms(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not match:
        raise RuntimeError(f"wrk-Ausgabe ohne {label}:\n{out}")
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]
    return float(match[1]) * factor


def pgbench(libpq_url: str, sql: str, duration: int = DURATION_S, options: str = "") -> Result:
    """``pgbench`` running one statement with 2 clients; percentiles from the per-transaction log.

    ``options`` become ``PGOPTIONS`` (session settings, e.g. ``-c max_parallel_workers_per_gather=0``).
    """
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "tile.sql"
        script.write_text(sql + ";\n")
        cmd = ["pgbench", "-n", "-c", str(CONNECTIONS), "-j", str(CONNECTIONS), "-T", str(duration)]
        cmd += ["-M", "prepared", "-f", str(script), "-l", "--log-prefix", f"{tmp}/log", libpq_url]
        env = {**os.environ, "PGOPTIONS": options}
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        tps = float(re.search(r"tps = ([\d.]+)", out)[1])  # type: ignore[index]
        latencies = []
        for log in Path(tmp).glob("log*"):
            latencies += [int(line.split()[2]) / 1000 for line in log.read_text().splitlines()]
    q = statistics.quantiles(latencies, n=100)
    return Result(tps, q[49], q[98])


@contextlib.contextmanager
def nginx(root: Path, port: int) -> Iterator[None]:
    """nginx (Debian) serving ``root`` as static files with ``WORKERS`` worker processes."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        conf = Path(tmp) / "nginx.conf"
        temp_paths = " ".join(
            f"{k}_temp_path {tmp}/{k};"
            for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf.write_text(
            f"worker_processes {WORKERS}; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{ access_log off; {temp_paths}\n"
            "  types { application/vnd.mapbox-vector-tile mvt; }\n"
            f"  server {{ listen 127.0.0.1:{port}; root {root}; etag on;\n"
            '    location / { add_header Content-Encoding gzip; add_header Cache-Control "public, max-age=300"; } } }\n'
        )
        with server(
            ["nginx", "-c", str(conf), "-p", tmp], dict(os.environ), f"http://127.0.0.1:{port}/ping"
        ):
            yield


def make_terrain(path: Path, size: int, origin: tuple[float, float], pixel: float = 1.0) -> Path:
    """A fractal DEM (1/f spectrum) in EPSG:25832, values 60–310 m rounded to cm like DGM1."""
    rng = np.random.default_rng(11)
    ky = np.fft.fftfreq(size)[:, None]
    kx = np.fft.rfftfreq(size)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    spectrum = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) / k**1.8
    dem = np.fft.irfft2(spectrum, s=(size, size))
    dem = (dem - dem.min()) / (dem.max() - dem.min()) * 250 + 60
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:25832",
        "transform": from_origin(origin[0], origin[1], pixel, pixel),
        "nodata": -9999,
        "tiled": True,
        "compress": "deflate",
        "predictor": 3,
        "BIGTIFF": "IF_SAFER",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.round(dem, 2).astype("float32"), 1)
    return path
