# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 4 of the report: rollout cost (the rollout benchmark), against the no-op re-run before the one model
(baselines.yml)."""

from __future__ import annotations

from . import baselines, settings
from .fmt import verdict


def report_rollout(rows: list[dict], targets: list) -> list[str]:
    target = baselines.get().rollout
    max_tasks, old = target.max_noop_tasks_per_node, target.before_one_model
    forks = settings.FORKS

    def per(r: dict, key: str) -> float:
        return r[key] / (r["nodes"] / forks)

    noop_ok = all(per(b, "noop_s") <= per(a, "noop_s") for a, b in zip(rows, rows[1:]))
    tasks_ok = all(r["noop_node_tasks"] <= max_tasks for r in rows)
    speed_ok = per(rows[-1], "noop_s") * 2 <= old.noop_s_per_batch  # at most half
    targets += [
        ("4", "no-op re-run: changed=0 on every host", "checked at every size (the run fails otherwise)"),
        ("4", f"no-op re-run: ≤ {max_tasks:g} tasks per node",
         f"at most {max(r['noop_node_tasks'] for r in rows):.1f}: {verdict(tasks_ok)}"),
        ("4", f"no-op re-run: ≤ half of {old.commit}'s {old.noop_s_per_batch} s per (N/forks)",
         f"{per(rows[-1], 'noop_s'):.1f} s at {rows[-1]['nodes']} nodes: {verdict(speed_ok)}"),
    ]  # fmt: skip
    if len(rows) > 1:
        targets.append(("4", "no-op re-run: time per (N/forks) does not grow", verdict(noop_ok)))
    lines = [
        "## 4. Rollout cost",
        "",
        "Target: the no-op re-run changes nothing (checked: `changed=0` on every host in the recap, at every size), "
        f"costs at most {max_tasks:g} tasks per node, takes at most half the time per (N/forks) of "
        f"{old.commit} ({old.noop_s_per_batch} s), and grows no faster than nodes / forks. Tasks per node: "
        f"at most {max(r['noop_node_tasks'] for r in rows):.1f} ({verdict(tasks_ok)}); time per (N/forks) at the largest "
        f"size: {per(rows[-1], 'noop_s'):.1f} s, {old.noop_s_per_batch / per(rows[-1], 'noop_s'):.1f}x lower ({verdict(speed_ok)}). "
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
            f"| {r['nodes']} | {r['nodes'] / forks:.2f} | {r['first_s']:.1f} s | {r['first_tasks']} | {r['first_changed']} | "
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
        f"(booted anew, so every first converge starts from a just-prepared lab), then `ansible-playbook bbb.cluster_proxy.site -e bbb_cluster_serial={forks}` twice with "
        f"`ANSIBLE_FORKS={forks}`, the `community.docker.docker` connection and "
        + (
            "`ANSIBLE_PIPELINING=1` (about half the time of a run without it here; `BENCH_PIPELINING=0` measures without)"
            if settings.PIPELINING
            else "no pipelining (`BENCH_PIPELINING=0`)"
        )
        + f", Ansible's defaults otherwise. The nodes are rolled out {forks} at a time (batch size = forks), so N/forks is the number of "
        f"batches. Times are wall time of `ansible-playbook`; *tasks* are the task results of all hosts in the play "
        f"recap (ok + skipped + failed + unreachable; ok includes changed).",
        "",
    ]
    return lines
