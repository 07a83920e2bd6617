# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The metrics script of the role bbb_metrics: log counting, disk growth, the nginx files' certificates, the output.

The script is loaded as the role installs it: beside the collection's module_utils files it imports (the role's
__bbb_metrics_modules), whose own tests are in tests/unit/plugins/module_utils (recordings, disk, certificates).
Fixtures are written here, in the formats upstream writes (bbb-web's logback pattern, the record-and-playback
status markers) and the proxy's own bbb_cluster_proxy log format.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.tests import prom_text
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "roles/bbb_metrics/files/bbb_cluster_proxy_metrics.py"
MODULES = yaml.safe_load((ROOT / "roles/bbb_metrics/vars/main.yml").read_text())["__bbb_metrics_modules"]
P = "bbb_cluster_proxy_"


def install(directory):
    """The script and the module_utils files it imports, in one directory, as roles/bbb_metrics installs them."""
    for name in MODULES:
        shutil.copy(ROOT / "plugins/module_utils" / name, directory / name)
    shutil.copy(SOURCE, directory / SOURCE.name)
    return directory / SOURCE.name


def load():
    directory = Path(tempfile.mkdtemp(prefix="bbb-metrics-lib-"))
    atexit.register(shutil.rmtree, directory, True)
    spec = importlib.util.spec_from_file_location("bbb_cluster_proxy_metrics", install(directory))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M = load()

# bbb-web.log as ApiController writes it (logback: %d %-5level %logger{35} - %msg): a checksum error on create,
# a join to an unknown meeting, a successful join, a getMeetings.
WEB_LOG = """\
2026-11-29T05:00:00.001+00:00 DEBUG o.b.w.c.ApiController - ApiController#create
2026-11-29T05:00:00.002+00:00 ERROR o.b.w.c.ApiController - Checksums do not match
2026-11-29T05:00:01.001+00:00 DEBUG o.b.w.c.ApiController - ApiController#join
2026-11-29T05:00:01.002+00:00 ERROR o.b.w.c.ApiController - A meeting with that ID does not exist
2026-11-29T05:00:02.001+00:00 DEBUG o.b.w.c.ApiController - ApiController#join
2026-11-29T05:00:02.002+00:00 INFO  o.b.w.c.ApiController -  --analytics-- data={"meetingid":"x","logCode":"join_api"}
2026-11-29T05:00:02.003+00:00 INFO  o.b.w.c.ApiController - Redirecting to https://n/html5client/join?sessionToken=a
2026-11-29T05:00:03.001+00:00 DEBUG o.b.w.c.ApiController - ApiController#getMeetingsHandler
2026-11-29T05:00:03.002+00:00 ERROR o.b.a.MeetingService - an error elsewhere is no API error
"""

ACCESS = (
    '10.0.0.1 - - [29/Nov/2026:05:00:00 +0000] "GET /bbb-a/html5client/app.js HTTP/1.1" {status} 12 "-" '
    '"Mozilla/5.0 (X; \\"quoted\\")" node={node} upstream=10.0.0.5:443 rt=0.010 urt=0.009 cache=-\n'
)


def test_bbb_web_log_counts_errors_by_reason_and_failed_joins():
    counters = M.count_bbb_web(WEB_LOG.splitlines(), {})
    assert counters == {
        "api_errors": {"checksumError": 1, "notFound": 1},
        "joins": 2,
        "join_failures": 1,
        "join_pending": [],
    }
    # counting again adds
    M.count_bbb_web(WEB_LOG.splitlines(), counters)
    assert counters["api_errors"]["checksumError"] == 2 and counters["join_failures"] == 2


JOIN = "2026-11-29T05:00:{s:02d}.001Z DEBUG o.b.w.c.ApiController - ApiController#join"
JOINED = '2026-11-29T05:00:{s:02d}.002Z INFO  o.b.w.c.ApiController -  --analytics-- data={{"logCode":"join_api"}}'
T0 = 1795928400  # 2026-11-29T05:00:00Z


