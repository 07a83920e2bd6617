# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the cluster proxy: `make bench` runs them and writes docs/benchmarks.md.

1. assets   client delivery from a simulated BBB 3.0 node: a small html page (the node's client page)
            and a 200 KiB script that the bench writes into the node's client directory, each
            straight from the node's nginx, through the proxy as the role renders it (upstream
            keepalive, no cache), through the proxy with the `keepalive` lines deleted from the
            rendered file, and through the proxy with the asset cache (wrk, same parameters for
            all; direct and proxied interleaved A B B A). With each wrk run the CPU time of the
            node's and the proxy's nginx processes (utime + stime from /proc/<pid>/stat) and the
            TCP connections the node accepted, per request wrk made.
            Targets: without the cache, with keepalive, at least 0.45x the direct rate for both
            files; the node's CPU per proxied request at most 2x per direct request.
2. cache500 the asset cache at 500 nodes: the proxy of the same cluster configured for 500 nodes,
            the first and the last (in the configuration's order) the cluster's real nodes, 498
            addresses of RFC 2544's 198.18.0.0/15 (bbb_proxy_node_addresses) that never get a
            request; a 6 KiB and the 200 KiB script of both real nodes, direct and through the
            cache (warm). Target: at least 0.95x the direct rate.
3. scale    the bbb_proxy role alone on one proxy container per lab image (bookworm nginx 1.22,
            trixie 1.26, bullseye 1.18) for 10 .. 500 nodes that are never contacted: wall time
            of the role run and of `nginx -t`, nginx memory (PSS of master and workers after the
            role's reload) over Debian's nginx before the role ran, per node.
            Targets at 500 nodes, per nginx version: `nginx -t` at most 1 s, at most 0.1 MiB PSS
            per node (the system CA bundle, the role's default); the role run under 10 s.
4. rollout  wall time and task count of a first converge and of a no-op re-run of
            bbb.cluster_proxy.site for one proxy and 2, 8, 16 simulated nodes (the Molecule
            lab's containers and prepare step), batch size = forks. The re-run must change
            nothing (checked); its time should grow no faster than nodes / forks.
            assets and cache500 run on the cluster of rollout's first size (2 nodes).

Nothing here asserts a time: a missed target is reported, not failed. The run fails only on
errors (a playbook that fails, an answer that is not 200 or not the file's bytes, a cache that
never hits, a re-run that changes something). Every container it creates is named bench-* on the
network bbb-bench, and all of them are removed at the end, also on failure or Ctrl-C.

Environment:
  BENCH_QUICK=1        smoke run: scale 5 20 (bookworm; 5 and 20 on the others), rollout 2, wrk 3 s,
                       cache500 at 20 nodes; writes .build/bench/benchmarks.md
  BENCH_ONLY=a,b       run only some of assets, cache500, scale, rollout (writes .build/bench/benchmarks.md)
  BENCH_SIZES          node counts of the scale benchmark on bookworm (default "10 100 500"); the
                       other images get the smallest and the largest
  BENCH_SCALE_SUITES   lab images of the scale benchmark (default "bookworm trixie bullseye")
  BENCH_CACHE_NODES    nodes of the cache500 benchmark (default 500)
  BENCH_NODES          node counts of the rollout benchmark (default "2 8 16"; assets uses the first)
  BENCH_FORKS          Ansible forks and batch size (bbb_cluster_serial) of the rollout (default 4)
  BENCH_PIPELINING=0   run Ansible without pipelining (default: pipelining on)
  BENCH_WRK_THREADS, BENCH_WRK_CONNECTIONS, BENCH_WRK_DURATION   wrk parameters (2, 16, 10)
  BENCH_ROUNDS         rounds of direct, proxy, proxy, direct per comparison (default 4; 1 when quick)
  BENCH_OUTPUT         where to write the Markdown report
  BBB_LAB_IMAGE        the lab image of the cluster and of the bookworm scale run
                       (default bbb-cluster-proxy/debian-systemd:bookworm)

Usage: python tools/bench.py   (or `make bench`)
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".build" / "bench"
BENCH_DIR = ROOT / "tools" / "bench"
BIN = Path(sys.executable).parent
IMAGE = os.environ.get("BBB_LAB_IMAGE") or "bbb-cluster-proxy/debian-systemd:bookworm"
NETWORK = "bbb-bench"
PREFIX = "bench-"
SNAPSHOT = f"{PREFIX}snapshot/"  # images of the prepared lab containers
DOMAIN = "lab.test"
VERSIONS = ("3.0", "2.7")  # the nodes alternate between these
RELEASES = {"3.0": "3.0.30", "2.7": "2.7.12"}
# The client directory of each lab node family (bbb_lab_node role); the node serves it as /<label>/html5client/.
CLIENT_DIRS = {"3.0": "/usr/share/bigbluebutton/html5-client", "2.7": "/usr/share/meteor/bundle/programs/web.browser"}
# Scripts the bench writes into the real nodes' client directories (under bench/), name -> size in bytes.
BENCH_FILES = {"asset-6k.js": 6 * 1024, "asset-200k.js": 200 * 1024}
KEEPALIVE_LINE = re.compile(r"^\s*keepalive \d+;\n", re.M)  # one per upstream block of the rendered file
LINEAR_TOLERANCE = 1.5  # growth is "linear" if the last step's cost per node is at most this times the step before

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_list(name: str, default: str) -> list[int]:
    values = [int(v) for v in os.environ.get(name, default).replace(",", " ").split()]
    if not values or any(v < 1 for v in values):
        raise SystemExit(f"{name} must list positive numbers, got {os.environ.get(name)!r}")
    return sorted(set(values))


ALL = ("assets", "cache500", "scale", "rollout")
ONLY = [b.strip() for b in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",") if b.strip()]
SIZES = env_list("BENCH_SIZES", "5 20" if QUICK else "10 100 500")
NODES = env_list("BENCH_NODES", "2" if QUICK else "2 8 16")
SCALE_SUITES = os.environ.get("BENCH_SCALE_SUITES", "bookworm trixie bullseye").replace(",", " ").split()
CACHE_NODES = int(os.environ.get("BENCH_CACHE_NODES", "20" if QUICK else "500"))
FORKS = int(os.environ.get("BENCH_FORKS", "4"))
PIPELINING = os.environ.get("BENCH_PIPELINING", "1") not in ("", "0")
PREPARE_FORKS = 16  # the lab's preparation is not timed
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
WRK_DURATION = int(os.environ.get("BENCH_WRK_DURATION", "3" if QUICK else "10"))
LOADS: list[float] = []  # the machine's 1-minute load average before and after each measured wrk run
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "4"))  # A B B A rounds per comparison
PARTIAL = QUICK or set(ONLY) != set(ALL)
OUTPUT = Path(
    os.environ.get("BENCH_OUTPUT") or (WORK / "benchmarks.md" if PARTIAL else ROOT / "docs" / "benchmarks.md")
)

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


class BenchError(Exception):
    """A benchmark could not be measured (not: a target was missed)."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], *, check: bool = True, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise BenchError(
            f"{' '.join(cmd[:6])} ... failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-2000:]}"
        )
    return proc


# --------------------------------------------------------------------------- docker


class Lab:
    """The containers and the network of the benchmarks; removes what it created."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.images: list[str] = []
        self.network = False

    def remove_leftovers(self) -> None:
        """Remove bench-* containers and the bbb-bench network of an earlier, killed run (only those names)."""
        names = run(["docker", "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
        stale = [n for n in names if n.startswith(PREFIX)]
        if stale:
            log(f"removing {len(stale)} container(s) left by an earlier run: {', '.join(stale[:5])} ...")
            run(["docker", "rm", "-f", *stale], timeout=300)
        if run(["docker", "network", "inspect", NETWORK], check=False).returncode == 0:
            run(["docker", "network", "rm", NETWORK])
        images = run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
        stale = [i for i in images if i.startswith(SNAPSHOT)]
        if stale:
            run(["docker", "rmi", *stale], timeout=300)

    def create_network(self) -> None:
        run(["docker", "network", "create", NETWORK])
        self.network = True

    def start(self, name: str, add_hosts: list[tuple[str, str]] = (), image: str = IMAGE) -> None:
        """A systemd container with the Molecule lab's options (molecule/*/molecule.yml)."""
        assert name.startswith(PREFIX), name
        extra = [f"--add-host={host}:{ip}" for host, ip in add_hosts]
        self.containers.append(name)
        run(
            [
                "docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK,
                "--cap-add", "SYS_ADMIN", "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
                *extra, image, "/lib/systemd/systemd",
            ]
        )  # fmt: skip

    def snapshot(self, name: str) -> str:
        """The container's file system as an image (bench-snapshot/<name>), removed by close()."""
        image = f"{SNAPSHOT}{name}:prepared"
        self.images.append(image)
        run(["docker", "commit", name, image], timeout=300)
        return image

    def remove(self, names: list[str]) -> None:
        mine = [n for n in names if n in self.containers]
        if mine:
            run(["docker", "rm", "-f", *mine], check=False, timeout=300)
            self.containers = [n for n in self.containers if n not in mine]

    def close(self) -> None:
        self.remove(list(self.containers))
        if self.network:
            run(["docker", "network", "rm", NETWORK], check=False)
            self.network = False
        if self.images:
            run(["docker", "rmi", *self.images], check=False, timeout=300)
            self.images = []

    @staticmethod
    def exec(name: str, *cmd: str, timeout: float = 120) -> str:
        return run(["docker", "exec", name, *cmd], timeout=timeout).stdout

    @staticmethod
    def ip(name: str) -> str:
        fmt = '{{(index .NetworkSettings.Networks "' + NETWORK + '").IPAddress}}'
        return run(["docker", "inspect", "-f", fmt, name]).stdout.strip()


# --------------------------------------------------------------------------- ansible


class Playbook:
    def __init__(self, seconds: float, output: str, recap: dict[str, dict[str, int]], log_file: Path) -> None:
        self.seconds = seconds
        self.output = output
        self.recap = recap
        self.log_file = log_file

    def total(self, key: str) -> int:
        return sum(host[key] for host in self.recap.values())

    @property
    def tasks(self) -> int:
        """Task results of all hosts (ok, which includes changed, + skipped + failed + unreachable)."""
        return sum(h["ok"] + h["skipped"] + h["failed"] + h["unreachable"] for h in self.recap.values())


RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)",
    re.M,
)
RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "ANSIBLE_COLLECTIONS_PATH": env.get("ANSIBLE_COLLECTIONS_PATH") or str(ROOT / ".build" / "collections"),
            "ANSIBLE_ROLES_PATH": str(ROOT / "molecule" / "resources" / "roles"),
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_FORKS": str(FORKS),
            "ANSIBLE_PIPELINING": "1" if PIPELINING else "0",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",  # the time of each task, in the logs
        }
    )
    env.update(extra or {})
    return env


