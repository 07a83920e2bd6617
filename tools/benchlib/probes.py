# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmarks measure inside a container (nginx's memory, CPU time and `nginx -t`, read from /proc with
the container's own python3, no tools needed) and what they ask over HTTPS (same bytes straight and proxied, a
cache that answers HIT)."""

from __future__ import annotations

import http.client
import json
import ssl
import time

from .lab import Lab
from .shell import BenchError

# Run inside a container: PSS and RSS of every nginx process, from /proc (no tools needed).
MEMORY_PROBE = r"""
import json, os, re
out = []
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        if open(f'/proc/{pid}/comm').read().strip() != 'nginx':
            continue
        cmd = open(f'/proc/{pid}/cmdline').read().replace('\0', ' ').strip()
        mem = dict(re.findall(r'^(Rss|Pss):\s+(\d+) kB', open(f'/proc/{pid}/smaps_rollup').read(), re.M))
    except OSError:
        continue
    out.append({'pid': int(pid), 'cmd': cmd, 'rss_kb': int(mem['Rss']), 'pss_kb': int(mem['Pss'])})
print(json.dumps(out))
"""

# Run inside a container: wall time of `nginx -t`, three times (once if that takes 10 s).
NGINX_T_PROBE = r"""
import json, subprocess, time
times = []
while len(times) < 3 and sum(times) < 10:  # one run only where a run takes 10 s
    start = time.perf_counter()
    subprocess.run(['nginx', '-t', '-q'], check=True)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


# Run inside a container: CPU time (utime + stime, in clock ticks) of every nginx process, the tick rate, and the
# TCP connections the container's network namespace has accepted (PassiveOpens of /proc/net/snmp).
CPU_PROBE = r"""
import json, os
tcp = [line.split() for line in open('/proc/net/snmp') if line.startswith('Tcp:')]
opens = int(tcp[1][tcp[0].index('PassiveOpens')])
ticks = {}
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        stat = open(f'/proc/{pid}/stat').read()
    except OSError:
        continue
    if stat[stat.index('(') + 1:stat.rindex(')')] != 'nginx':
        continue
    fields = stat[stat.rindex(')') + 2:].split()  # fields[0] is field 3 (state) of proc(5)
    ticks[pid] = int(fields[11]) + int(fields[12])  # fields 14 (utime) and 15 (stime)
print(json.dumps({'hz': os.sysconf('SC_CLK_TCK'), 'ticks': ticks, 'accepted': opens}))
"""


# --------------------------------------------------------------------------- nginx in a container


def nginx_processes(name: str) -> list[dict]:
    return json.loads(Lab.exec(name, "python3", "-c", MEMORY_PROBE))


def nginx_memory(name: str, old_workers: set[int] = frozenset()) -> dict:
    """PSS/RSS of master and workers once a reload is through: new workers only, none shutting down."""
    for _ in range(240):
        procs = nginx_processes(name)
        workers = {p["pid"] for p in procs if "worker process" in p["cmd"]}
        if workers and not workers & old_workers and not any("shutting down" in p["cmd"] for p in procs):
            break
        time.sleep(0.5)
    else:
        raise BenchError(f"nginx in {name}: no new set of workers 120 s after the reload: {procs}")
    return {
        "procs": len(procs),
        "workers": sorted(workers),
        "pss_kb": sum(p["pss_kb"] for p in procs),
        "rss_kb": sum(p["rss_kb"] for p in procs),
    }


def nginx_t_times(name: str) -> list[float]:
    """Wall times of `nginx -t` inside the container (NGINX_T_PROBE)."""
    return json.loads(Lab.exec(name, "python3", "-c", NGINX_T_PROBE, timeout=600))


def nginx_cpu(name: str) -> dict:
    return json.loads(Lab.exec(name, "python3", "-c", CPU_PROBE))


def cpu_seconds(before: dict, after: dict) -> float:
    """CPU time the nginx processes used between two probes (a process that started in between counts whole)."""
    ticks = sum(max(0, t - before["ticks"].get(pid, 0)) for pid, t in after["ticks"].items())
    return ticks / after["hz"]


def reload_nginx(name: str) -> None:
    """nginx -t, reload, and wait until the old workers are gone."""
    old = {p["pid"] for p in nginx_processes(name) if "worker process" in p["cmd"]}
    Lab.exec(name, "nginx", "-t", "-q")
    Lab.exec(name, "systemctl", "reload", "nginx")
    nginx_memory(name, old)


def proxy_conf(proxy: str) -> str:
    return Lab.exec(proxy, "cat", "/etc/nginx/conf.d/bbb-cluster-proxy.conf")


# --------------------------------------------------------------------------- HTTPS


def https_get(ip: str, host: str, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the lab's own certificates, on our own containers
    conn = http.client.HTTPSConnection(ip, 443, context=context, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def check_same(proxy_ip: str, proxy: str, node_ip: str, node: str, path: str) -> tuple[bytes, dict]:
    """The file straight from the node and through the proxy: both 200, the same bytes."""
    direct_status, _, direct_body = https_get(node_ip, node, path)
    proxy_status, headers, proxy_body = https_get(proxy_ip, proxy, path)
    if direct_status != 200 or proxy_status != 200 or proxy_body != direct_body:
        raise BenchError(
            f"{path}: direct {direct_status}, proxy {proxy_status}, same body: {proxy_body == direct_body}; "
            "want 200 and the same bytes"
        )
    return direct_body, headers


def warm_up(proxy_ip: str, proxy: str, path: str, body: bytes) -> list[str]:
    """Ask the proxy until its cache answers HIT (proxy_cache_min_uses 3: a few MISSes first)."""
    statuses = []
    for _ in range(10):
        status, headers, got = https_get(proxy_ip, proxy, path)
        statuses.append(headers.get("X-Cache-Status", "-"))
        if status != 200 or got != body:
            raise BenchError(f"{path} through the proxy with the cache: {status}, same body: {got == body}")
        if statuses[-1] == "HIT":
            return statuses
    raise BenchError(f"{path}: the proxy's cache never answered HIT (X-Cache-Status: {', '.join(statuses)})")
