# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark 2, cache500: the asset cache of the cluster's proxy configured for BENCH_CACHE_NODES nodes, of which
only the first and the last are real (the others are never asked)."""

from __future__ import annotations

import re

from .lab import Lab, cluster_inventory, unused_address, version_of
from .load import ensure_wrk, pair
from .probes import check_same, https_get, proxy_conf, warm_up
from .runner import inventory_path, playbook, write_inventory
from .settings import BENCH_DIR, CACHE_NODES, DOMAIN
from .shell import BenchError, log


def idle_node_name(first_label: str, i: int) -> str:
    """Names that sort between the cluster's first and last real node (the role orders nodes by label)."""
    return f"{first_label}-idle-{i:03d}.{DOMAIN}"


def bench_cache500(proxy: str, nodes: list[str], files: dict[str, dict[str, bytes]]) -> dict:
    """The cluster's proxy configured for CACHE_NODES nodes: the real first and last, the others never asked."""
    ensure_wrk()
    real = [nodes[0], nodes[-1]] if len(nodes) > 1 else nodes[:1]
    first_label = real[0].split(".")[0]
    idle = [idle_node_name(first_label, i) for i in range(1, CACHE_NODES - len(real) + 1)]
    addresses = {name: [unused_address(i)] for i, name in enumerate(idle, start=1)}
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