def test_a_run_between_a_join_and_its_success_counts_no_failure():
    """The metrics run can fall between the request line and the success line: the request waits for the next run."""
    counters = M.count_bbb_web([JOIN.format(s=1)], {}, now=T0 + 2)
    assert counters["joins"] == 1 and counters["join_failures"] == 0 and len(counters["join_pending"]) == 1
    M.count_bbb_web([JOINED.format(s=1)], counters, now=T0 + 300)
    assert counters["join_failures"] == 0 and counters["join_pending"] == []


def test_a_join_without_outcome_fails_after_the_grace_and_a_validation_error_at_once():
    counters = M.count_bbb_web([JOIN.format(s=1)], {}, now=T0 + 2)
    M.count_bbb_web([], counters, now=T0 + 2 + M.JOIN_GRACE)
    assert counters["join_failures"] == 1 and counters["join_pending"] == []
    refused = [JOIN.format(s=5), "2026-11-29T05:00:05.002Z ERROR o.b.w.c.ApiController - Checksums do not match"]
    M.count_bbb_web(refused, counters, now=T0 + 6)
    assert counters["join_failures"] == 2 and counters["joins"] == 2 and counters["join_pending"] == []
    # a second violation of the same request is one failure; an ERROR of a create after it is none
    twice = [
        JOIN.format(s=7),
        "2026-11-29T05:00:07.002Z ERROR o.b.w.c.ApiController - You must provide your name",
        "2026-11-29T05:00:07.003Z ERROR o.b.w.c.ApiController - Checksums do not match",
        "2026-11-29T05:00:08.001Z DEBUG o.b.w.c.ApiController - ApiController#create",
        "2026-11-29T05:00:08.002Z ERROR o.b.w.c.ApiController - Checksums do not match",
        JOIN.format(s=9),
    ]
    M.count_bbb_web(twice, counters, now=T0 + 10)
    assert counters["join_failures"] == 3 and counters["joins"] == 4 and len(counters["join_pending"]) == 1
    assert M._log_time(JOIN.format(s=9)) == T0 + 9.001


def test_unknown_messages_count_as_other():
    line = "2026-11-29T05:00:00.002+00:00 ERROR o.b.w.c.ApiController - You must provide the API call"
    assert M.count_bbb_web([line], {})["api_errors"] == {"other": 1}


def test_proxy_log_counts_requests_and_5xx_per_node():
    lines = (
        ACCESS.format(status=200, node="bbb-a.lab.test")
        + ACCESS.format(status=502, node="bbb-a.lab.test")
        + ACCESS.format(status=504, node="bbb-b.lab.test")
        + ACCESS.format(status=504, node="bbb-b.lab.test")
        + ACCESS.format(status=404, node="-")
        + "garbage\n"
    ).splitlines()
    counters = M.count_proxy(lines, {})
    assert counters["requests"] == {"bbb-a.lab.test": 2, "bbb-b.lab.test": 2}
    assert counters["errors_5xx"] == {"bbb-a.lab.test 502": 1, "bbb-b.lab.test 504": 2}


def test_read_new_is_incremental_keeps_partial_lines_and_follows_rotation(tmp_path):
    log = tmp_path / "bbb-web.log"
    log.write_text("one\ntwo\npart")
    lines, pos = M.read_new(str(log), {})
    assert lines == ["one", "two"]
    with log.open("a") as handle:
        handle.write("ial\nthree\n")
    lines, pos = M.read_new(str(log), pos)
    assert lines == ["partial", "three"]
    # logback's rollover: the file is renamed, a new one started; the rest of the old one is read first
    with log.open("a") as handle:
        handle.write("four\n")
    log.rename(tmp_path / "bbb-web.2026-11-28.log")
    log.write_text("five\n")
    lines, pos = M.read_new(str(log), pos)
    assert lines == ["four", "five"]
    # truncated (copytruncate): from the start
    log.write_text("")
    lines, pos = M.read_new(str(log), pos)
    assert lines == []
    log.write_text("six\n")
    assert M.read_new(str(log), pos)[0] == ["six"]
    # a missing log: nothing, position kept
    assert M.read_new(str(tmp_path / "none.log"), pos) == ([], pos)


