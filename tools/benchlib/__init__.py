# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmarks of tools/bench.py (`make bench`), one module per concern.

settings     where the bench works, the lab's names, the BENCH_* knobs
baselines    the targets and earlier measurements (data: baselines.yml)
shell        BenchError, the log line, running a command
lab          the bench's own containers, network and snapshots; node names; the cluster's inventory
runner       ansible-playbook, timed, with its play recap; inventories
probes       what is measured inside a container (nginx memory, CPU, `nginx -t`) and HTTPS checks
load         wrk runs, interleaved direct/proxied pairs
machine      the machine and the checkout the run measured
assets, cache500, scale, rollout    the four benchmarks
report       docs/benchmarks.md: the frame; report_<benchmark> its sections; fmt shared formatting
main         the run: checks, the benchmarks in order, the report
"""
