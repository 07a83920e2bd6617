# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of the benchmarks (tools/benchlib): the report written from a result dict, the baselines as data,
the play recap and the growth checks. Nothing here starts a container; `make bench` is the benchmark itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible_collections.bbb.cluster_proxy.tools.benchlib import baselines, report, report_scale, runner, settings
from ansible_collections.bbb.cluster_proxy.tools.benchlib.shell import BenchError

ROOT = Path(__file__).resolve().parents[3]
NODE, LAST, PROXY = "bench-node-01.lab.test", "bench-node-02.lab.test", "bench-proxy.lab.test"


def wrk(rps: float, node_us: float, proxy_us: float | None = None, errors: int = 0) -> dict:
    """A merged wrk result as benchlib.load.merge returns it."""
    cpu = {"node": node_us} if proxy_us is None else {"node": node_us, "proxy": proxy_us}
    return {
        "what": "x",
        "rps": rps,
        "requests": int(rps * 10),
        "socket_errors": errors,
        "latency": "1.00ms/1.10ms",
        "cpu_us": cpu,
        "accepted": {role: 0.001 for role in cpu},
    }


def scale_row(nodes: int, role_s: float, nginx_t_s: float, pss_kb: int) -> dict:
    return {
        "nodes": nodes,
        "role_s": role_s,
        "tasks": 20,
        "nginx_t_s": nginx_t_s,
        "nginx_t_all": [nginx_t_s] * 3,
        "locations": 6 + nodes,
        "proxy_pass": 6,
        "upstreams": nodes,
        "down": 0,
        "conf_kb": nodes * 1.5,
        "procs": 3,
        "workers": [11, 12],
        "pss_kb": pss_kb,
        "rss_kb": pss_kb * 2,
    }


def rollout_row(nodes: int, first_s: float, noop_s: float) -> dict:
    return {
        "nodes": nodes,
        "first_s": first_s,
        "first_tasks": 100 * nodes,
        "first_changed": 30 * nodes,
        "noop_s": noop_s,
        "noop_tasks": 20 * nodes,
        "noop_node_tasks": 18.5,
        "noop_changed": 0,
        "versions": {},
        "prepare_s": 61.0,
        "prepared": 8,
    }


def small_run(socket_errors: int = 0) -> tuple[dict, dict]:
    """(info, results) of a run of all four benchmarks, as benchlib.main hands them to the report."""
    variants = {"proxy-keepalive": (600, 150), "proxy-no-keepalive": (400, 300), "proxy-cache": (1100, 0)}
    assets = {
        "node": NODE,
        "paths": {"html": "/bench-node-01/html5client/", "js": "/bench-node-01/html5client/bench/asset-200k.js"},
        "bytes": {"html": 1500, "js": 204800},
        "keepalive_lines": 2,
        "keepalive": "keepalive 16;",
        "warmup": ["MISS", "MISS", "HIT"],
        "after": "HIT",
        "html_cache_status": "none",
        "cluster": 2,
        "results": [
            {
                "variant": variant,
                "kind": kind,
                "direct": wrk(1000, 100, errors=socket_errors),
                "proxy": wrk(rps, node_us, 80),
            }
            for variant, (rps, node_us) in variants.items()
            for kind in ("html", "js")
        ],
    }
    cache = {
        "nodes": 20,
        "real": [NODE, LAST],
        "idle": 18,
        "idle_first": "bench-node-01-idle-001.lab.test",
        "idle_last": "bench-node-01-idle-018.lab.test",
        "role_s": 3.25,
        "conf_kb": 41.0,
        "down": 0,
        "cluster": 2,
        "rows": [
            {
                "position": position,
                "node": name,
                "version": "3.0",
                "path": f"/{name.split('.', maxsplit=1)[0]}/html5client/bench/asset-6k.js",
                "bytes": 6144,
                "direct": wrk(1000, 90),
                "cached": wrk(rps, 0, 70),
                "warmup": ["MISS", "HIT"],
                "after": "HIT",
            }
            for position, name, rps in (("first", NODE, 990), ("last", LAST, 900))
        ],
    }
    bookworm = {
        "suite": "bookworm",
        "image": "bbb-cluster-proxy/debian-systemd:bookworm",
        "nginx": "nginx/1.22.1",
        "baseline": {"pss_kb": 4096, "rss_kb": 8192, "procs": 3},
        "rows": [scale_row(10, 2.0, 0.02, 5000), scale_row(100, 3.0, 0.03, 8000), scale_row(500, 6.0, 0.07, 34000)],
        "variant": scale_row(500, 5.5, 0.05, 30000),
        "bundle": "/etc/ssl/certs/ca-certificates.crt",
        "bundle_certs": 146,
        "versions": {},
    }
    trixie = {**bookworm, "suite": "trixie", "nginx": "nginx/1.26.3", "variant": None}
    trixie["rows"] = [scale_row(10, 2.0, 0.02, 5000), scale_row(500, 11.0, 1.5, 90000)]
    info = {"CPU": "Test CPU, 2 cores", "_others": "0 other running containers at the start of this run, 0 at its end"}
    rollout = [rollout_row(2, 60.0, 20.0), rollout_row(8, 150.0, 30.0)]
    return info, {"assets": assets, "cache500": cache, "scale": [bookworm, trixie], "rollout": rollout}