def _marker(status, step, name, age, now):
    path = status / step / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    os.utime(path, (now - age, now - age))


def test_disk_growth_from_the_oldest_sample_in_the_window():
    growth, seconds, kept = M.disk_growth([], 1000.0, 5000, 3600)
    assert (growth, seconds, kept) == (0.0, 0.0, [[1000.0, 5000]])
    growth, seconds, kept = M.disk_growth(kept, 1100.0, 5000 + 1000, 3600)
    assert seconds == 100.0 and growth == pytest.approx(1000 * 86400 / 100)
    # samples older than the window are dropped
    growth, seconds, kept = M.disk_growth([[0.0, 0], [4000.0, 100]], 5000.0, 200, 3600)
    assert kept == [[4000.0, 100], [5000.0, 200]] and growth == pytest.approx(100 * 86.4)
    # shrinking is negative growth
    assert M.disk_growth([[0.0, 500]], 86400.0, 400, 90000)[0] == pytest.approx(-100)


def _certificate(tmp_path, days):
    require("metrics", [] if shutil.which("openssl") else ["openssl"], "apt-get install openssl")
    cert = tmp_path / f"cert-{days}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(cert), "-days", str(days), "-subj", "/CN=metrics.lab.test"],
        capture_output=True, check=True,
    )  # fmt: skip
    return cert


def test_certificates_from_nginx_files(tmp_path):
    cert = tmp_path / "cert.pem"
    site = tmp_path / "site"
    site.write_text(
        f"server {{\n    ssl_certificate {cert};\n    ssl_certificate_key /k.pem;\n"
        "    # ssl_certificate /commented.pem;\n    ssl_certificate $dynamic;\n}}\n"
    )
    (tmp_path / "other.conf").write_text(f"ssl_certificate  {cert} ;\n")
    assert M.nginx_certificates([str(site), str(tmp_path / "*.conf")]) == [str(cert)]


def _config(tmp_path, kind, **extra):
    config = {
        "kind": kind,
        "host": f"{kind}.lab.test",
        "output_file": str(tmp_path / "textfile/bbb_cluster_proxy.prom"),
        "state_file": str(tmp_path / "state/metrics-state.json"),
        "selfheal_marker": str(tmp_path / "state/selfheal-failed"),
        "nginx_files": [str(tmp_path / "site")],
        "bbb_web_log": str(tmp_path / "bbb-web.log"),
        "recording_status_dir": str(tmp_path / "status"),
        "disk_path": str(tmp_path),
        "disk_growth_window": 21600,
        "access_log": str(tmp_path / "access.log"),
        "nodes": ["bbb-a.lab.test", "bbb-b.lab.test"],
    }
    config.update(extra)
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(config))
    return path, config


def _read(config):
    text = Path(config["output_file"]).read_text()
    return text, prom_text.parse(text)


