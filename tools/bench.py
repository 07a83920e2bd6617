# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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

Usage: python tools/bench.py   (or `make bench`); python tools/bench.py --help prints this text.

The code is in tools/benchlib/, one module per concern (its __init__ lists them); the targets and the
earlier figures the report compares with are data: tools/benchlib/baselines.yml.
"""

from __future__ import annotations

import sys

from benchlib.main import main
from benchlib.shell import BenchError


def cli(argv: list[str]) -> int:
    """`make bench`: run the benchmarks (arguments other than --help are ignored, as they always were)."""
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    try:
        return main()
    except BenchError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