def playbook(name: str, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800) -> Playbook:
    """Run ansible-playbook, timed as a whole (start of the process to its end)."""
    log_file = WORK / "logs" / f"{name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "ansible-playbook"), *args]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=ansible_env(env),
        timeout=timeout,
    )
    seconds = time.perf_counter() - start
    log_file.write_text(f"$ {' '.join(cmd)}\n# {seconds:.1f} s, rc {proc.returncode}\n{proc.stdout}")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise BenchError(f"{name}: ansible-playbook failed (rc {proc.returncode}); log {log_file}\n{tail}")
    recap = {m[0]: dict(zip(RECAP_KEYS, map(int, m[1:]))) for m in RECAP.findall(proc.stdout)}
    if not recap:
        raise BenchError(f"{name}: no play recap in the output; log {log_file}")
    return Playbook(seconds, proc.stdout, recap, log_file)


def write_inventory(path: Path, inventory: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(inventory, indent=1) + "\n")  # JSON is YAML: Ansible's yaml inventory reads it
    return path


def inventory_path(name: str) -> Path:
    return WORK / "inventories" / f"{name}.yml"


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = int(re.search(r"^MemTotal:\s+(\d+)", meminfo, re.M).group(1))
    os_release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', Path("/etc/os-release").read_text(), re.M))
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "-"
    ansible_core = run([str(BIN / "ansible-playbook"), "--version"]).stdout.splitlines()[0]
    wrk = shutil.which("wrk")
    wrk_version = run([wrk, "--version"], check=False).stdout.splitlines()[0] if wrk else "not installed"
    docker = run(["docker", "version", "--format", "{{.Server.Version}}"], check=False).stdout.strip()
    return {
        "CPU": f"{model.group(1) if model else platform.processor()}, {os.cpu_count()} cores (online: {len(os.sched_getaffinity(0))})",
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Kernel": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Host OS": f"{os_release.get('PRETTY_NAME', '-')} (debian_version {debian})",
        "ansible-core": re.sub(r"^ansible-playbook\s*", "", ansible_core).strip("[] ").replace("core ", ""),
        "Python (controller)": platform.python_version(),
        "wrk": re.sub(r"\s*Copyright.*$", "", wrk_version),
        "Docker": docker,
        "Lab image": f"{IMAGE} (the cluster of sections 1, 2 and 4)",
        "Collection": collection_revision(),
    }


def collection_revision() -> str:
    """The commit of this checkout, and whether the working tree differs from it (what was measured)."""
    head = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip()
    return f"bbb.cluster_proxy at {head}" + (" with uncommitted changes in the working tree" if dirty else "")


def container_versions(name: str, what: str = "lab image") -> dict[str, str]:
    nginx = run(["docker", "exec", name, "nginx", "-v"]).stderr.strip().replace("nginx version: ", "")
    debian = Lab.exec(name, "cat", "/etc/debian_version").strip()
    openssl = Lab.exec(name, "openssl", "version").strip()
    return {f"nginx ({what})": nginx, f"Debian ({what})": debian, f"OpenSSL ({what})": openssl}


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed: install the Debian package 'wrk' (apt-get install wrk) and run again")
    log("installing the Debian package wrk")
    if run(["apt-get", "install", "-y", "wrk"], check=False, timeout=600).returncode != 0:
        run(["apt-get", "update"], timeout=600)
        run(["apt-get", "install", "-y", "wrk"], timeout=600)


