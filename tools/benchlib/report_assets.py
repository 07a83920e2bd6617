# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 1 of the report: client delivery (the assets benchmark)."""

from __future__ import annotations

import os

from . import baselines, settings
from .fmt import size, us, verdict

ASSET_VARIANTS = {
    "proxy-keepalive": "as the role renders it (upstream `keepalive`), no cache",
    "proxy-no-keepalive": "`keepalive` lines deleted, no cache",
    "proxy-cache": "`bbb_proxy_asset_cache: true`",
}


def report_assets(a: dict, targets: list) -> list[str]:
    target = baselines.get().assets
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
    rate_ok = all(rate(ka, k) >= target.min_proxied_rate for k in kinds)
    cpu_ok = all(node_cpu(ka, k) <= target.max_node_cpu_ratio for k in kinds)
    rate_text = ", ".join(f"{kinds[k]} **{rate(ka, k):.2f}x**" for k in kinds)
    cpu_text = ", ".join(f"{kinds[k]} **{node_cpu(ka, k):.2f}x**" for k in kinds)
    rate_verdict = unjudged or verdict(rate_ok)
    cpu_verdict = unjudged or verdict(cpu_ok)
    targets += [
        ("1", f"no cache, upstream keepalive: ≥ {target.min_proxied_rate:g}x the direct rate (html page and 200 KiB script)",
         f"{rate_text}: {rate_verdict}"),
        ("1", f"node nginx CPU per proxied request (keepalive, no cache) ≤ {target.max_node_cpu_ratio:g}x per direct request",
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
        f"Target: without the cache, with upstream keepalive, the proxy serves at least {target.min_proxied_rate:g}x "
        f"the direct rate for both files. Measured: {rate_text}; {rate_verdict}.",
        "",
        f"Target: the node's nginx spends at most {target.max_node_cpu_ratio:g}x the CPU time per proxied request "
        f"(keepalive, no cache) that it spends per direct request. Measured: {cpu_text}; {cpu_verdict}.",
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
    # The paragraph on keepalive and the cache: its prose, each piece followed by one figure per file (both).
    keepalive_paragraph = [
        ("Keepalive: with the `keepalive` lines deleted, the proxy serves ", lambda k: f"{rate(noka, k):.2f}x"),
        (" of the direct rate, against ", lambda k: f"{rate(ka, k):.2f}x"),
        (" with them; the node accepts ", lambda k: f"{accepted(noka, k):.2f}"),
        (" TCP connections per proxied request, against ", lambda k: f"{accepted(ka, k):.3f}"),
        ("; and the node's nginx spends ", lambda k: f"{node_cpu(noka, k):.2f}x"),
        (" the CPU time of a direct request per proxied request, against ", lambda k: f"{node_cpu(ka, k):.2f}x"),
        (". With the cache: ", lambda k: f"{rate('proxy-cache', k):.2f}x"),
        (
            " of the direct rate; the html page is not a cached type (the proxy's answer has X-Cache-Status: "
            f"{a['html_cache_status']}), so it goes to the node as without the cache. The direct rates of the three "
            "pairs of the same file differ by up to ",
            lambda k: f"{spread(k):.2f}x",
        ),
    ]
    lines += [
        "",
        "".join(text + both(figure) for text, figure in keepalive_paragraph)
        + ": the spread of this shared machine over a few minutes, which is why each proxied figure is compared with "
        "direct runs interleaved with it.",
        "",
        f"How: the {a['cluster']}-node cluster of the rollout benchmark after its first converge and no-op re-run, "
        f"node `{a['node']}` (BBB 3.0). The html page is the node's client page `{a['paths']['html']}` "
        f"({a['bytes']['html']} bytes); the script `{a['paths']['js']}` ({a['bytes']['js']} bytes of hex digests, which "
        f"do not compress) is written into the node's client directory by the bench before it measures. "
        f"wrk with {settings.WRK_THREADS} threads and {settings.WRK_CONNECTIONS} connections on the host against the "
        f"containers' addresses on the `bbb-bench` network, HTTPS with keep-alive, `Host:` the node's or the proxy's "
        f"hostname; for each file and proxy variant {settings.ROUNDS} round(s) of four runs of "
        f"{max(1, round(settings.WRK_DURATION / 2))} s in the order direct, proxy, proxy, direct, so that a load that "
        f"rises or falls steadily weighs on both alike and a passing spike weighs on one run of {2 * settings.ROUNDS}, "
        f"each run after an uncounted 1 s run of the same URL (rates: the mean of the {2 * settings.ROUNDS} runs of "
        f"each; per-request figures: over the requests of all of them). "
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
