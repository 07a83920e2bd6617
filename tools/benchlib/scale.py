# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark 3, scale: the bbb_proxy role alone on one proxy container per lab image, for N nodes that are never
contacted; role run, `nginx -t` and nginx memory per size."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from .lab import (
    Lab,
    container_versions,
    inventory,
    node_name,
    suite_image,
    unused_address,
    version_of,
    wait_for_systemd,
)
from .probes import nginx_memory, nginx_processes, nginx_t_times, proxy_conf
from .runner import inventory_path, playbook, write_inventory
from .settings import BENCH_DIR, DOMAIN, PREFIX
from .shell import BenchError, log


def bench_scale(lab: Lab, suite: str, sizes: list[int], variant: bool) -> dict:
    proxy = f"{PREFIX}scale-{suite}.{DOMAIN}"
    width = max(3, len(str(max(sizes))))
    # The role resolves the nodes' names on the proxy when it renders the file (a name that does not resolve
    # gets a `down` upstream): give every node an address in /etc/hosts (RFC 2544 benchmarking range; nothing
    # is ever sent there).
    hosts = [(node_name(i, width), unused_address(i)) for i in range(1, max(sizes) + 1)]
    lab.start(proxy, hosts, image=suite_image(suite))
    tls = {
        "bbb_proxy_tls_certificate": f"/etc/ssl/bench/{proxy}.crt",
        "bbb_proxy_tls_certificate_key": f"/etc/ssl/bench/{proxy}.key",
    }

    def scale_inventory(n: int, **extra) -> Path:
        nodes = {node_name(i, width): {"bbb_node_version": version_of(i)} for i in range(1, n + 1)}
        return write_inventory(
            inventory_path(f"scale-{suite}-{n}{'-variant' if extra else ''}"),
            inventory(
                proxy,
                {"bbb_proxy_probe_nodes": False, **tls, **extra},
                {"hosts": nodes, "vars": {"ansible_connection": "local"}},  # never contacted
            ),
        )

    def measure(n: int, name: str, **extra) -> dict:
        log(f"scale {suite}: bbb_proxy role for {n} nodes{' ' + str(extra) if extra else ''}")
        old_workers = {p["pid"] for p in nginx_processes(proxy) if "worker process" in p["cmd"]}
        role = playbook(name, ["-i", str(scale_inventory(n, **extra)), str(BENCH_DIR / "scale.yml")])
        if role.recap[proxy]["changed"] == 0:
            raise BenchError(f"{name}: the role changed nothing; log {role.log_file}")
        conf = proxy_conf(proxy)
        blocks = len(re.findall(rf"^    # {PREFIX}node-\d+\.", conf, re.M))
        if blocks != n:
            raise BenchError(f"{name}: the proxy's configuration has {blocks} node blocks, want {n}")
        nginx_t = nginx_t_times(proxy)
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
    playbook(f"scale-{suite}-prepare", ["-i", str(scale_inventory(1)), str(BENCH_DIR / "scale_prepare.yml")])
    versions = container_versions(proxy, f"{suite} image")
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    bundle_certs = Lab.exec(proxy, "cat", bundle).count("BEGIN CERTIFICATE")
    baseline = nginx_memory(proxy)
    log(f"scale {suite}: baseline nginx (Debian's configuration) PSS {baseline['pss_kb']} kB")
    rows = [measure(n, f"scale-{suite}-{n}") for n in sizes]
    # The same largest configuration, verifying the nodes against one CA certificate instead of Debian's
    # bundle: what the CA file costs (before the shared upstream TLS contexts nginx read it once per
    # node location).
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