def wait_for_systemd(names: list[str]) -> None:
    for name in names:
        for _ in range(60):
            state = run(["docker", "exec", name, "systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        else:
            raise BenchError(f"systemd did not come up in {name} (state: {state})")


def node_name(i: int, width: int) -> str:
    return f"{PREFIX}node-{i:0{width}d}.{DOMAIN}"


def version_of(i: int) -> str:
    return VERSIONS[(i - 1) % len(VERSIONS)]


# --------------------------------------------------------------------------- 1. assets, 2. cache500


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


def nginx_cpu(name: str) -> dict:
    return json.loads(Lab.exec(name, "python3", "-c", CPU_PROBE))


def cpu_seconds(before: dict, after: dict) -> float:
    """CPU time the nginx processes used between two probes (a process that started in between counts whole)."""
    ticks = sum(max(0, t - before["ticks"].get(pid, 0)) for pid, t in after["ticks"].items())
    return ticks / after["hz"]


UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


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


def bench_file(i: int, size: int) -> bytes:
    """A script of `size` bytes that does not compress (digests), the same in every run."""
    head = f"/* bbb.cluster_proxy benchmark asset, {size} bytes */\n".encode()
    lines, n = [head], len(head)
    while n < size:
        line = f"var b{i}_{len(lines)} = '{hashlib.sha256(f'{i}-{size}-{len(lines)}'.encode()).hexdigest()}';\n"
        lines.append(line.encode())
        n += len(line)
    return b"".join(lines)[: size - 1] + b"\n"


def write_bench_files(node: str, version: str) -> dict[str, bytes]:
    """The bench's own scripts in the node's client directory (bench/), served as /<label>/html5client/bench/."""
    directory = f"{CLIENT_DIRS[version]}/bench"
    files = {}
    for i, (name, size) in enumerate(BENCH_FILES.items()):
        body = bench_file(i, size)
        run(
            ["docker", "exec", "-i", node, "sh", "-c", f"mkdir -p {directory} && cat > {directory}/{name}"],
            input=body.decode(),
        )
        files[name] = body
    return files


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


def reload_nginx(name: str) -> None:
    """nginx -t, reload, and wait until the old workers are gone."""
    old = {p["pid"] for p in nginx_processes(name) if "worker process" in p["cmd"]}
    Lab.exec(name, "nginx", "-t", "-q")
    Lab.exec(name, "systemctl", "reload", "nginx")
    nginx_memory(name, old)


def proxy_conf(proxy: str) -> str:
    return Lab.exec(proxy, "cat", "/etc/nginx/conf.d/bbb-cluster-proxy.conf")


def bench_assets(proxy: str, node: str, inventory: Path, n: int) -> dict:
    """Direct; proxy as rendered (keepalive, no cache); keepalive lines deleted; with the cache (role re-run)."""
    ensure_wrk()
    label = node.split(".")[0]
    paths = {"html": f"/{label}/html5client/", "js": f"/{label}/html5client/bench/asset-200k.js"}
    proxy_ip, node_ip = Lab.ip(proxy), Lab.ip(node)
    bodies = {}
    for kind, path in paths.items():
        bodies[kind], headers = check_same(proxy_ip, proxy, node_ip, node, path)
        if headers.get("X-Cache-Status"):
            raise BenchError(f"{path}: the proxy answers X-Cache-Status before the cache is switched on")
    conf = proxy_conf(proxy)
    keepalive = KEEPALIVE_LINE.findall(conf)
    upstreams = len(re.findall(r"^upstream ", conf, re.M))
    if len(keepalive) != upstreams or upstreams != n:
        raise BenchError(
            f"the rendered proxy file has {upstreams} upstream blocks and {len(keepalive)} keepalive lines"
        )
    both = {"node": node, "proxy": proxy}
    results = []

    def measure(variant: str) -> None:
        """Per file: the node directly and through the proxy, interleaved (pair)."""
        for kind, path in paths.items():
            direct, proxied = pair(
                (node_ip, node, path),
                (proxy_ip, proxy, path),
                f"{variant}-{kind}",
                bodies[kind],
                ({"node": node}, both),
            )
            results.append({"variant": variant, "kind": kind, "direct": direct, "proxy": proxied})

    measure("proxy-keepalive")

    log("proxy: deleting the keepalive lines of the rendered file, nginx -t, reload")
    Lab.exec(proxy, "sed", "-i", r"/^\s*keepalive [0-9]\+;$/d", "/etc/nginx/conf.d/bbb-cluster-proxy.conf")
    if KEEPALIVE_LINE.search(proxy_conf(proxy)):
        raise BenchError("the keepalive lines are still in the proxy's file after sed")
    reload_nginx(proxy)
    for path in paths.values():
        check_same(proxy_ip, proxy, node_ip, node, path)
    measure("proxy-no-keepalive")

    log("proxy role with bbb_proxy_asset_cache: true (tools/bench/proxy.yml)")
    cache_run = playbook(
        "assets-proxy-cache",
        ["-i", str(inventory), str(BENCH_DIR / "proxy.yml"), "-e", json.dumps({"bbb_proxy_asset_cache": True})],
    )
    if cache_run.recap[proxy]["changed"] == 0:
        raise BenchError("switching the asset cache on changed nothing on the proxy")
    restored = len(KEEPALIVE_LINE.findall(proxy_conf(proxy)))
    if restored != n:
        raise BenchError(f"after the role's run the proxy's file has {restored} keepalive lines, want {n}")
    warmup = warm_up(proxy_ip, proxy, paths["js"], bodies["js"])
    _, html_headers, _ = https_get(proxy_ip, proxy, paths["html"])
    measure("proxy-cache")
    _, headers, _ = https_get(proxy_ip, proxy, paths["js"])
    return {
        "node": node,
        "paths": paths,
        "bytes": {kind: len(body) for kind, body in bodies.items()},
        "keepalive_lines": len(keepalive),
        "keepalive": keepalive[0].strip(),
        "warmup": warmup,
        "after": headers.get("X-Cache-Status", "-"),
        "html_cache_status": html_headers.get("X-Cache-Status", "none"),
        "results": results,
        "cluster": n,
    }


def idle_node_name(first_label: str, i: int) -> str:
    """Names that sort between the cluster's first and last real node (the role orders nodes by label)."""
    return f"{first_label}-idle-{i:03d}.{DOMAIN}"


def bench_cache500(proxy: str, nodes: list[str], files: dict[str, dict[str, bytes]]) -> dict:
    """The cluster's proxy configured for CACHE_NODES nodes: the real first and last, the others never asked."""
    ensure_wrk()
    real = [nodes[0], nodes[-1]] if len(nodes) > 1 else nodes[:1]
    first_label = real[0].split(".")[0]
    idle = [idle_node_name(first_label, i) for i in range(1, CACHE_NODES - len(real) + 1)]
    addresses = {name: [f"198.18.{i // 250}.{i % 250 + 1}"] for i, name in enumerate(idle, start=1)}
    inventory = cluster_inventory(proxy, nodes)
    proxy_vars = inventory["all"]["children"]["bbb_proxy"]["vars"]
    proxy_vars.update(
        {"bbb_proxy_probe_nodes": False, "bbb_proxy_asset_cache": True, "bbb_proxy_node_addresses": addresses}
    )
    versions = {name: version_of(nodes.index(name) + 1) for name in real}
    inventory["all"]["children"]["bbb_nodes"] = {
        "hosts": {
            **{
                name: {"bbb_node_version": versions[name], "ansible_connection": "community.docker.docker"}
                for name in real
            },
            **{name: {"bbb_node_version": version_of(i), "ansible_connection": "local"} for i, name in enumerate(idle)},
        }
    }
    path = write_inventory(inventory_path(f"cache-{CACHE_NODES}"), inventory)
    log(f"cache500: bbb_proxy role for {CACHE_NODES} nodes ({len(real)} real), asset cache on")
    role = playbook(f"cache-{CACHE_NODES}", ["-i", str(path), str(BENCH_DIR / "scale.yml")])
    conf = proxy_conf(proxy)
    order = re.findall(r"^upstream bbb_cluster_proxy_(\S+) \{", conf, re.M)
    labels = [name.split(".")[0] for name in real]
    if len(order) != CACHE_NODES or order[0] != labels[0] or order[-1] != labels[-1]:
        raise BenchError(
            f"cache500: the proxy's file has {len(order)} upstreams from {order[:1]} to {order[-1:]}; "
            f"want {CACHE_NODES} from {labels[0]} to {labels[-1]}"
        )
    down = len(re.findall(r"^\s+server \S+ down;", conf, re.M))
    proxy_ip = Lab.ip(proxy)
    rows = []
    for position, name in zip(("first", "last"), real):
        label, node_ip = name.split(".")[0], Lab.ip(name)
        for file, body in files[name].items():
            url = f"/{label}/html5client/bench/{file}"
            check_same(proxy_ip, proxy, node_ip, name, url)
            warmup = warm_up(proxy_ip, proxy, url, body)
            tag = f"cache{CACHE_NODES}-{position}-{file}"
            direct, cached = pair(
                (node_ip, name, url),
                (proxy_ip, proxy, url),
                tag,
                body,
                ({"node": name}, {"node": name, "proxy": proxy}),
            )
            _, headers, _ = https_get(proxy_ip, proxy, url)
            rows.append(
                {
                    "position": position,
                    "node": name,
                    "version": versions[name],
                    "path": url,
                    "bytes": len(body),
                    "direct": direct,
                    "cached": cached,
                    "warmup": warmup,
                    "after": headers.get("X-Cache-Status", "-"),
                }
            )
    return {
        "nodes": CACHE_NODES,
        "real": real,
        "idle": len(idle),
        "idle_first": idle[0] if idle else "-",
        "idle_last": idle[-1] if idle else "-",
        "role_s": role.seconds,
        "conf_kb": len(conf.encode()) / 1024,
        "down": down,
        "rows": rows,
        "cluster": len(nodes),
    }


# --------------------------------------------------------------------------- 2. scale


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


def suite_image(suite: str) -> str:
    return IMAGE if suite == "bookworm" else f"bbb-cluster-proxy/debian-systemd:{suite}"


def bench_scale(lab: Lab, suite: str, sizes: list[int], variant: bool) -> dict:
    proxy = f"{PREFIX}scale-{suite}.{DOMAIN}"
    width = max(3, len(str(max(sizes))))
    # The role resolves the nodes' names on the proxy when it renders the file (a name that does not resolve
    # gets a `down` upstream): give every node an address in /etc/hosts (RFC 2544 benchmarking range; nothing
    # is ever sent there).
    hosts = [(node_name(i, width), f"198.18.{i // 250}.{i % 250 + 1}") for i in range(1, max(sizes) + 1)]
    lab.start(proxy, hosts, image=suite_image(suite))
    tls = {
        "bbb_proxy_tls_certificate": f"/etc/ssl/bench/{proxy}.crt",
        "bbb_proxy_tls_certificate_key": f"/etc/ssl/bench/{proxy}.key",
    }

    def inventory(n: int, **extra) -> Path:
        nodes = {node_name(i, width): {"bbb_node_version": version_of(i)} for i in range(1, n + 1)}
        return write_inventory(
            inventory_path(f"scale-{suite}-{n}{'-variant' if extra else ''}"),
            {
                "all": {
                    "vars": {"bbb_cluster_proxy_hostname": proxy},
                    "children": {
                        "bbb_proxy": {
                            "hosts": {proxy: {}},
                            "vars": {
                                "ansible_connection": "community.docker.docker",
                                "bbb_proxy_probe_nodes": False,
                                **tls,
                                **extra,
                            },
                        },
                        "bbb_nodes": {"hosts": nodes, "vars": {"ansible_connection": "local"}},  # never contacted
                    },
                }
            },
        )

    def measure(n: int, name: str, **extra) -> dict:
        log(f"scale {suite}: bbb_proxy role for {n} nodes{' ' + str(extra) if extra else ''}")
        old_workers = {p["pid"] for p in nginx_processes(proxy) if "worker process" in p["cmd"]}
        role = playbook(name, ["-i", str(inventory(n, **extra)), str(BENCH_DIR / "scale.yml")])
        if role.recap[proxy]["changed"] == 0:
            raise BenchError(f"{name}: the role changed nothing; log {role.log_file}")
        conf = proxy_conf(proxy)
        blocks = len(re.findall(rf"^    # {PREFIX}node-\d+\.", conf, re.M))
        if blocks != n:
            raise BenchError(f"{name}: the proxy's configuration has {blocks} node blocks, want {n}")
        nginx_t = json.loads(Lab.exec(proxy, "python3", "-c", NGINX_T_PROBE, timeout=600))
        memory = nginx_memory(proxy, old_workers)
        row = {
            "nodes": n,
            "role_s": role.seconds,
            "tasks": role.tasks,
            "nginx_t_s": statistics.median(nginx_t),
            "nginx_t_all": nginx_t,
            "locations": len(re.findall(r"^\s+location ", conf, re.M)),
            "proxy_pass": len(re.findall(r"^\s+proxy_pass ", conf, re.M)),
            "upstreams": len(re.findall(r"^upstream ", conf, re.M)),
            "down": len(re.findall(r"^\s+server \S+ down;", conf, re.M)),
            "conf_kb": len(conf.encode()) / 1024,
            **memory,
        }
        log(
            f"{name}: role {role.seconds:.1f} s, nginx -t {row['nginx_t_s']:.2f} s, "
            f"PSS {memory['pss_kb']} kB ({memory['procs']} processes)"
        )
        return row

    wait_for_systemd([proxy])
    playbook(f"scale-{suite}-prepare", ["-i", str(inventory(1)), str(BENCH_DIR / "scale_prepare.yml")])
    versions = container_versions(proxy, f"{suite} image")
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    bundle_certs = Lab.exec(proxy, "cat", bundle).count("BEGIN CERTIFICATE")
    baseline = nginx_memory(proxy)
    log(f"scale {suite}: baseline nginx (Debian's configuration) PSS {baseline['pss_kb']} kB")
    rows = [measure(n, f"scale-{suite}-{n}") for n in sizes]
    # The same largest configuration, verifying the nodes against one CA certificate instead of Debian's
    # bundle: what the CA file costs (before issue 14 nginx read it once per node location).
    one_ca = None
    if variant:
        one_ca = measure(
            max(sizes),
            f"scale-{suite}-{max(sizes)}-one-ca",
            bbb_proxy_upstream_ca_file=tls["bbb_proxy_tls_certificate"],
        )
    lab.remove([proxy])
    return {
        "suite": suite,
        "image": suite_image(suite),
        "nginx": versions[f"nginx ({suite} image)"],
        "baseline": baseline,
        "rows": rows,
        "variant": one_ca,
        "bundle": bundle,
        "bundle_certs": bundle_certs,
        "versions": versions,
    }


# --------------------------------------------------------------------------- 3. rollout (+ 1. assets)


def cluster_inventory(proxy: str, nodes: list[str]) -> dict:
    """As .config/molecule/config.yml and molecule/*/molecule.yml, with the docker connection."""
    return {
        "all": {
            "vars": {"bbb_cluster_proxy_hostname": proxy},
            "children": {
                "bbb_proxy": {
                    "hosts": {proxy: {}},
                    "vars": {
                        "ansible_connection": "community.docker.docker",
                        "bbb_proxy_tls_certificate": f"/etc/ssl/bbb-lab/{proxy}.crt",
                        "bbb_proxy_tls_certificate_key": f"/etc/ssl/bbb-lab/{proxy}.key",
                    },
                },
                "bbb_nodes": {
                    "hosts": {
                        name: {
                            "bbb_lab_node_version": version_of(i),
                            "bbb_lab_node_release": RELEASES[version_of(i)],
                            "bbb_lab_node_secret": f"bench-secret-{i:04d}-do-not-leak",
                        }
                        for i, name in enumerate(nodes, start=1)
                    },
                    "vars": {
                        "ansible_connection": "community.docker.docker",
                        "bbb_node_html5_extra_settings": {
                            "public": {"kurento": {"cameraProfiles": [{"id": "high", "default": True}]}}
                        },
                    },
                },
            },
        }
    }


def prepare_cluster(lab: Lab, n: int) -> tuple[str, list[str], dict[str, str], float]:
    """One proxy + n nodes prepared by the lab's prepare.yml, kept as images (the containers are removed)."""
    proxy = f"{PREFIX}proxy.{DOMAIN}"
    nodes = [node_name(i, 2) for i in range(1, n + 1)]
    scratch = WORK / "pki"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        log(f"lab: starting 1 proxy + {n} node containers, prepare (molecule/resources/prepare.yml)")
        for name in [proxy, *nodes]:
            lab.start(name)
        inventory = write_inventory(inventory_path("cluster-prepare"), cluster_inventory(proxy, nodes))
        prep = playbook(
            "cluster-prepare",
            ["-i", str(inventory), str(ROOT / "molecule" / "resources" / "prepare.yml")],
            env={"MOLECULE_EPHEMERAL_DIRECTORY": str(scratch), "ANSIBLE_FORKS": str(PREPARE_FORKS)},
        )
        log(f"lab: prepared in {prep.seconds:.0f} s; snapshots of the prepared containers")
        snapshots = {name: lab.snapshot(name) for name in [proxy, *nodes]}
        return proxy, nodes, snapshots, prep.seconds
    finally:
        lab.remove([proxy, *nodes])


def bench_cluster(lab: Lab, n: int, proxy: str, all_nodes: list[str], snapshots: dict[str, str], extra: set[str]):
    """First converge and no-op re-run of site for the proxy and the first n nodes, fresh from the snapshots;
    then the benchmarks in `extra` (assets, cache500) on that cluster."""
    nodes = all_nodes[:n]
    try:
        log(f"cluster {n}: starting 1 proxy + {n} node containers from the prepared snapshots")
        for name in [proxy, *nodes]:
            lab.start(name, image=snapshots[name])
        wait_for_systemd([proxy, *nodes])
        inventory = write_inventory(inventory_path(f"cluster-{n}"), cluster_inventory(proxy, nodes))
        site = ["-i", str(inventory), "bbb.cluster_proxy.site", "-e", f"bbb_cluster_serial={FORKS}"]
        log(f"cluster {n}: site, first converge")
        first = playbook(f"cluster-{n}-site-first", site)
        log(f"cluster {n}: first converge {first.seconds:.1f} s; site again (no-op)")
        noop = playbook(f"cluster-{n}-site-noop", site)
        changed = {h: r["changed"] for h, r in noop.recap.items() if r["changed"]}
        if changed:
            raise BenchError(f"cluster {n}: the re-run of site changed {changed}; log {noop.log_file}")
        if len(noop.recap) != n + 2:  # localhost, the proxy, the nodes
            raise BenchError(f"cluster {n}: the recap lists {sorted(noop.recap)}; log {noop.log_file}")
        log(f"cluster {n}: no-op re-run {noop.seconds:.1f} s, changed=0 on every host")
        result = {
            "nodes": n,
            "first_s": first.seconds,
            "first_tasks": first.tasks,
            "first_changed": first.total("changed"),
            "noop_s": noop.seconds,
            "noop_tasks": noop.tasks,
            "noop_node_tasks": sum(
                r["ok"] + r["skipped"] + r["failed"] + r["unreachable"] for h, r in noop.recap.items() if h in nodes
            )
            / n,
            "noop_changed": noop.total("changed"),
            "versions": container_versions(proxy),
        }
        found = {}
        if extra:
            # The bench's own files in the real nodes' client directories (not the lab role's).
            files = {name: write_bench_files(name, version_of(i)) for i, name in enumerate(nodes, start=1)}
        if "assets" in extra:
            found["assets"] = bench_assets(proxy, nodes[0], inventory, n)
        if "cache500" in extra:
            found["cache500"] = bench_cache500(proxy, nodes, files)
        return result, found
    finally:
        lab.remove([proxy, *nodes])


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def growth(rows: list[dict], key: str, per: str = "nodes") -> list[float | None]:
    """Cost per unit of each step from the previous size (None for the first)."""
    out: list[float | None] = [None]
    for a, b in zip(rows, rows[1:]):
        out.append((b[key] - a[key]) / (b[per] - a[per]))
    return out


def is_linear(steps: list[float | None]) -> bool | None:
    steps = [s for s in steps if s is not None]
    if len(steps) < 2:
        return None
    return steps[-1] <= LINEAR_TOLERANCE * max(steps[-2], 1e-9)


def command() -> str:
    """The command line that reproduces this run (make bench and the knobs set)."""
    knobs = [
        f"{k}={os.environ[k]}"
        for k in sorted(os.environ)
        if k.startswith("BENCH_") or (k == "BBB_LAB_IMAGE" and os.environ[k])
    ]
    return " ".join([*knobs, "make bench"])


def other_containers() -> int:
    """Running containers on the Docker daemon that are not ours (the other engineer's lab)."""
    names = run(["docker", "ps", "--format", "{{.Names}}"], check=False).stdout.split()
    return len([n for n in names if not n.startswith(PREFIX)])


def report(info: dict[str, str], results: dict, started: float) -> str:
    targets: list[tuple[str, str, str]] = []  # (section, target, measured and verdict), filled by the sections
    sections = []
    if "assets" in results:
        sections += report_assets(results["assets"], targets)
    if "cache500" in results:
        sections += report_cache500(results["cache500"], targets)
    if "scale" in results:
        sections += report_scale(results["scale"], targets)
    if "rollout" in results:
        sections += report_rollout(results["rollout"], targets)
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by tools/bench.py (`make bench`); do not edit by hand, run it again. -->",
        "",
        f"The figures below come from one run on a **shared {os.cpu_count()}-core machine** (other engineers' "
        f"Molecule runs may share its CPUs and Docker daemon: {info.pop('_others')}), so read them as orders of "
        f"magnitude and ratios, not as capacity figures. Reproduce them with `{command()}` (about "
        f"{math.ceil((time.time() - started) / 60)} minutes here)"
        + (
            ""
            if QUICK
            else "; `BENCH_QUICK=1 make bench` is a short smoke run that writes `.build/bench/benchmarks.md`"
        )
        + ". "
        "Logs of every run, with the time of each task and the output of each wrk run: `.build/bench/logs/`.",
        "",
        "No benchmark is part of `make test` and nothing asserts a time: a missed target is reported here, not failed.",
        "",
        "## Targets",
        "",
        "| section | target | this run |",
        "|---|---|---|",
    ]
    lines += [f"| {section} | {target} | {measured} |" for section, target, measured in targets]
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines.append("")
    lines += sections
    return "\n".join(lines).rstrip() + "\n"


def us(value: float) -> str:
    return f"{value:.0f} µs" if value >= 10 else f"{value:.1f} µs"


def size(n: float) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 10240 else f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n:.0f} bytes"


