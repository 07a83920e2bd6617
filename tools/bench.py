# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the cluster proxy: `make bench` runs them and writes docs/benchmarks.md.

1. assets   requests per second for a client asset of a simulated node: straight from the
            node's nginx, through the proxy without and with the asset cache (wrk, same
            parameters for all three). Target: with the cache, at least 0.9x the direct rate.
2. scale    the bbb_proxy role alone on one proxy container for 10, 100 and 500 nodes that
            are never contacted: wall time of the role run and of `nginx -t`, nginx memory
            (PSS of master and workers after the role's reload) and its growth per node.
            Target: under 10 s at 500 nodes, linear growth.
3. rollout  wall time and task count of a first converge and of a no-op re-run of
            bbb.cluster_proxy.site for one proxy and 2, 8, 16 simulated nodes (the Molecule
            lab's containers and prepare step), batch size = forks. The re-run must change
            nothing (checked); its time should grow no faster than nodes / forks.

Nothing here asserts a time: a missed target is reported, not failed. The run fails only on
errors (a playbook that fails, an answer that is not 200, a cache that never hits, a re-run
that changes something). Every container it creates is named bench-* on the network
bbb-bench, and all of them are removed at the end, also on failure or Ctrl-C.

Environment:
  BENCH_QUICK=1        smoke run: scale 5 20, rollout 2, wrk 3 s; writes .build/bench/benchmarks.md
  BENCH_ONLY=a,b       run only some of assets, scale, rollout (writes .build/bench/benchmarks.md)
  BENCH_SIZES          node counts of the scale benchmark (default "10 100 500")
  BENCH_NODES          node counts of the rollout benchmark (default "2 8 16"; assets uses the first)
  BENCH_FORKS          Ansible forks and batch size (bbb_cluster_serial) of the rollout (default 4)
  BENCH_PIPELINING=0   run Ansible without pipelining (default: pipelining on)
  BENCH_WRK_THREADS, BENCH_WRK_CONNECTIONS, BENCH_WRK_DURATION   wrk parameters (2, 16, 10)
  BENCH_OUTPUT         where to write the Markdown report
  BBB_LAB_IMAGE        the lab image (default bbb-cluster-proxy/debian-systemd:bookworm)

Usage: python tools/bench.py   (or `make bench`)
"""

from __future__ import annotations

import datetime
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
ASSET = "html5client/static/app.js"  # the lab's 3.0 client (bbb_lab_node role), under /<label>/
LINEAR_TOLERANCE = 1.5  # growth is "linear" if the last step's cost per node is at most this times the step before

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_list(name: str, default: str) -> list[int]:
    values = [int(v) for v in os.environ.get(name, default).replace(",", " ").split()]
    if not values or any(v < 1 for v in values):
        raise SystemExit(f"{name} must list positive numbers, got {os.environ.get(name)!r}")
    return sorted(set(values))


ALL = ("assets", "scale", "rollout")
ONLY = [b.strip() for b in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",") if b.strip()]
SIZES = env_list("BENCH_SIZES", "5 20" if QUICK else "10 100 500")
NODES = env_list("BENCH_NODES", "2" if QUICK else "2 8 16")
FORKS = int(os.environ.get("BENCH_FORKS", "4"))
PIPELINING = os.environ.get("BENCH_PIPELINING", "1") not in ("", "0")
PREPARE_FORKS = 16  # the lab's preparation is not timed
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
WRK_DURATION = int(os.environ.get("BENCH_WRK_DURATION", "3" if QUICK else "10"))
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
        "Lab image": IMAGE,
        "Collection": collection_revision(),
    }


def collection_revision() -> str:
    """The commit of this checkout, and whether the working tree differs from it (what was measured)."""
    head = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip()
    return f"bbb.cluster_proxy at {head}" + (" with uncommitted changes in the working tree" if dirty else "")


def container_versions(name: str) -> dict[str, str]:
    nginx = run(["docker", "exec", name, "nginx", "-v"]).stderr.strip().replace("nginx version: ", "")
    debian = Lab.exec(name, "cat", "/etc/debian_version").strip()
    openssl = Lab.exec(name, "openssl", "version").strip()
    return {"nginx (lab image)": nginx, "Debian (lab image)": debian, "OpenSSL (lab image)": openssl}


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


# --------------------------------------------------------------------------- 1. assets


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


def wrk(ip: str, host: str, path: str, what: str) -> dict:
    cmd = [
        "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{WRK_DURATION}s",
        "-H", f"Host: {host}", f"https://{ip}{path}",
    ]  # fmt: skip
    log(f"wrk {what}: {' '.join(cmd[1:])}")
    out = run(cmd, timeout=WRK_DURATION + 120).stdout
    (WORK / "logs" / f"wrk-{what}.log").write_text(out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    if not rps or not requests:
        raise BenchError(f"wrk {what}: no result in its output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    latency = re.search(r"Latency\s+(\S+)", out)
    return {
        "what": what,
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, sock.groups())) if sock else 0,
        "latency": latency.group(1) if latency else "-",
    }


def bench_assets(proxy: str, node: str, inventory: Path) -> dict:
    """Direct, proxy without cache (as converged), then proxy with cache (site re-run with the cache on)."""
    ensure_wrk()
    label = node.split(".")[0]
    path = f"/{label}/{ASSET}"
    proxy_ip, node_ip = Lab.ip(proxy), Lab.ip(node)
    direct_status, _, direct_body = https_get(node_ip, node, path)
    proxy_status, proxy_headers, proxy_body = https_get(proxy_ip, proxy, path)
    if direct_status != 200 or proxy_status != 200 or proxy_body != direct_body:
        raise BenchError(
            f"{path}: direct {direct_status}, proxy {proxy_status}, same body: {proxy_body == direct_body}; want 200 and the same asset"
        )
    if proxy_headers.get("X-Cache-Status"):
        raise BenchError(f"{path}: the proxy answers X-Cache-Status before the cache is switched on")
    results = [wrk(node_ip, node, path, "direct"), wrk(proxy_ip, proxy, path, "proxy-no-cache")]

    log("proxy role with bbb_proxy_asset_cache: true (tools/bench/proxy.yml)")
    cache_run = playbook(
        "assets-proxy-cache",
        ["-i", str(inventory), str(BENCH_DIR / "proxy.yml"), "-e", json.dumps({"bbb_proxy_asset_cache": True})],
    )
    if cache_run.recap[proxy]["changed"] == 0:
        raise BenchError("switching the asset cache on changed nothing on the proxy")
    statuses = []
    for _ in range(10):  # proxy_cache_min_uses 3: a few MISSes, then HIT
        status, headers, body = https_get(proxy_ip, proxy, path)
        statuses.append(headers.get("X-Cache-Status", "-"))
        if status != 200 or body != direct_body:
            raise BenchError(f"{path} through the proxy with the cache: {status}")
        if statuses[-1] == "HIT":
            break
    else:
        raise BenchError(f"{path}: the proxy's cache never answered HIT (X-Cache-Status: {', '.join(statuses)})")
    results.append(wrk(proxy_ip, proxy, path, "proxy-cache"))
    _, headers, _ = https_get(proxy_ip, proxy, path)
    return {
        "path": path,
        "bytes": len(direct_body),
        "warmup": statuses,
        "after": headers.get("X-Cache-Status", "-"),
        "results": results,
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


def bench_scale(lab: Lab) -> dict:
    proxy = f"{PREFIX}scale-proxy.{DOMAIN}"
    width = max(3, len(str(max(SIZES))))
    # nginx resolves proxy_pass hostnames when it loads the config: give every node an
    # address (RFC 2544 benchmarking range; nothing is ever sent there).
    hosts = [(node_name(i, width), f"198.18.{i // 250}.{i % 250 + 1}") for i in range(1, max(SIZES) + 1)]
    lab.start(proxy, hosts)
    tls = {
        "bbb_proxy_tls_certificate": f"/etc/ssl/bench/{proxy}.crt",
        "bbb_proxy_tls_certificate_key": f"/etc/ssl/bench/{proxy}.key",
    }

    def inventory(n: int, **extra) -> Path:
        nodes = {node_name(i, width): {"bbb_node_version": version_of(i)} for i in range(1, n + 1)}
        return write_inventory(
            inventory_path(f"scale-{n}{'-variant' if extra else ''}"),
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
        log(f"scale: bbb_proxy role for {n} nodes{' ' + str(extra) if extra else ''}")
        old_workers = {p["pid"] for p in nginx_processes(proxy) if "worker process" in p["cmd"]}
        role = playbook(name, ["-i", str(inventory(n, **extra)), str(BENCH_DIR / "scale.yml")])
        if role.recap[proxy]["changed"] == 0:
            raise BenchError(f"{name}: the role changed nothing; log {role.log_file}")
        conf = Lab.exec(proxy, "cat", "/etc/nginx/conf.d/bbb-cluster-proxy.conf")
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
            "conf_kb": len(conf.encode()) / 1024,
            **memory,
        }
        log(
            f"{name}: role {role.seconds:.1f} s, nginx -t {row['nginx_t_s']:.2f} s, "
            f"PSS {memory['pss_kb']} kB ({memory['procs']} processes)"
        )
        return row

    wait_for_systemd([proxy])
    playbook("scale-prepare", ["-i", str(inventory(1)), str(BENCH_DIR / "scale_prepare.yml")])
    versions = container_versions(proxy)
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    bundle_certs = Lab.exec(proxy, "cat", bundle).count("BEGIN CERTIFICATE")
    baseline = nginx_memory(proxy)
    log(f"scale: baseline nginx (Debian's configuration) PSS {baseline['pss_kb']} kB")
    rows = [measure(n, f"scale-{n}") for n in SIZES]
    # The same largest configuration, verifying the nodes against one CA certificate instead
    # of Debian's bundle: shows what of the cost per node is the CA file loaded per location.
    variant = measure(
        max(SIZES), f"scale-{max(SIZES)}-one-ca", bbb_proxy_upstream_ca_file=tls["bbb_proxy_tls_certificate"]
    )
    lab.remove([proxy])
    return {
        "baseline": baseline,
        "rows": rows,
        "variant": variant,
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


def bench_cluster(lab: Lab, n: int, proxy: str, all_nodes: list[str], snapshots: dict[str, str], assets: bool):
    """First converge and no-op re-run of site for the proxy and the first n nodes, fresh from the snapshots."""
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
        asset = {**bench_assets(proxy, nodes[0], inventory), "cluster": n} if assets else None
        return result, asset
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
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by tools/bench.py (`make bench`); do not edit by hand, run it again. -->",
        "",
        f"The figures below come from one run on a **shared 2-core machine** (another engineer's Molecule runs share "
        f"its CPUs and Docker daemon: {info.pop('_others')}), so read them as orders of magnitude and ratios, not as "
        f"capacity figures. Reproduce them with `{command()}` (about {math.ceil((time.time() - started) / 60)} "
        f"minutes here)"
        + (
            ""
            if QUICK
            else "; `BENCH_QUICK=1 make bench` is a short smoke run that writes `.build/bench/benchmarks.md`"
        )
        + ". "
        "Logs of every run, with the time of each task: `.build/bench/logs/`.",
        "",
        "No benchmark is part of `make test` and nothing asserts a time: a missed target is reported here, not failed.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines.append("")

    if "assets" in results:
        lines += report_assets(results["assets"])
    if "scale" in results:
        lines += report_scale(results["scale"])
    if "rollout" in results:
        lines += report_rollout(results["rollout"])
    return "\n".join(lines).rstrip() + "\n"


def report_assets(a: dict) -> list[str]:
    by = {r["what"]: r for r in a["results"]}
    direct = by["direct"]["rps"]
    errors = [r for r in a["results"] if r["non2xx"] or r["socket_errors"]]
    ratio_cache = by["proxy-cache"]["rps"] / direct
    ratio_nocache = by["proxy-no-cache"]["rps"] / direct
    names = {
        "direct": "node's nginx, directly",
        "proxy-no-cache": "proxy, `bbb_proxy_asset_cache: false`",
        "proxy-cache": "proxy, `bbb_proxy_asset_cache: true` (cache warm)",
    }
    lines = [
        "## 1. Client asset delivery",
        "",
        f"Target: with the asset cache, the proxy serves at least 0.9x the direct rate. Measured: "
        f"**{ratio_cache:.2f}x**, target "
        + (
            "not judged: **error**, some answers were not 2xx or had socket errors (see the table)"
            if errors
            else verdict(ratio_cache >= 0.9)
        )
        + ".",
        "",
        "| path | requests/s | vs direct | requests | non-2xx | socket errors | mean latency |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in a["results"]:
        lines.append(
            f"| {names[r['what']]} | {r['rps']:.0f} | {r['rps'] / direct:.2f}x | {r['requests']} | "
            f"{r['non2xx']} | {r['socket_errors']} | {r['latency']} |"
        )
    lines += [
        "",
        f"Without the cache the proxy serves {ratio_nocache:.2f}x the direct rate: its node locations have no "
        f"`upstream` block with `keepalive` (and send `Connection: Upgrade` on every request), so nginx opens a new "
        f"TCP and TLS connection to the node, verifying its certificate, for each request it forwards.",
        "",
        f"How: `wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_DURATION}s` (the same for all three) on the host against "
        f"the containers' addresses on the `bbb-bench` network, HTTPS with keep-alive, `Host:` set to the node's or the "
        f"proxy's hostname, for `{a['path']}`, the static client script of the lab's simulated BBB 3.0 node "
        f"({a['bytes']} bytes; the figures are per-request cost, not bandwidth). This is the {a['cluster']}-node cluster "
        f"of the rollout benchmark after its converge: the proxy first as converged (no cache), then after the proxy "
        f"role ran again with `-e '{{\"bbb_proxy_asset_cache\": true}}'` (`tools/bench/proxy.yml`) and a warm-up until `X-Cache-Status: HIT` "
        f"(`proxy_cache_min_uses 3`; warm-up answers: {', '.join(a['warmup'])}; after the measurement: {a['after']}). "
        f"Every answer must be 200 (wrk's non-2xx count is 0); wrk, both nginx and the other engineer's jobs share the "
        f"same 2 cores.",
        "",
    ]
    return lines


def explain_variant(bundle: dict, one: dict) -> str:
    """What the one-certificate run says about where the cost per node comes from."""
    time_from_ca = one["nginx_t_s"] < 0.5 * bundle["nginx_t_s"]
    memory_from_ca = one["pss_kb"] < 0.8 * bundle["pss_kb"]
    return (
        "This fits an nginx that sets up TLS towards the upstream once per location that proxies to `https://` "
        "(rather than once per server): "
        + (
            "most of the load time is the CA file, read for each location"
            if time_from_ca
            else "the CA file is not what makes loading slow"
        )
        + "; "
        + (
            "most of the memory is the CA file, kept for each location"
            if memory_from_ca
            else "the memory is not the CA file but the TLS context each location gets"
        )
        + "."
    )


def report_scale(s: dict) -> list[str]:
    rows = s["rows"]
    base = s["baseline"]
    role_steps = growth(rows, "role_s")
    t_steps = growth(rows, "nginx_t_s")
    mem_steps = growth(rows, "pss_kb")
    last = rows[-1]
    lines = [
        "## 2. Proxy configuration at scale",
        "",
        f"Target: under 10 s and linear growth at {last['nodes']} nodes. Role run at {last['nodes']} nodes: "
        f"**{last['role_s']:.1f} s**, {verdict(last['role_s'] < 10)}; `nginx -t` alone: **{last['nginx_t_s']:.2f} s**, "
        f"{verdict(last['nginx_t_s'] < 10)}.",
        "",
        "| nodes | role run | per node | `nginx -t` | per node | locations | config | nginx PSS (RSS sum) | PSS over baseline, per node |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    variant = s["variant"]
    for r in [*rows, variant]:
        delta = (r["pss_kb"] - base["pss_kb"]) / r["nodes"]
        nodes = f"{r['nodes']} (one-certificate CA file)" if r is variant else str(r["nodes"])
        lines.append(
            f"| {nodes} | {r['role_s']:.1f} s | {1000 * r['role_s'] / r['nodes']:.0f} ms | {r['nginx_t_s']:.2f} s | "
            f"{1000 * r['nginx_t_s'] / r['nodes']:.1f} ms | {r['locations']} | {r['conf_kb']:.0f} KiB | "
            f"{r['pss_kb'] / 1024:.1f} MiB ({r['rss_kb'] / 1024:.1f} MiB) | {delta:.0f} KiB |"
        )
    lines += [
        "",
        f"The sizes use the role's default `bbb_proxy_upstream_ca_file`, `{s['bundle']}` ({s['bundle_certs']} "
        f"certificates). The last row is the {variant['nodes']}-node configuration again with "
        f"`bbb_proxy_upstream_ca_file` set to a file of one certificate (what a cluster with its own CA can do): "
        f"`nginx -t` {variant['nginx_t_s']:.2f} s instead of {last['nginx_t_s']:.2f} s, nginx PSS "
        f"{variant['pss_kb'] / 1024:.1f} MiB instead of {last['pss_kb'] / 1024:.1f} MiB. "
        + explain_variant(last, variant),
        "",
        f"Baseline: nginx with Debian's configuration before the role ran, {base['pss_kb'] / 1024:.1f} MiB PSS "
        f"({base['rss_kb'] / 1024:.1f} MiB RSS sum, {base['procs']} processes).",
        "",
        "Growth between sizes (cost of each added node):",
        "",
        "| step | role run | `nginx -t` | nginx PSS |",
        "|---|---:|---:|---:|",
    ]
    for a, b, rs, ts, ms in list(zip(rows, rows[1:], role_steps[1:], t_steps[1:], mem_steps[1:])):
        lines.append(
            f"| {a['nodes']} → {b['nodes']} | {1000 * rs:.1f} ms/node | {1000 * ts:.2f} ms/node | {ms:.0f} KiB/node |"
        )
    checks = {"role run": is_linear(role_steps), "`nginx -t`": is_linear(t_steps), "nginx memory": is_linear(mem_steps)}
    if any(v is not None for v in checks.values()):
        lines += [
            "",
            "Linear growth (the last step costs at most "
            f"{LINEAR_TOLERANCE}x per node what the step before cost): "
            + "; ".join(f"{k} {'yes' if v else '**no**'}" for k, v in checks.items() if v is not None)
            + ".",
        ]
    lines += [
        "",
        "How: only the `bbb.cluster_proxy.bbb_proxy` role (`tools/bench/scale.yml`) on one proxy container, sizes one "
        "after the other on the same container, with a generated inventory of N nodes in `bbb_nodes` that are never "
        "contacted (`bbb_node_version` alternating 3.0 and 2.7, so half the nodes also get the 3.0 API location; "
        "`bbb_proxy_probe_nodes: false`; the asset cache off; the default `bbb_proxy_upstream_ca_file`, Debian's CA "
        "bundle). The node hostnames are in the proxy's `/etc/hosts` (198.18.0.0/15), because nginx resolves "
        "`proxy_pass` hostnames when it loads its configuration. *Role run*: wall time of `ansible-playbook` (start-up "
        "and inventory included), which renders the file, validates it with `nginx -t` and reloads nginx. *`nginx -t`*: "
        "median of three runs inside the container (one where a run takes 10 s or more). *Memory*: PSS summed over "
        "the nginx master and workers after the "
        "role's reload, once the old workers are gone (RSS summed in brackets; it counts pages shared by master and "
        "workers once per process).",
        "",
    ]
    return lines


# The no-op re-run before the one model (issue 13): docs/benchmarks.md of 0fd2760, 30.3 s per (N/forks) at 8 and 16
# nodes, about 58 tasks per node.
NOOP_BASELINE_COMMIT = "0fd2760"
NOOP_BASELINE_S = 30.3
NOOP_TASKS_TARGET = 25


def report_rollout(rows: list[dict]) -> list[str]:
    def per(r: dict, key: str) -> float:
        return r[key] / (r["nodes"] / FORKS)

    noop_ok = all(per(b, "noop_s") <= per(a, "noop_s") for a, b in zip(rows, rows[1:]))
    tasks_ok = all(r["noop_node_tasks"] <= NOOP_TASKS_TARGET for r in rows)
    speed_ok = per(rows[-1], "noop_s") * 2 <= NOOP_BASELINE_S
    lines = [
        "## 3. Rollout cost",
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
    if run(["docker", "image", "inspect", IMAGE], check=False).returncode != 0:
        raise BenchError(f"the lab image {IMAGE} is missing: run `make lab-image` (make bench does)")
    if "assets" in ONLY:
        ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "logs", ignore_errors=True)
    log(f"benchmarks: {', '.join(ONLY)}; scale {SIZES}, rollout {NODES}, forks {FORKS}; report -> {OUTPUT}")

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    others_at_start = other_containers()
    results: dict = {}
    lab = Lab()
    try:
        lab.remove_leftovers()
        lab.create_network()
        if "rollout" in ONLY or "assets" in ONLY:
            sizes = NODES if "rollout" in ONLY else NODES[:1]
            proxy, nodes, snapshots, prepare_s = prepare_cluster(lab, max(sizes))
            rollout = []
            for i, n in enumerate(sizes):
                row, asset = bench_cluster(lab, n, proxy, nodes, snapshots, assets="assets" in ONLY and i == 0)
                rollout.append({**row, "prepare_s": prepare_s, "prepared": max(sizes)})
                info.update(row["versions"])
                if asset:
                    results["assets"] = asset
            if "rollout" in ONLY:
                results["rollout"] = rollout
        if "scale" in ONLY:
            results["scale"] = bench_scale(lab)
            info.update(results["scale"]["versions"])
    finally:
        lab.close()
    info["Date"] = f"{date} (start of the run)"
    info["_others"] = (
        f"{others_at_start} other running containers at the start of this run, {other_containers()} at its end"
    )
    info["Wall time of the run"] = f"{(time.time() - started) / 60:.1f} min"
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
