# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark 4, rollout: the lab's cluster prepared once and kept as images, then for each size a first converge
and a no-op re-run of bbb.cluster_proxy.site on fresh containers; assets and cache500 run on the first size."""

from __future__ import annotations

import shutil

from .assets import bench_assets, write_bench_files
from .cache500 import bench_cache500
from .lab import Lab, cluster_inventory, container_versions, node_name, version_of, wait_for_systemd
from .runner import inventory_path, playbook, write_inventory
from .settings import DOMAIN, FORKS, PREFIX, PREPARE_FORKS, ROOT, WORK
from .shell import BenchError, log


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