ASSET_VARIANTS = {
    "proxy-keepalive": "as the role renders it (upstream `keepalive`), no cache",
    "proxy-no-keepalive": "`keepalive` lines deleted, no cache",
    "proxy-cache": "`bbb_proxy_asset_cache: true`",
}


def report_assets(a: dict, targets: list) -> list[str]:
    res = {(r["variant"], r["kind"]): r for r in a["results"]}
    kinds = {"html": "html page", "js": "200 KiB script"}

    def rate(variant: str, kind: str) -> float:
        r = res[(variant, kind)]
        return r["proxy"]["rps"] / r["direct"]["rps"]

    def node_cpu(variant: str, kind: str) -> float:
        r = res[(variant, kind)]
        return r["proxy"]["cpu_us"]["node"] / max(r["direct"]["cpu_us"]["node"], 1e-9)

    def accepted(variant: str, kind: str) -> float:
        return res[(variant, kind)]["proxy"]["accepted"]["node"]

    errors = [r for r in a["results"] for w in (r["direct"], r["proxy"]) if w["socket_errors"]]
    unjudged = "not judged: socket errors (see the table)" if errors else None
    ka, noka = "proxy-keepalive", "proxy-no-keepalive"
    rate_ok = all(rate(ka, k) >= 0.45 for k in kinds)
    cpu_ok = all(node_cpu(ka, k) <= 2 for k in kinds)
    rate_text = ", ".join(f"{kinds[k]} **{rate(ka, k):.2f}x**" for k in kinds)
    cpu_text = ", ".join(f"{kinds[k]} **{node_cpu(ka, k):.2f}x**" for k in kinds)
    rate_verdict = unjudged or verdict(rate_ok)
    cpu_verdict = unjudged or verdict(cpu_ok)
    targets += [
        ("1", "no cache, upstream keepalive: ≥ 0.45x the direct rate (html page and 200 KiB script)",
         f"{rate_text}: {rate_verdict}"),
        ("1", "node nginx CPU per proxied request (keepalive, no cache) ≤ 2x per direct request",
         f"{cpu_text}: {cpu_verdict}"),
    ]  # fmt: skip

    def both(fmt) -> str:
        """One figure per file: "<figure> (html page) and <figure> (200 KiB script)"."""
        return " and ".join(f"{fmt(k)} ({kinds[k]})" for k in kinds)

    def spread(kind: str) -> float:
        rates = [res[(variant, kind)]["direct"]["rps"] for variant in ASSET_VARIANTS]
        return max(rates) / min(rates)

    lines = [
        "## 1. Client delivery",
        "",
        f"Target: without the cache, with upstream keepalive, the proxy serves at least 0.45x the direct rate for "
        f"both files. Measured: {rate_text}; {rate_verdict}.",
        "",
        f"Target: the node's nginx spends at most 2x the CPU time per proxied request (keepalive, no cache) that it "
        f"spends per direct request. Measured: {cpu_text}; {cpu_verdict}.",
        "",
        "| file | proxy | direct requests/s | through the proxy | vs direct | node nginx CPU per request: direct, "
        "proxied | vs direct | TCP connections the node accepted per proxied request | proxy nginx CPU per request "
        "| mean latency of each run: direct, proxied | requests: direct, proxied "
        "| socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        for variant, name in ASSET_VARIANTS.items():
            d, p = res[(variant, kind)]["direct"], res[(variant, kind)]["proxy"]
            lines.append(
                f"| {kinds[kind]} ({size(a['bytes'][kind])}) | {name} | {d['rps']:.0f} | {p['rps']:.0f} | "
                f"{rate(variant, kind):.2f}x | {us(d['cpu_us']['node'])}, {us(p['cpu_us']['node'])} | "
                f"{node_cpu(variant, kind):.2f}x | {accepted(variant, kind):.3f} | {us(p['cpu_us']['proxy'])} | "
                f"{d['latency']}, {p['latency']} | {d['requests']}, {p['requests']} | "
                f"{d['socket_errors'] + p['socket_errors']} |"
            )
    lines += [
        "",
        "Keepalive: with the `keepalive` lines deleted, the proxy serves "
        + both(lambda k: f"{rate(noka, k):.2f}x")
        + " of the direct rate, against "
        + both(lambda k: f"{rate(ka, k):.2f}x")
        + " with them; the node accepts "
        + both(lambda k: f"{accepted(noka, k):.2f}")
        + " TCP connections per proxied request, against "
        + both(lambda k: f"{accepted(ka, k):.3f}")
        + "; and the node's nginx spends "
        + both(lambda k: f"{node_cpu(noka, k):.2f}x")
        + " the CPU time of a direct request per proxied request, against "
        + both(lambda k: f"{node_cpu(ka, k):.2f}x")
        + ". With the cache: "
        + both(lambda k: f"{rate('proxy-cache', k):.2f}x")
        + f" of the direct rate; the html page is not a cached type (the proxy's answer has X-Cache-Status: "
        f"{a['html_cache_status']}), so it goes to the node as without the cache. The direct rates of the three "
        "pairs of the same file differ by up to "
        + both(lambda k: f"{spread(k):.2f}x")
        + ": the spread of this shared machine over a few minutes, which is why each proxied figure is compared with "
        "direct runs interleaved with it.",
        "",
        f"How: the {a['cluster']}-node cluster of the rollout benchmark after its first converge and no-op re-run, "
        f"node `{a['node']}` (BBB 3.0). The html page is the node's client page `{a['paths']['html']}` "
        f"({a['bytes']['html']} bytes); the script `{a['paths']['js']}` ({a['bytes']['js']} bytes of hex digests, which "
        f"do not compress) is written into the node's client directory by the bench before it measures. "
        f"wrk with {WRK_THREADS} threads and {WRK_CONNECTIONS} connections on the host against the containers' "
        f"addresses on the `bbb-bench` network, HTTPS with keep-alive, `Host:` the node's or the proxy's hostname; for "
        f"each file and proxy variant {ROUNDS} round(s) of four runs of {max(1, round(WRK_DURATION / 2))} s in the "
        f"order direct, proxy, proxy, direct, so that a load that rises or falls steadily weighs on both alike and a "
        f"passing spike weighs on one run of {2 * ROUNDS}, each run after an uncounted 1 s run of the same URL "
        f"(rates: the mean of the {2 * ROUNDS} runs of each; per-request figures: over the requests of all of them). "
        f"Every answer must be 200 (wrk's non-2xx count 0) and at least as long as the file (wrk's bytes read per "
        f"request); one request per file and variant, straight and through the proxy, must return the same bytes. "
        f"The variants, in this order: the proxy as the role rendered it ({a['keepalive_lines']} upstream blocks, each "
        f"with `{a['keepalive']}`); the {a['keepalive_lines']} `keepalive` lines deleted from the rendered "
        f"`/etc/nginx/conf.d/bbb-cluster-proxy.conf` with `sed`, `nginx -t`, `systemctl reload nginx` (nothing else "
        f"changed; the `Connection` header still comes from the role's map); the proxy role again with "
        f"`-e '{{\"bbb_proxy_asset_cache\": true}}'` (`tools/bench/proxy.yml`, which writes the file anew, `keepalive` "
        f"lines included: checked) and a warm-up of the script until `X-Cache-Status: HIT` (`proxy_cache_min_uses 3`; "
        f"warm-up answers: {', '.join(a['warmup'])}; after the measurement: {a['after']}). *CPU per request*: utime + "
        f"stime of all nginx processes of the container (`/proc/<pid>/stat`, clock ticks of `SC_CLK_TCK` inside it) "
        f"before and after each wrk run, divided by the requests wrk made. *TCP connections accepted*: `PassiveOpens` "
        f"of the container's `/proc/net/snmp` over the same span, per request. wrk, both nginx "
        f"and the other jobs on the machine share the same {os.cpu_count()} cores.",
        "",
    ]
    return lines


def report_cache500(c: dict, targets: list) -> list[str]:
    rows = c["rows"]
    errors = [r for r in rows for w in (r["direct"], r["cached"]) if w["socket_errors"]]
    ok = all(r["cached"]["rps"] / r["direct"]["rps"] >= 0.95 for r in rows)
    measured = ", ".join(
        f"{r['position']} node {size(r['bytes'])} **{r['cached']['rps'] / r['direct']['rps']:.2f}x**" for r in rows
    )
    judged = "not judged: socket errors (see the table)" if errors else verdict(ok)
    targets.append(
        (
            "2",
            f"asset cache at {c['nodes']} nodes: first and last node's asset rate ≥ 0.95x direct",
            f"{measured}: {judged}",
        )
    )
    lines = [
        f"## 2. Asset cache at {c['nodes']} nodes",
        "",
        f"Target: with the cache, a proxy configured for {c['nodes']} nodes serves the first and the last node's assets "
        f"at at least 0.95x the direct rate. Measured: {measured}; {judged}.",
        "",
        "| node | BBB | file | direct requests/s | through the proxy's cache | vs direct | node nginx CPU per direct "
        "request | proxy nginx CPU per cached request | node nginx CPU per request during the cached run | mean "
        "latency of each run: direct, cached | requests: direct, cached | socket errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d, k = r["direct"], r["cached"]
        lines.append(
            f"| {r['position']}: `{r['node']}` | {r['version']} | `{r['path']}` ({size(r['bytes'])}) | {d['rps']:.0f} | "
            f"{k['rps']:.0f} | {k['rps'] / d['rps']:.2f}x | {us(d['cpu_us']['node'])} | {us(k['cpu_us']['proxy'])} | "
            f"{us(k['cpu_us']['node'])} | "
            f"{d['latency']}, {k['latency']} | {d['requests']}, {k['requests']} | "
            f"{d['socket_errors'] + k['socket_errors']} |"
        )
    lines += [
        "",
        f"How: the proxy of section 1 (the {c['cluster']}-node cluster), with the `bbb.cluster_proxy.bbb_proxy` role "
        f"alone (`tools/bench/scale.yml`, {c['role_s']:.1f} s) configured for {c['nodes']} nodes: the cluster's real "
        f"nodes `{c['real'][0]}` and `{c['real'][-1]}`, which the rendered file lists first and last (checked: the "
        f"order of its upstream blocks), and {c['idle']} names from `{c['idle_first']}` to `{c['idle_last']}` that "
        f"never get a request, their addresses given by `bbb_proxy_node_addresses` (198.18.0.0/15, RFC 2544); "
        f"`bbb_proxy_asset_cache: true`, `bbb_proxy_probe_nodes: false`; a {c['conf_kb']:.0f} KiB file with "
        f"{c['down']} `down` upstreams. The scripts are the bench's own, written into each real node's client "
        f"directory. Per node and file: one request straight and one through the proxy (both 200, the same bytes), "
        f"a warm-up until `X-Cache-Status: HIT`, then wrk straight to the node and through the proxy as in section 1 "
        f"({ROUNDS} round(s) of direct, proxy, proxy, direct; X-Cache-Status after the runs: "
        f"{', '.join(sorted({r['after'] for r in rows}))}).",
        "",
    ]
    return lines


# Before issue 14 (docs/benchmarks.md of cd41b4f, nginx 1.22 with Debian's CA bundle, 500 nodes): a proxy_pass and a
# TLS context per node location.
OLD_SCALE_COMMIT = "cd41b4f"
OLD_SCALE = {"nodes": 500, "nginx_t_s": 14.71, "pss_mib": 743.4, "per_node_kib": 1517}


def report_scale(suites: list[dict], targets: list) -> list[str]:
    def per_node_mib(s: dict, r: dict) -> float:
        return (r["pss_kb"] - s["baseline"]["pss_kb"]) / r["nodes"] / 1024

    largest = max(r["nodes"] for s in suites for r in s["rows"])
    at = [(s, next(r for r in s["rows"] if r["nodes"] == largest)) for s in suites if s["rows"][-1]["nodes"] == largest]
    per_version = []
    for s, r in at:
        ok = r["nginx_t_s"] <= 1 and per_node_mib(s, r) <= 0.1
        per_version.append(
            f"{s['nginx']} ({s['suite']}): `nginx -t` **{r['nginx_t_s']:.2f} s**, **{per_node_mib(s, r):.3f} MiB** "
            f"per node, {verdict(ok)}"
        )
        targets.append(
            (
                "3",
                f"{largest} nodes, {s['nginx']} ({s['suite']}): `nginx -t` ≤ 1 s, PSS over baseline ≤ 0.1 MiB/node",
                f"{r['nginx_t_s']:.2f} s, {per_node_mib(s, r):.3f} MiB/node: {verdict(ok)}",
            )
        )
    role = "; ".join(f"{s['suite']} **{r['role_s']:.1f} s**, {verdict(r['role_s'] < 10)}" for s, r in at)
    targets.append(("3", f"role run at {largest} nodes under 10 s", role.replace("**", "")))
    lines = [
        "## 3. Proxy configuration at scale",
        "",
        f"Target: at {largest} nodes, per nginx version, `nginx -t` at most 1 s and nginx memory (PSS over the "
        f"baseline) at most 0.1 MiB per node, with the system CA bundle. Measured: " + "; ".join(per_version) + ".",
        "",
        f"Target: the role run under 10 s at {largest} nodes: {role}.",
        "",
        "| image (nginx) | nodes | role run | `nginx -t` | per node | upstreams (`down`) | locations | `proxy_pass` "
        "| config | nginx PSS (RSS sum) | PSS over baseline, per node |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in suites:
        variant = s["variant"]
        for r in [*s["rows"], *([variant] if variant else [])]:
            nodes = f"{r['nodes']} (one-certificate CA file)" if r is variant else str(r["nodes"])
            lines.append(
                f"| {s['suite']} ({s['nginx']}) | {nodes} | {r['role_s']:.1f} s | {r['nginx_t_s']:.2f} s | "
                f"{1000 * r['nginx_t_s'] / r['nodes']:.2f} ms | {r['upstreams']} ({r['down']}) | {r['locations']} | "
                f"{r['proxy_pass']} | {r['conf_kb']:.0f} KiB | {r['pss_kb'] / 1024:.1f} MiB ({r['rss_kb'] / 1024:.1f} MiB) "
                f"| {1024 * per_node_mib(s, r):.1f} KiB |"
            )
    proxy_pass = sorted({r["proxy_pass"] for s in suites for r in s["rows"]})
    lines += [
        "",
        "Baselines (nginx with Debian's configuration before the role ran): "
        + "; ".join(
            f"{s['suite']} {s['baseline']['pss_kb'] / 1024:.1f} MiB PSS ({s['baseline']['rss_kb'] / 1024:.1f} MiB RSS "
            f"sum, {s['baseline']['procs']} processes)"
            for s in suites
        )
        + ".",
        "",
        "The rendered file has "
        + (
            f"{proxy_pass[0]} `proxy_pass` lines at every size"
            if len(proxy_pass) == 1
            else f"{', '.join(map(str, proxy_pass))} `proxy_pass` lines depending on the size"
        )
        + f" (the named locations); before issue 14 every node location had its own, and at {OLD_SCALE['nodes']} nodes "
        f"on nginx 1.22 `nginx -t` took {OLD_SCALE['nginx_t_s']} s and nginx {OLD_SCALE['pss_mib']} MiB PSS, "
        f"{OLD_SCALE['per_node_kib']} KiB per node (docs/benchmarks.md at {OLD_SCALE_COMMIT}).",
    ]
    for s in suites:
        variant = s["variant"]
        if not variant:
            continue
        bundle = next(r for r in s["rows"] if r["nodes"] == variant["nodes"])
        lines += [
            "",
            f"The one-certificate row (kept as the comparison that shows what the CA bundle costs now): the "
            f"{s['suite']} {variant['nodes']}-node configuration again with `bbb_proxy_upstream_ca_file` set to a file "
            f"of one certificate instead of `{s['bundle']}` ({s['bundle_certs']} certificates): `nginx -t` "
            f"{variant['nginx_t_s']:.2f} s instead of {bundle['nginx_t_s']:.2f} s "
            f"({variant['nginx_t_s'] - bundle['nginx_t_s']:+.2f} s), nginx PSS {variant['pss_kb'] / 1024:.1f} MiB "
            f"instead of {bundle['pss_kb'] / 1024:.1f} MiB ({(variant['pss_kb'] - bundle['pss_kb']) / 1024:+.1f} MiB).",
        ]
    lines += ["", "Growth between sizes (cost of each added node):", ""]
    lines += ["| image | step | role run | `nginx -t` | nginx PSS |", "|---|---|---:|---:|---:|"]
    linear = []
    for s in suites:
        rows = s["rows"]
        role_steps, t_steps, mem_steps = growth(rows, "role_s"), growth(rows, "nginx_t_s"), growth(rows, "pss_kb")
        for a, b, rs, ts, ms in zip(rows, rows[1:], role_steps[1:], t_steps[1:], mem_steps[1:]):
            lines.append(
                f"| {s['suite']} | {a['nodes']} → {b['nodes']} | {1000 * rs:.1f} ms/node | {1000 * ts:.2f} ms/node | "
                f"{ms:.1f} KiB/node |"
            )
        checks = {"role run": is_linear(role_steps), "`nginx -t`": is_linear(t_steps), "memory": is_linear(mem_steps)}
        if any(v is not None for v in checks.values()):
            linear.append(
                f"{s['suite']}: "
                + ", ".join(f"{k} {'yes' if v else '**no**'}" for k, v in checks.items() if v is not None)
            )
    if linear:
        lines += [
            "",
            f"Linear growth (the last step costs at most {LINEAR_TOLERANCE}x per node what the step before cost; "
            "where the costs are a few milliseconds per node, this is mostly noise): " + "; ".join(linear) + ".",
        ]
    down = max(r["down"] for s in suites for r in s["rows"])
    lines += [
        "",
        "How: only the `bbb.cluster_proxy.bbb_proxy` role (`tools/bench/scale.yml`) on one proxy container per lab "
        "image (" + ", ".join(f"`{s['image']}`" for s in suites) + "), sizes one after the other on the same "
        "container, with a generated inventory of N nodes in `bbb_nodes` that are never contacted (`bbb_node_version` "
        "alternating 3.0 and 2.7, so half the nodes also get the 3.0 API location; `bbb_proxy_probe_nodes: false`; "
        "the asset cache off; the default `bbb_proxy_upstream_ca_file`, Debian's CA bundle; each row's nginx has "
        "gone through one reload per row above it on the same image). The role resolves the "
        "node names on the proxy when it renders the file; they are in the proxy's `/etc/hosts` (`docker run "
        f"--add-host`, 198.18.0.0/15), so every upstream has an address (at most {down} `down` upstreams in any "
        "row). *Role run*: wall time of `ansible-playbook` (start-up and inventory included), which renders the "
        "file, validates it with `nginx -t` and reloads nginx. *`nginx -t`*: median of three runs inside the "
        "container (one where a run takes 10 s or more). *Memory*: PSS summed over the nginx master and workers after "
        "the role's reload, once the old workers are gone (RSS summed in brackets; it counts pages shared by master "
        "and workers once per process).",
        "",
    ]
    return lines


# The no-op re-run before the one model (issue 13): docs/benchmarks.md of 0fd2760, 30.3 s per (N/forks) at 8 and 16
# nodes, about 58 tasks per node.
NOOP_BASELINE_COMMIT = "0fd2760"
NOOP_BASELINE_S = 30.3
NOOP_TASKS_TARGET = 25


def report_rollout(rows: list[dict], targets: list) -> list[str]:
    def per(r: dict, key: str) -> float:
        return r[key] / (r["nodes"] / FORKS)

    noop_ok = all(per(b, "noop_s") <= per(a, "noop_s") for a, b in zip(rows, rows[1:]))
    tasks_ok = all(r["noop_node_tasks"] <= NOOP_TASKS_TARGET for r in rows)
    speed_ok = per(rows[-1], "noop_s") * 2 <= NOOP_BASELINE_S
    targets += [
        ("4", "no-op re-run: changed=0 on every host", "checked at every size (the run fails otherwise)"),
        ("4", f"no-op re-run: ≤ {NOOP_TASKS_TARGET} tasks per node",
         f"at most {max(r['noop_node_tasks'] for r in rows):.1f}: {verdict(tasks_ok)}"),
        ("4", f"no-op re-run: ≤ half of {NOOP_BASELINE_COMMIT}'s {NOOP_BASELINE_S} s per (N/forks)",
         f"{per(rows[-1], 'noop_s'):.1f} s at {rows[-1]['nodes']} nodes: {verdict(speed_ok)}"),
    ]  # fmt: skip
    if len(rows) > 1:
        targets.append(("4", "no-op re-run: time per (N/forks) does not grow", verdict(noop_ok)))
    lines = [
        "## 4. Rollout cost",
        "",
        "Target: the no-op re-run changes nothing (checked: `changed=0` on every host in the recap, at every size), "
        f"costs at most {NOOP_TASKS_TARGET} tasks per node, takes at most half the time per (N/forks) of "
        f"{NOOP_BASELINE_COMMIT} ({NOOP_BASELINE_S} s), and grows no faster than nodes / forks. Tasks per node: "
        f"at most {max(r['noop_node_tasks'] for r in rows):.1f} ({verdict(tasks_ok)}); time per (N/forks) at the largest "
        f"size: {per(rows[-1], 'noop_s'):.1f} s, {NOOP_BASELINE_S / per(rows[-1], 'noop_s'):.1f}x lower ({verdict(speed_ok)}). "
        "Time per (N/forks) of the no-op re-run "
        + (
            f"{'does not grow' if noop_ok else '**grows**'} from {rows[0]['nodes']} to {rows[-1]['nodes']} nodes: {verdict(noop_ok)}."
            if len(rows) > 1
            else "needs two sizes to compare."
        ),
        "",
        "| nodes N | N / forks | first converge | tasks | changed | s per (N/forks) | no-op re-run | tasks | per node | changed | s per (N/forks) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['nodes']} | {r['nodes'] / FORKS:.2f} | {r['first_s']:.1f} s | {r['first_tasks']} | {r['first_changed']} | "
            f"{per(r, 'first_s'):.1f} | {r['noop_s']:.1f} s | {r['noop_tasks']} | {r['noop_node_tasks']:.1f} | {r['noop_changed']} | "
            f"{per(r, 'noop_s'):.1f} |"
        )
    if len(rows) > 1:
        lines += ["", "Growth from the smallest size:", ""]
        lines += [
            f"* {rows[0]['nodes']} → {r['nodes']} nodes ({r['nodes'] / rows[0]['nodes']:g}x): first converge "
            f"{r['first_s'] / rows[0]['first_s']:.2f}x, no-op re-run {r['noop_s'] / rows[0]['noop_s']:.2f}x"
            for r in rows[1:]
        ]
    lines += [
        "",
        f"How: 1 proxy + {rows[-1]['prepared']} simulated nodes (BBB 3.0 and 2.7 alternating) in containers "
        f"with the Molecule lab's options (systemd, `SYS_ADMIN`, host cgroup namespace, `/sys/fs/cgroup` rw, tmpfs "
        f"`/run`, `/run/lock`, `/tmp`) on the network `bbb-bench`, prepared once by the lab's "
        f"`molecule/resources/prepare.yml` ({rows[-1]['prepare_s']:.0f} s, not timed) and kept as images "
        f"(`docker commit`); for each N, fresh containers of the proxy and the first N nodes from those images "
        f"(booted anew, so every first converge starts from a just-prepared lab), then `ansible-playbook bbb.cluster_proxy.site -e bbb_cluster_serial={FORKS}` twice with "
        f"`ANSIBLE_FORKS={FORKS}`, the `community.docker.docker` connection and "
        + (
            "`ANSIBLE_PIPELINING=1` (about half the time of a run without it here; `BENCH_PIPELINING=0` measures without)"
            if PIPELINING
            else "no pipelining (`BENCH_PIPELINING=0`)"
        )
        + f", Ansible's defaults otherwise. The nodes are rolled out {FORKS} at a time (batch size = forks), so N/forks is the number of "
        f"batches. Times are wall time of `ansible-playbook`; *tasks* are the task results of all hosts in the play "
        f"recap (ok + skipped + failed + unreachable; ok includes changed).",
        "",
    ]
    return lines


# --------------------------------------------------------------------------- main


def main() -> int:
    unknown = set(ONLY) - set(ALL)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}")
    started = time.time()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks on kill as on Ctrl-C
    collection = (
        Path(ansible_env()["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]) / "ansible_collections/bbb/cluster_proxy"
    )
    if not collection.exists():
        raise BenchError(f"{collection} is missing: run `make collection` (make bench does)")
    images = {IMAGE} | ({suite_image(s) for s in SCALE_SUITES} if "scale" in ONLY else set())
    for image in sorted(images):
        if run(["docker", "image", "inspect", image], check=False).returncode != 0:
            raise BenchError(f"the lab image {image} is missing: run `make lab-image` (make bench does)")
    if {"assets", "cache500"} & set(ONLY):
        ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "logs", ignore_errors=True)
    log(
        f"benchmarks: {', '.join(ONLY)}; scale {SIZES} on {', '.join(SCALE_SUITES)}, cache500 {CACHE_NODES} nodes, "
        f"rollout {NODES}, forks {FORKS}; report -> {OUTPUT}"
    )

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    others_at_start = other_containers()
    results: dict = {}
    lab = Lab()
    try:
        lab.remove_leftovers()
        lab.create_network()
        on_cluster = {"assets", "cache500"} & set(ONLY)
        if "rollout" in ONLY or on_cluster:
            sizes = NODES if "rollout" in ONLY else NODES[:1]
            proxy, nodes, snapshots, prepare_s = prepare_cluster(lab, max(sizes))
            rollout = []
            for i, n in enumerate(sizes):
                row, found = bench_cluster(lab, n, proxy, nodes, snapshots, on_cluster if i == 0 else set())
                rollout.append({**row, "prepare_s": prepare_s, "prepared": max(sizes)})
                info.update(row["versions"])
                results.update(found)
            if "rollout" in ONLY:
                results["rollout"] = rollout
        if "scale" in ONLY:
            results["scale"] = []
            for suite in SCALE_SUITES:
                sizes = SIZES if suite == "bookworm" else sorted({min(SIZES), max(SIZES)})
                results["scale"].append(bench_scale(lab, suite, sizes, variant=suite == "bookworm"))
                versions = results["scale"][-1]["versions"]
                if suite_image(suite) == IMAGE and all(
                    info.get(k.replace(f"({suite} image)", "(lab image)")) == v for k, v in versions.items()
                ):  # the cluster's image: one set of rows
                    for k in versions:
                        info.pop(k.replace(f"({suite} image)", "(lab image)"), None)
                info.update(versions)
    finally:
        lab.close()
    info["Date"] = f"{date} (start of the run)"
    info["_others"] = (
        f"{others_at_start} other running containers at the start of this run, {other_containers()} at its end"
        + (
            f"; the 1-minute load average around the wrk runs of sections 1 and 2 was {min(LOADS):.1f} to "
            f"{max(LOADS):.1f} (wrk and the two nginx alone make about 2-3)"
            if LOADS
            else ""
        )
    )
    info["Wall time of the run"] = f"{(time.time() - started) / 60:.1f} min"
    (WORK / "results.json").write_text(json.dumps({"info": info, "results": results}, indent=1, default=str) + "\n")
    text = report(info, results, started)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(text)
    log(f"wrote {OUTPUT} in {(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        sys.exit(1)
