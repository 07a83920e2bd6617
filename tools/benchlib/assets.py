# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark 1, assets: client delivery straight from a node and through the proxy (keepalive as rendered,
keepalive lines deleted, the asset cache); the bench's own scripts in the nodes' client directories."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .lab import Lab
from .load import ensure_wrk, pair
from .probes import check_same, https_get, proxy_conf, reload_nginx, warm_up
from .runner import playbook
from .settings import BENCH_DIR, BENCH_FILES, CLIENT_DIRS
from .shell import BenchError, log, run

KEEPALIVE_LINE = re.compile(r"^\s*keepalive \d+;\n", re.M)  # one per upstream block of the rendered file


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
