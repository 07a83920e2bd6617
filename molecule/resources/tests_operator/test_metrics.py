# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metrics between runs (role bbb_metrics), in the operations lab (molecule/operations: a proxy, a 3.0 and a 2.7
node; bbb_metrics_enabled in that scenario's inventory).

What is counted is made to happen the way upstream makes it: API calls with a wrong checksum and joins to a
meeting that does not exist go to the node's API (the lab's bbb-web double answers and logs them as
ApiController.groovy does); a recording is left by ending a recorded meeting (the double writes the status markers
as bbb-web and the record-and-playback workers do); 502s come from a node whose nginx is stopped, through the
proxy. The metrics are read as node_exporter would: the .prom files, parsed strictly (tests/prom_text.py) and by
promtool check metrics. Each test leaves the lab converged (the last one disables and enables the metrics again).
"""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest
import yaml
from lab_runs import (
    NODES,
    PROXIES,
    RUNNER,
    SECRETS,
    api_url,
    host,
    no_change,
    playbook,
    prom_text,
    require,
    start_client,
)

PROXY = PROXIES[0]
ROOM_A, ROOM_B = NODES[:2]  # the first node: BBB 3.0, the second: BBB 2.7 (ops-c: test_adoption.py)
LABEL_A, LABEL_B = (name.split(".", 1)[0] for name in NODES[:2])
HOSTS = [PROXY, ROOM_A, ROOM_B]  # the hosts with bbb_metrics_enabled (molecule.yml)
UNIT = "bbb-cluster-proxy-metrics"
PROM = "/var/lib/prometheus/node-exporter/bbb_cluster_proxy.prom"
# validation, then the bbb_metrics role alone (molecule/resources/metrics_only.yml)
METRICS_ONLY = str(Path(__file__).resolve().parents[1] / "metrics_only.yml")
COLLECTION = Path(__file__).resolve().parents[3]
LIB = "/usr/local/lib/bbb-cluster-proxy"
# the collection's measuring code the script imports, installed beside it (plugins/module_utils)
MODULES = yaml.safe_load((COLLECTION / "roles/bbb_metrics/vars/main.yml").read_text())["__bbb_metrics_modules"]
INSTALLED = [
    f"/etc/systemd/system/{UNIT}.service",
    f"/etc/systemd/system/{UNIT}.timer",
    f"{LIB}/bbb_cluster_proxy_metrics.py",
    *(f"{LIB}/{name}" for name in MODULES),
    "/etc/bbb-cluster-proxy/metrics.json",
    PROM,
]
MARKER = "/var/lib/bbb-cluster-proxy/selfheal-failed"
RETENTION = "/etc/default/bigbluebutton-cron-config"  # BigBlueButton's daily job's override file
JOB = "/etc/cron.daily/bbb-cluster-proxy-recordings"  # the collection's, with bbb_node_retention_published_days
P = "bbb_cluster_proxy_"


def run_metrics(name):
    """Run the service once (oneshot: systemctl waits for its end)."""
    done = host(name).run(f"systemctl start {UNIT}.service")
    assert done.rc == 0, done.stderr + host(name).run(f"journalctl -u {UNIT}.service -n 20 --no-pager").stdout


def metrics(name):
    """Run the service on ``name`` and return its .prom file parsed; it must pass promtool check metrics."""
    run_metrics(name)
    text = host(name).file(PROM).content_string
    for secret in SECRETS:
        assert secret not in text, f"a shared secret in {name}:{PROM}"
    samples = prom_text.parse(text)
    require("metrics", [] if prom_text.promtool() else ["promtool"], prom_text.PROMTOOL_INSTALL)
    done = prom_text.promtool_run("check", "metrics", stdin=text)
    assert done.returncode == 0, done.stdout + done.stderr
    return samples


def curl(name, url):
    """(status, redirect target) of one request from host ``name``, without following redirects."""
    out = host(name).run(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' '{url}'").stdout
    status, _sep, target = out.partition(" ")
    return int(status), target


def test_the_timer_is_active_on_every_host():
    for name in HOSTS:
        h = host(name)
        assert h.service(f"{UNIT}.timer").is_enabled, name
        assert h.run(f"systemctl is-active {UNIT}.timer").stdout.strip() == "active", name
        assert h.file(PROM).exists, f"{name}: the timer's first run wrote no {PROM}"
        for module in MODULES:  # the health modules' own measuring code, byte for byte
            installed = h.file(f"{LIB}/{module}")
            expected = (COLLECTION / "plugins/module_utils" / module).read_text()
            assert installed.content_string == expected, f"{name}:{LIB}/{module}"
            assert oct(installed.mode) == "0o644", f"{name}:{LIB}/{module}"


@pytest.mark.parametrize("node", [ROOM_A, ROOM_B])
def test_api_errors_and_failed_joins_are_counted_from_bbb_web_log(node):
    before = metrics(node)
    meeting = f"metrics-{int(time.time())}"
    # 3 creates signed with a wrong secret: checksumError (HTTP 200 FAILED)
    for i in range(3):
        bad = api_url(node, "create", meetingID=f"{meeting}-{i}").replace("checksum=", "checksum=0")
        assert curl(PROXY, bad)[0] == 200
    # 2 joins to a meeting that does not exist: 302 to the logout URL with errors= (notFound)
    for _ in range(2):
        status, target = curl(PROXY, api_url(node, "join", meetingID=f"{meeting}-gone", fullName="X", role="VIEWER"))
        assert status == 302 and "errors=" in target and "notFound" in target, target
    # 1 join signed wrong: a failed join and a checksumError
    status, target = curl(
        PROXY, api_url(node, "join", meetingID=meeting, fullName="Y", role="VIEWER").replace("checksum=", "checksum=0")
    )
    assert status == 302 and "checksumError" in target, target
    # 1 join that works
    assert curl(PROXY, api_url(node, "create", meetingID=meeting))[0] == 200
    status, target = curl(PROXY, api_url(node, "join", meetingID=meeting, fullName="Z", role="VIEWER"))
    assert status == 302 and "sessionToken=" in target and "errors=" not in target, target
    assert curl(PROXY, api_url(node, "end", meetingID=meeting))[0] == 200
    after = metrics(node)

    def delta(name, **labels):
        return prom_text.value(after, P + name, host=node, **labels) - prom_text.value(
            before, P + name, host=node, **labels
        )

    assert delta("api_errors_total", reason="checksumError") == 4
    assert delta("api_errors_total", reason="notFound") == 2
    assert delta("joins_total") == 4
    assert delta("join_failures_total") == 3


def test_a_recording_waiting_for_processing_and_its_age():
    """The recording workers are down (a fault beneath the bbb-web double, whose pipeline follows the units): the
    ended meeting is queued by rap-starter (raw/<id>/, recorded/<id>.done deleted) and waits; once the workers run
    again it is archived, processed and published."""
    node = ROOM_A
    meeting = f"metrics-rec-{int(time.time())}"
    assert host(node).run("systemctl stop bbb-rap-resque-worker.service").rc == 0
    try:
        assert (
            curl(PROXY, api_url(node, "create", meetingID=meeting, record="true", autoStartRecording="true"))[0] == 200
        )
        start_client(node, meeting)  # the user's client starts: the recording starts (marks)
        assert curl(PROXY, api_url(node, "end", meetingID=meeting))[0] == 200
        raw = "/var/bigbluebutton/recording/raw"
        queued = host(node).run(  # rap-starter took it (the double's pipeline runs every second): make it 2 h old
            f'for i in $(seq 20); do d=$(ls -td {raw}/*/ 2>/dev/null | head -1); [ -n "$d" ] && break; sleep 0.5; done; '
            'touch -d @$(( $(date +%s) - 7200 )) "$d" && echo "$d"'
        )
        assert queued.rc == 0 and queued.stdout.strip(), queued.stderr
        samples = metrics(node)
        assert prom_text.value(samples, P + "recordings", host=node, state="recorded") >= 1
        age = prom_text.value(samples, P + "recording_oldest_unprocessed_age_seconds", host=node)
        assert 7200 <= age < 7200 + 120, age
    finally:
        assert host(node).run("systemctl start bbb-rap-resque-worker.service").rc == 0
    # archived, then processed and published after the double's processing time: it no longer waits (the files say
    # when; the metrics service runs once then: systemd limits how often a unit may start)
    record_id = queued.stdout.strip().rstrip("/").rsplit("/", 1)[-1]
    done = f"/var/bigbluebutton/recording/status/published/{record_id}-presentation.done"  # publish_worker.rb's
    waited = host(node).run(f"for i in $(seq 60); do [ -e {done} ] && exit 0; sleep 0.5; done; exit 1")
    assert waited.rc == 0, f"{done} not there 30 s after the worker started"
    samples = metrics(node)
    assert prom_text.value(samples, P + "recording_oldest_unprocessed_age_seconds", host=node) < 7200
    assert prom_text.value(samples, P + "recordings", host=node, state="published") >= 1


def test_published_recordings_go_at_the_retention_and_the_metrics_measure_it():
    """ops-a keeps published recordings 30 days and presentations and raw media 3 (bbb_node_retention_*,
    molecule.yml): the converge wrote them into the override file of BigBlueButton's daily job and installed the
    collection's daily job. The recording the test above published, its publish marker aged 40 days beneath the
    double, goes with that job's bbb-record --delete, and bbb-web lists it no more; the metrics show the oldest
    published recording against the policy before and after."""
    node, status = host(ROOM_A), "/var/bigbluebutton/recording/status/published"
    assert node.file(RETENTION).content_string == "history=3\nbbb_cluster_proxy_published_days=30\n"
    assert node.file(JOB).mode == 0o755
    assert JOB in node.run("run-parts --test /etc/cron.daily").stdout.split()  # a name cron's run-parts runs
    record_id = node.run(f"ls {status} | sed -n 's/-presentation\\.done$//p' | head -n 1").stdout.strip()
    assert record_id, f"no published recording on {ROOM_A} (test_a_recording_waiting_for_processing_and_its_age)"
    assert node.run(f"touch -d '40 days ago' {status}/{record_id}-presentation.done").rc == 0
    samples = metrics(ROOM_A)
    assert prom_text.value(samples, P + "recording_oldest_published_age_seconds", host=ROOM_A) >= 40 * 86400
    policy = {kind: prom_text.value(samples, P + "recording_retention_seconds", host=ROOM_A, kind=kind) / 86400
              for kind in ("raw_media", "unpublished", "published_raw", "logs", "published")}  # fmt: skip
    assert policy == {"raw_media": 3, "unpublished": 14, "published_raw": 14, "logs": 28, "published": 30}

    done = node.run(JOB)  # as cron's run-parts runs it, as root
    assert done.rc == 0, done.stdout + done.stderr
    for gone in (f"{status}/{record_id}-presentation.done", f"/var/bigbluebutton/published/presentation/{record_id}",
                 f"/var/bigbluebutton/recording/raw/{record_id}"):  # fmt: skip
        assert not node.file(gone).exists, gone
    journal = node.run("journalctl -t bbb-cluster-proxy-recordings --no-pager -o cat").stdout
    assert f"deleting recording {record_id}: published more than 30 days ago" in journal
    listed = host(PROXY).run(f"curl -s '{api_url(ROOM_A, 'getRecordings', recordID=record_id)}'").stdout
    assert "<returncode>SUCCESS</returncode>" in listed and record_id not in listed
    samples = metrics(ROOM_A)
    assert prom_text.value(samples, P + "recording_oldest_published_age_seconds", host=ROOM_A) < 40 * 86400


def test_5xx_through_the_proxy_are_counted_per_node():
    before = metrics(PROXY)
    assert host(ROOM_B).run("systemctl stop nginx").rc == 0
    try:
        for _ in range(3):
            assert curl(PROXY, f"https://{PROXY}/{LABEL_B}/html5client/?metrics=1")[0] == 502
    finally:
        assert host(ROOM_B).run("systemctl start nginx").rc == 0
    for _ in range(2):
        assert curl(PROXY, f"https://{PROXY}/{LABEL_A}/html5client/?metrics=1")[0] == 200
    # the access log is buffered (flush=5s): reopening the logs writes the buffer out (ngx_reopen_files flushes)
    assert host(PROXY).run("nginx -s reopen").rc == 0
    time.sleep(1)
    after = metrics(PROXY)

    def delta(name, **labels):
        old = [v for (n, ls), v in before.items() if n == P + name and set(labels.items()) <= set(ls)]
        return prom_text.value(after, P + name, **labels) - (old[0] if old else 0)

    assert delta("proxy_responses_5xx_total", node=ROOM_B, code="502") == 3
    assert delta("proxy_requests_total", node=ROOM_B) == 3
    assert delta("proxy_requests_total", node=ROOM_A) == 2
    assert not [k for k in after if k[0] == P + "proxy_responses_5xx_total" and ("node", ROOM_A) in k[1]]


@pytest.mark.parametrize("name", HOSTS)
def test_certificate_expiry_is_what_openssl_reads(name):
    samples = metrics(name)
    found = {
        dict(ls)["certificate"]: v for (n, ls), v in samples.items() if n == P + "certificate_expiry_timestamp_seconds"
    }
    assert f"/etc/ssl/bbb-lab/{name}.crt" in found, found
    for path, value in found.items():
        end = host(name).run(f"openssl x509 -noout -enddate -in {path}").stdout.strip().split("=", 1)[1]
        assert value == calendar.timegm(time.strptime(end, "%b %d %H:%M:%S %Y %Z")), path


def test_disk_growth_from_two_runs_with_known_bytes_in_between():
    node = ROOM_B
    path = RUNNER.get_variables(node)["bbb_cluster_disk_path"]
    h = host(node)
    mounted = h.run(f"mkdir -p {path} && (mountpoint -q {path} || mount -t tmpfs -o size=64m bbb-lab-disk {path})")
    assert mounted.rc == 0, f"cannot mount a tmpfs at {path} in the lab container: {mounted.stderr}"
    try:
        h.run(f"rm -f {path}/fill /var/lib/bbb-cluster-proxy/metrics-state.json")  # no disk sample of another run
        started = time.time()
        first = metrics(node)
        assert h.run(f"dd if=/dev/zero of={path}/fill bs=1M count=8 conv=fsync status=none").rc == 0
        time.sleep(2)
        second = metrics(node)
        elapsed = time.time() - started
        labels = {"host": node, "path": path}
        used = prom_text.value(second, P + "disk_used_bytes", **labels) - prom_text.value(
            first, P + "disk_used_bytes", **labels
        )
        assert used == 8 * 1024 * 1024
        window = prom_text.value(second, P + "disk_growth_window_seconds", **labels)
        assert window <= elapsed + 1  # from the first of the two runs (no older sample of this new file system)
        growth = prom_text.value(second, P + "disk_growth_bytes_per_day", **labels)
        assert growth * window / 86400 == pytest.approx(8 * 1024 * 1024, rel=0.001)
        assert prom_text.value(second, P + "disk_size_bytes", **labels) == 64 * 1024 * 1024
    finally:
        h.run(f"umount {path}; rmdir {path}")


def test_the_selfheal_marker():
    node = ROOM_A
    h = host(node)
    h.run(f"rm -f {MARKER}")
    assert prom_text.value(metrics(node), P + "selfheal_failed", host=node) == 0
    assert h.run(f"touch {MARKER}").rc == 0
    try:
        assert prom_text.value(metrics(node), P + "selfheal_failed", host=node) == 1
    finally:
        h.run(f"rm -f {MARKER}")
    assert prom_text.value(metrics(node), P + "selfheal_failed", host=node) == 0


def test_no_secret_in_what_the_metrics_write():
    for name in HOSTS:
        for path in ("/var/lib/prometheus/node-exporter", "/etc/bbb-cluster-proxy", "/var/lib/bbb-cluster-proxy"):
            for secret in SECRETS:
                assert host(name).run(f"grep -rqF '{secret}' {path}").rc == 1, f"{name}:{path} holds a secret"


def test_disabling_removes_the_timer_and_its_files_and_enabling_brings_them_back():
    """bbb_metrics_enabled=false removes what the role installed; --check before it changes nothing; enabled again,
    it is back. Every run goes through the lab's metrics_only.yml (validation, then the role alone, as site.yml runs
    it), on the proxy and one node (the role's two kinds; the other nodes run the same tasks): site's own wiring of
    the role is the converge's, and a second enabled run changing nothing is test_faults.py's whole-site run after
    its recovery. A whole site run over every host cost half a minute of `make test`, each host a few seconds more."""
    hosts = [PROXY, ROOM_B]
    limit = ("--limit", ",".join([*hosts, "localhost"]))
    # --check changes nothing
    rc, output = playbook(METRICS_ONLY, *limit, "--check", "-e", "bbb_metrics_enabled=false")
    assert rc == 0, output[-3000:]
    for name in hosts:
        for path in INSTALLED:
            assert host(name).file(path).exists, f"--check removed {name}:{path}"
    rc, output = playbook(METRICS_ONLY, *limit, "-e", "bbb_metrics_enabled=false")
    assert rc == 0, output[-3000:]
    for name in hosts:
        for path in INSTALLED:
            assert not host(name).file(path).exists, f"{name}:{path} left after disabling"
        assert host(name).run(f"systemctl is-active {UNIT}.timer").stdout.strip() != "active"
    rc, output = playbook(METRICS_ONLY, *limit, "-e", "bbb_metrics_enabled=false")
    assert rc == 0 and no_change(output), output[-3000:]
    # enabled again (the scenario's inventory): installed and running
    rc, output = playbook(METRICS_ONLY, *limit)
    assert rc == 0, output[-3000:]
    assert not no_change(output), output[-3000:]
    for name in hosts:
        assert host(name).run(f"systemctl is-active {UNIT}.timer").stdout.strip() == "active", name
        assert host(name).file(PROM).exists, name