def test_a_node_run_writes_parseable_metrics_and_counts_between_runs(tmp_path):
    cert = _certificate(tmp_path, 10)
    (tmp_path / "site").write_text(f"ssl_certificate {cert};\n")
    path, config = _config(tmp_path, "node")
    (tmp_path / "bbb-web.log").write_text(WEB_LOG)
    _marker(tmp_path / "status", "recorded", "m1-1.done", 600, time.time())
    assert M.main([str(path)]) == 0
    text, samples = _read(config)
    host = "node.lab.test"
    assert prom_text.value(samples, P + "api_errors_total", host=host, reason="checksumError") == 1
    assert prom_text.value(samples, P + "api_errors_total", host=host, reason="notFound") == 1
    assert prom_text.value(samples, P + "join_failures_total", host=host) == 1
    assert prom_text.value(samples, P + "recordings", state="recorded") == 1
    assert prom_text.value(samples, P + "recording_oldest_unprocessed_age_seconds") == pytest.approx(600, abs=5)
    end = prom_text.value(samples, P + "certificate_expiry_timestamp_seconds", certificate=str(cert))
    assert (end - time.time()) / 86400 == pytest.approx(10, abs=0.01)
    assert prom_text.value(samples, P + "selfheal_failed", host=host) == 0
    assert prom_text.value(samples, P + "disk_growth_window_seconds") == 0
    # more log lines, the marker, bytes written: the counters grow, the marker shows, the disk grew
    with open(tmp_path / "bbb-web.log", "a") as handle:
        handle.write(WEB_LOG)
    Path(config["selfheal_marker"]).write_text("")
    state = json.loads(Path(config["state_file"]).read_text())
    state["disk_samples"][0][0] -= 100  # as if the first run had been 100 s ago
    Path(config["state_file"]).write_text(json.dumps(state))
    assert M.main([str(path)]) == 0
    text, samples = _read(config)
    assert prom_text.value(samples, P + "api_errors_total", reason="checksumError") == 2
    assert prom_text.value(samples, P + "join_failures_total") == 2
    assert prom_text.value(samples, P + "joins_total") == 4
    assert prom_text.value(samples, P + "selfheal_failed") == 1
    window = prom_text.value(samples, P + "disk_growth_window_seconds")
    assert window == pytest.approx(100, abs=2)
    # no temporary file left behind
    assert sorted(p.name for p in Path(config["output_file"]).parent.iterdir()) == ["bbb_cluster_proxy.prom"]
    assert oct(Path(config["state_file"]).stat().st_mode & 0o777) == "0o600"


def test_a_proxy_run_counts_5xx_per_node(tmp_path):
    (tmp_path / "site").write_text("")
    path, config = _config(tmp_path, "proxy")
    (tmp_path / "access.log").write_text(
        ACCESS.format(status=200, node="bbb-a.lab.test") + ACCESS.format(status=502, node="bbb-b.lab.test")
    )
    assert M.main([str(path)]) == 0
    _text, samples = _read(config)
    assert prom_text.value(samples, P + "proxy_requests_total", node="bbb-a.lab.test") == 1
    assert prom_text.value(samples, P + "proxy_responses_5xx_total", node="bbb-b.lab.test", code="502") == 1
    # a node without traffic is listed with 0 requests
    assert prom_text.value(samples, P + "proxy_requests_total", node="bbb-b.lab.test") == 1
    assert not [k for k in samples if k[0] == P + "api_errors_total"]


def test_output_passes_promtool_check_metrics(tmp_path):
    tool = prom_text.promtool()
    require("metrics", [] if tool else ["promtool"], prom_text.PROMTOOL_INSTALL)
    cert = _certificate(tmp_path, 10)
    (tmp_path / "site").write_text(f"ssl_certificate {cert};\n")
    for kind in ("node", "proxy"):
        path, config = _config(tmp_path, kind)
        (tmp_path / "bbb-web.log").write_text(WEB_LOG)
        (tmp_path / "access.log").write_text(ACCESS.format(status=504, node="bbb-a.lab.test"))
        M.main([str(path)])
        done = prom_text.promtool_run("check", "metrics", stdin=Path(config["output_file"]).read_text())
        assert done.returncode == 0, done.stdout + done.stderr


def test_render_escapes_labels_and_the_strict_parser_rejects_bad_text():
    text = M.render([("x_total", "counter", "An x.", [({"a": 'q"\\\n'}, 1)])])
    assert prom_text.parse(text) == {(P + "x_total", frozenset({("a", 'q\\"\\\\\\n')})): 1.0}
    for bad in ("x 1\n", "# TYPE x counter\nx 1\n", "# TYPE x_total gauge\nx_total{a=b} 1\n", "# TYPE y gauge\ny 1"):
        with pytest.raises(ValueError):
            prom_text.parse(bad)


def test_the_script_reads_no_bbb_configuration():
    for path in [SOURCE] + [ROOT / "plugins/module_utils" / name for name in MODULES]:
        source = path.read_text()
        for word in ("bbb-web.properties", "securitySalt", "bigbluebutton.properties", "secret ="):
            assert word not in source, path