@pytest.fixture
def run_env(monkeypatch):
    """A full run (not quick), no BENCH_* knobs set, 4 forks, wrk 2 threads 16 connections 10 s, 4 rounds."""
    for name in list(os.environ):
        if name.startswith("BENCH_") or name == "BBB_LAB_IMAGE":
            monkeypatch.delenv(name)
    for name, value in {"QUICK": False, "FORKS": 4, "PIPELINING": True, "ROUNDS": 4, "WRK_DURATION": 10}.items():
        monkeypatch.setattr(settings, name, value)
    monkeypatch.setattr(settings, "WRK_THREADS", 2)
    monkeypatch.setattr(settings, "WRK_CONNECTIONS", 16)


def targets_table(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("| section | target | this run |") + 2
    return lines[start : lines.index("", start)]


def test_the_report_of_a_run_has_its_frame_targets_and_sections(run_env):
    info, results = small_run()
    text = report.report(info, results, started=0)
    assert text.startswith("# Benchmarks\n\n<!-- Generated by tools/bench.py (`make bench`); do not edit by hand")
    assert "Reproduce them with `make bench` (about " in text and "`BENCH_QUICK=1 make bench` is a short smoke" in text
    assert "0 other running containers at the start of this run" in text and "_others" not in text
    assert "| CPU | Test CPU, 2 cores |" in text and text.endswith("\n") and not text.endswith("\n\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Targets",
        "## Machine",
        "## 1. Client delivery",
        "## 2. Asset cache at 20 nodes",
        "## 3. Proxy configuration at scale",
        "## 4. Rollout cost",
    ]
    assert targets_table(text) == [
        "| 1 | no cache, upstream keepalive: ≥ 0.45x the direct rate (html page and 200 KiB script) "
        "| html page **0.60x**, 200 KiB script **0.60x**: **met** |",
        "| 1 | node nginx CPU per proxied request (keepalive, no cache) ≤ 2x per direct request "
        "| html page **1.50x**, 200 KiB script **1.50x**: **met** |",
        "| 2 | asset cache at 20 nodes: first and last node's asset rate ≥ 0.95x direct "
        "| first node 6.0 KiB **0.99x**, last node 6.0 KiB **0.90x**: **not met** |",
        "| 3 | 500 nodes, nginx/1.22.1 (bookworm): `nginx -t` ≤ 1 s, PSS over baseline ≤ 0.1 MiB/node "
        "| 0.07 s, 0.058 MiB/node: **met** |",
        "| 3 | 500 nodes, nginx/1.26.3 (trixie): `nginx -t` ≤ 1 s, PSS over baseline ≤ 0.1 MiB/node "
        "| 1.50 s, 0.168 MiB/node: **not met** |",
        "| 3 | role run at 500 nodes under 10 s | bookworm 6.0 s, met; trixie 11.0 s, not met |",
        "| 4 | no-op re-run: changed=0 on every host | checked at every size (the run fails otherwise) |",
        "| 4 | no-op re-run: ≤ 25 tasks per node | at most 18.5: **met** |",
        "| 4 | no-op re-run: ≤ half of 0fd2760's 30.3 s per (N/forks) | 15.0 s at 8 nodes: **met** |",
        "| 4 | no-op re-run: time per (N/forks) does not grow | **met** |",
    ]
    assert "| bookworm (nginx/1.22.1) | 500 (one-certificate CA file) | 5.5 s | 0.05 s |" in text
    assert "at 500 nodes on nginx 1.22 `nginx -t` took 14.71 s and nginx 743.4 MiB PSS, 1517 KiB per node" in text
    assert "(docs/benchmarks.md at cd41b4f)" in text
    assert "| bookworm | 100 → 500 | 7.5 ms/node | 0.10 ms/node | 65.0 KiB/node |" in text
    assert "| 8 | 2.00 | 150.0 s | 800 | 240 | 75.0 | 30.0 s | 160 | 18.5 | 0 | 15.0 |" in text
    assert "wrk with 2 threads and 16 connections" in text and "4 round(s) of four runs of 5 s" in text


def test_a_quick_run_and_a_single_size_say_so(run_env, monkeypatch):
    monkeypatch.setattr(settings, "QUICK", True)
    monkeypatch.setenv("BENCH_QUICK", "1")
    info, results = small_run()
    text = report.report(info, {"rollout": results["rollout"][:1]}, started=0)
    assert "Reproduce them with `BENCH_QUICK=1 make bench` (about " in text and "short smoke run" not in text
    assert "Time per (N/forks) of the no-op re-run needs two sizes to compare." in text
    assert "does not grow" not in text and "## 1." not in text and "## 3." not in text


def test_socket_errors_leave_the_rate_targets_unjudged(run_env):
    info, results = small_run(socket_errors=3)
    rows = targets_table(report.report(info, results, started=0))
    assert rows[0].endswith("**0.60x**: not judged: socket errors (see the table) |")
    assert rows[1].endswith("**1.50x**: not judged: socket errors (see the table) |")


def test_the_targets_come_from_the_baselines(run_env, monkeypatch):
    data = baselines.load()
    data.assets.min_proxied_rate = 0.75
    data.rollout.before_one_model = SimpleNamespace(commit="abc1234", noop_s_per_batch=20.0)
    monkeypatch.setattr(baselines, "get", lambda: data)
    info, results = small_run()
    rows = targets_table(report.report(info, results, started=0))
    assert rows[0] == (
        "| 1 | no cache, upstream keepalive: ≥ 0.75x the direct rate (html page and 200 KiB script) "
        "| html page **0.60x**, 200 KiB script **0.60x**: **not met** |"
    )
    assert "| 4 | no-op re-run: ≤ half of abc1234's 20.0 s per (N/forks) | 15.0 s at 8 nodes: **not met** |" in rows


def test_the_baselines_file_loads_and_is_checked(tmp_path):
    b = baselines.load()
    assert (b.assets.min_proxied_rate, b.cache500.min_cached_rate, b.scale.max_role_s) == (0.45, 0.95, 10)
    assert (b.scale.before_tls_contexts.commit, b.rollout.before_one_model.commit) == ("cd41b4f", "0fd2760")
    text = baselines.BASELINES_FILE.read_text()
    for broken, message in [
        (text.replace("  max_node_cpu_ratio: 2\n", ""), r"assets: missing \['max_node_cpu_ratio'\]"),
        (text.replace("linear_tolerance:", "linear_tolerence:"), r"unknown \['linear_tolerence'\]"),
        (text.replace("max_role_s: 10", "max_role_s: ten"), r"scale\.max_role_s: want a positive number, got 'ten'"),
        (text.replace('commit: "0fd2760"', "commit: 1234567"), r"before_one_model\.commit: want a quoted string"),
        ("- not a mapping\n", r"want a mapping of assets, cache500, scale, rollout"),
    ]:
        path = tmp_path / "baselines.yml"
        path.write_text(broken)
        with pytest.raises(BenchError, match=message):
            baselines.load(path)


def test_the_play_recap_is_parsed_and_task_results_counted():
    output = (
        "PLAY RECAP *********\n"
        "bench-proxy.lab.test       : ok=12   changed=3    unreachable=0    failed=0    skipped=4    rescued=0    ignored=1\n"
        "localhost                  : ok=2    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0\n"
    )
    recap = runner.parse_recap(output)
    assert recap["bench-proxy.lab.test"] == {
        "ok": 12,
        "changed": 3,
        "unreachable": 0,
        "failed": 0,
        "skipped": 4,
        "rescued": 0,
        "ignored": 1,
    }
    play = runner.Playbook(1.0, output, recap, Path("x.log"))
    assert (play.tasks, play.total("changed")) == (19, 3)
    assert runner.parse_recap("no recap here") == {}


def test_growth_per_node_and_the_linear_check():
    rows = [{"nodes": 10, "t": 1.0}, {"nodes": 100, "t": 10.0}, {"nodes": 500, "t": 50.0}]
    steps = report_scale.growth(rows, "t")
    assert steps == [None, 0.1, 0.1]
    assert report_scale.is_linear(steps) is True
    assert report_scale.is_linear([None, 0.1, 0.16]) is False  # more than 1.5x the step before
    assert report_scale.is_linear([None, 0.1]) is None  # one step: nothing to compare


def test_help_prints_the_usage_without_running_anything():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "BENCH_QUICK=1" in done.stdout and "tools/benchlib/baselines.yml" in done.stdout
