# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load with wrk from the host: one run against a URL with the CPU time of the nginx of given containers per
request, runs merged, and direct/proxied pairs interleaved A B B A."""

from __future__ import annotations

import os
import re
import shutil
import statistics

from .probes import cpu_seconds, nginx_cpu
from .settings import ROUNDS, WORK, WRK_CONNECTIONS, WRK_DURATION, WRK_THREADS
from .shell import BenchError, log, run

LOADS: list[float] = []  # the machine's 1-minute load average before and after each measured wrk run
UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed: install the Debian package 'wrk' (apt-get install wrk) and run again")
    log("installing the Debian package wrk")
    if run(["apt-get", "install", "-y", "wrk"], check=False, timeout=600).returncode != 0:
        run(["apt-get", "update"], timeout=600)
        run(["apt-get", "install", "-y", "wrk"], timeout=600)


def wrk(
    ip: str,
    host: str,
    path: str,
    what: str,
    body: bytes,
    cpu: dict[str, str] | None = None,
    seconds: int = WRK_DURATION,
) -> dict:
    """wrk against one URL; the CPU time of the nginx of the containers in `cpu` ({role: container}) per request."""
    cpu = cpu or {}
    cmd = [
        "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s",
        "-H", f"Host: {host}", f"https://{ip}{path}",
    ]  # fmt: skip
    log(f"wrk {what}: {' '.join(cmd[1:])}")
    # Not counted: one second of the same load first, so that each run starts with its connections, the nginx
    # workers and the caches of this URL warm, whatever the run before it loaded.
    run([*cmd[:3], "-d1s", *cmd[4:]], timeout=120)
    load_before = os.getloadavg()[0]
    before = {role: nginx_cpu(name) for role, name in cpu.items()}
    out = run(cmd, timeout=seconds + 120).stdout
    after = {role: nginx_cpu(name) for role, name in cpu.items()}
    LOADS.extend([load_before, os.getloadavg()[0]])
    (WORK / "logs" / f"wrk-{what}.log").write_text(out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in \S+, ([\d.]+)([KMGT]?B) read", out)
    if not rps or not done:
        raise BenchError(f"wrk {what}: no result in its output:\n{out}")
    requests = int(done.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    latency = re.search(r"Latency\s+(\S+)", out)
    per_response = float(done.group(2)) * UNITS[done.group(3)] / max(requests, 1)
    if non2xx or per_response < 0.99 * len(body):  # wrk rounds the bytes it read to 3 digits
        raise BenchError(
            f"wrk {what}: {non2xx.group(1) if non2xx else 0} answers not 2xx/3xx, {per_response:.0f} bytes read per "
            f"answer for a body of {len(body)}; want every answer 200 with the file; log {WORK / 'logs'}"
        )
    result = {
        "what": what,
        "rps": float(rps.group(1)),
        "requests": requests,
        "bytes_per_response": per_response,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
        "latency": latency.group(1) if latency else "-",
        "cpu_us": {role: 1e6 * cpu_seconds(before[role], after[role]) / max(requests, 1) for role in cpu},
        "accepted": {role: (after[role]["accepted"] - before[role]["accepted"]) / max(requests, 1) for role in cpu},
    }
    log(
        f"wrk {what}: {result['rps']:.0f} requests/s; CPU per request "
        + (", ".join(f"{role} {us:.0f} us" for role, us in result["cpu_us"].items()) or "not measured")
    )
    return result


def merge(runs: list[dict]) -> dict:
    """Runs of the same URL as one: the mean rate, per-request figures over all requests."""
    n = sum(r["requests"] for r in runs)
    return {
        "what": runs[0]["what"],
        "rps": statistics.fmean(r["rps"] for r in runs),
        "requests": n,
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "latency": "/".join(r["latency"] for r in runs),
        **{
            key: {role: sum(r[key][role] * r["requests"] for r in runs) / max(n, 1) for role in runs[0][key]}
            for key in ("cpu_us", "accepted")
        },
    }


def pair(direct: tuple, proxied: tuple, what: str, body: bytes, cpu: tuple[dict, dict]) -> tuple[dict, dict]:
    """Direct and proxied in the order A B B A, BENCH_ROUNDS times, each run half of BENCH_WRK_DURATION, so that
    a load that rises or falls steadily on the shared machine weighs on both alike and a passing spike on one run
    weighs 1/(2 x rounds); returns (direct, proxied), each its runs merged."""
    half = max(1, round(WRK_DURATION / 2))
    directs, proxies = [], []
    for r in range(1, ROUNDS + 1):
        directs.append(wrk(*direct, f"{what}-direct-{2 * r - 1}", body, cpu[0], half))
        proxies.append(wrk(*proxied, f"{what}-proxy-{2 * r - 1}", body, cpu[1], half))
        proxies.append(wrk(*proxied, f"{what}-proxy-{2 * r}", body, cpu[1], half))
        directs.append(wrk(*direct, f"{what}-direct-{2 * r}", body, cpu[0], half))
    return merge(directs), merge(proxies)