def test_installed_it_runs_on_the_standard_library_alone(tmp_path):
    """As on a host: python3 with no site-packages (-I -S: no Ansible to import), the module_utils files beside it."""
    script = install(tmp_path)
    (tmp_path / "site").write_text("")
    path, config = _config(tmp_path, "node")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert prom_text.value(_read(config)[1], P + "recordings", state="recorded") == 0
    lonely = tmp_path / "alone"
    lonely.mkdir()
    shutil.copy(SOURCE, lonely / SOURCE.name)  # without them it cannot start: the role installs them first
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(lonely / SOURCE.name), str(path)], capture_output=True, check=False
    )
    assert done.returncode != 0 and b"ModuleNotFoundError" in done.stderr


def test_a_busy_proxy_s_first_run_streams_its_access_log_and_gives_the_same_counts(tmp_path):
    """At production size: the first run on a busy proxy (state empty) reads a day's access log of hundreds
    of nodes from its start. The counts are exact, a line still being written is left for the next run, and the log
    is read line by line (it was read whole, then decoded and split: ~3x its size in memory, a few GiB on a busy day).
    (Thousands of recordings' status markers: tests/unit/plugins/module_utils/test_recordings.py.)"""
    import tracemalloc

    nodes = [f"bbb-{n:03d}.lab.test" for n in range(300)]
    log = tmp_path / "access.log"
    requests, errors = {}, {}
    with log.open("w") as handle:
        for i in range(60_000):
            node, status = nodes[i * 7 % 300], (502 if i % 97 == 0 else 200)
            handle.write(ACCESS.format(status=status, node=node))
            requests[node] = requests.get(node, 0) + 1
            if status == 502:
                errors[f"{node} 502"] = errors.get(f"{node} 502", 0) + 1
        handle.write(ACCESS.format(status=200, node=nodes[0]).rstrip("\n"))  # being written
    size = log.stat().st_size
    assert size > 10 * 2**20
    tracemalloc.start()
    try:
        started = time.monotonic()
        end = {}
        counters = M.count_proxy(M.iter_new(str(log), {}, end), {})
        elapsed = time.monotonic() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counters["requests"] == requests and counters["errors_5xx"] == errors
    assert end["offset"] == size - len(ACCESS.format(status=200, node=nodes[0]).rstrip("\n"))
    assert peak < 2**20, f"peak {peak / 2**20:.1f} MiB reading {size / 2**20:.1f} MiB"
    assert elapsed < 20
    assert M.read_new(str(log), {})[1] == end  # the list form agrees


def test_the_oldest_published_recording_against_the_retention_policy(tmp_path, monkeypatch):
    """The age the collection's daily job deletes by, and the policy: BigBlueButton's defaults, overridden by the
    daily job's override file; published only where the inventory set it."""
    path, config = _config(tmp_path, "node")
    now = time.time()
    _marker(tmp_path / "status", "published", "m1-1-presentation.done", 40 * 86400, now)
    _marker(tmp_path / "status", "published", "m2-2-presentation.done", 3600, now)
    override = tmp_path / "bigbluebutton-cron-config"
    monkeypatch.setattr(M, "RETENTION_CONFIG", str(override))
    assert M.main([str(path)]) == 0
    samples = _read(config)[1]
    assert prom_text.value(samples, P + "recording_oldest_published_age_seconds") == pytest.approx(40 * 86400, abs=5)
    assert prom_text.value(samples, P + "recording_retention_seconds", kind="raw_media") == 5 * 86400
    assert prom_text.value(samples, P + "recording_retention_seconds", kind="logs") == 28 * 86400
    kinds = {dict(labels)["kind"] for name, labels in samples if name == P + "recording_retention_seconds"}
    assert kinds == {"raw_media", "unpublished", "published_raw", "logs"}  # upstream keeps published ones
    override.write_text("history=3\nbbb_cluster_proxy_published_days=30\n")
    assert M.main([str(path)]) == 0
    samples = _read(config)[1]
    assert prom_text.value(samples, P + "recording_retention_seconds", kind="raw_media") == 3 * 86400
    assert prom_text.value(samples, P + "recording_retention_seconds", kind="published") == 30 * 86400
