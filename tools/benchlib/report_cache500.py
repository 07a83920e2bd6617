# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 2 of the report: the asset cache at BENCH_CACHE_NODES nodes (the cache500 benchmark)."""

from __future__ import annotations

from . import baselines, settings
from .fmt import size, us, verdict


def report_cache500(c: dict, targets: list) -> list[str]:
    min_rate = baselines.get().cache500.min_cached_rate
    rows = c["rows"]
    errors = [r for r in rows for w in (r["direct"], r["cached"]) if w["socket_errors"]]
    ok = all(r["cached"]["rps"] / r["direct"]["rps"] >= min_rate for r in rows)
    measured = ", ".join(
        f"{r['position']} node {size(r['bytes'])} **{r['cached']['rps'] / r['direct']['rps']:.2f}x**" for r in rows
    )
    judged = "not judged: socket errors (see the table)" if errors else verdict(ok)
    targets.append(
        (
            "2",
            f"asset cache at {c['nodes']} nodes: first and last node's asset rate ≥ {min_rate:g}x direct",
            f"{measured}: {judged}",
        )
    )
    lines = [
        f"## 2. Asset cache at {c['nodes']} nodes",
        "",
        f"Target: with the cache, a proxy configured for {c['nodes']} nodes serves the first and the last node's assets "
        f"at at least {min_rate:g}x the direct rate. Measured: {measured}; {judged}.",
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
        f"({settings.ROUNDS} round(s) of direct, proxy, proxy, direct; X-Cache-Status after the runs: "
        f"{', '.join(sorted({r['after'] for r in rows}))}).",
        "",
    ]
    return lines
