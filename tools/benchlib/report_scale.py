# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 3 of the report: the proxy's configuration at scale (the scale benchmark), with its growth between
sizes and the comparison with the configuration before the shared upstream TLS contexts
(baselines.yml)."""

from __future__ import annotations

from . import baselines
from .fmt import verdict


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
    return steps[-1] <= baselines.get().scale.linear_tolerance * max(steps[-2], 1e-9)


def report_scale(suites: list[dict], targets: list) -> list[str]:
    target = baselines.get().scale
    old = target.before_tls_contexts

    def per_node_mib(s: dict, r: dict) -> float:
        return (r["pss_kb"] - s["baseline"]["pss_kb"]) / r["nodes"] / 1024

    largest = max(r["nodes"] for s in suites for r in s["rows"])
    at = [(s, next(r for r in s["rows"] if r["nodes"] == largest)) for s in suites if s["rows"][-1]["nodes"] == largest]
    per_version = []
    for s, r in at:
        ok = r["nginx_t_s"] <= target.max_nginx_t_s and per_node_mib(s, r) <= target.max_pss_mib_per_node
        per_version.append(
            f"{s['nginx']} ({s['suite']}): `nginx -t` **{r['nginx_t_s']:.2f} s**, **{per_node_mib(s, r):.3f} MiB** "
            f"per node, {verdict(ok)}"
        )
        targets.append(
            (
                "3",
                f"{largest} nodes, {s['nginx']} ({s['suite']}): `nginx -t` ≤ {target.max_nginx_t_s:g} s, PSS over "
                f"baseline ≤ {target.max_pss_mib_per_node:g} MiB/node",
                f"{r['nginx_t_s']:.2f} s, {per_node_mib(s, r):.3f} MiB/node: {verdict(ok)}",
            )
        )
    role = "; ".join(f"{s['suite']} **{r['role_s']:.1f} s**, {verdict(r['role_s'] < target.max_role_s)}" for s, r in at)
    targets.append(("3", f"role run at {largest} nodes under {target.max_role_s:g} s", role.replace("**", "")))
    lines = [
        "## 3. Proxy configuration at scale",
        "",
        f"Target: at {largest} nodes, per nginx version, `nginx -t` at most {target.max_nginx_t_s:g} s and nginx "
        f"memory (PSS over the baseline) at most {target.max_pss_mib_per_node:g} MiB per node, with the system CA "
        f"bundle. Measured: " + "; ".join(per_version) + ".",
        "",
        f"Target: the role run under {target.max_role_s:g} s at {largest} nodes: {role}.",
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
        + " (the named locations); before the shared upstream TLS contexts every node location had its own, "
        f"and at {old.nodes} nodes on nginx {old.nginx} `nginx -t` took {old.nginx_t_s} s "
        f"and nginx {old.pss_mib} MiB PSS, {old.per_node_kib} KiB per node (docs/benchmarks.md at {old.commit}).",
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
            f"Linear growth (the last step costs at most {target.linear_tolerance}x per node what the step before "
            "cost; where the costs are a few milliseconds per node, this is mostly noise): " + "; ".join(linear) + ".",
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
