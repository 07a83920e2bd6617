# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults during a rollout, in the operations lab (molecule/operations: a proxy, a 3.0 and a 2.7 node): a node that is unreachable before the run, at its batch or in the
middle of it; a run killed between the node's file writes and its restart; a proxy configuration that fails nginx's
validation; and an nginx reload under a request loop through the proxy.

Unreachable is made with ``docker pause`` (every ``docker exec`` of the Ansible connection fails) or ``docker kill``.
The lab runs Ansible with pipelining; with pipelining the docker connection reports a failed ``docker exec`` of a
paused container as a failed module, not as an unreachable host (as SSH does for a host that is gone), so the runs
of the unreachable tests turn pipelining off (fixture ``exec_failure_is_unreachable``).
Each test leaves the lab converged.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from lab_runs import (
    NODES,
    PROXIES,
    Run,
    address,
    api_url,
    drain_retrying,
    edit,
    flat,
    host,
    no_change,
    playbook,
    reload_nginx,
    restarts,
    snapshot,
    start_client,
)

PROXY = PROXIES[0]
ROOM_A, ROOM_B = NODES[:2]  # the first node: BBB 3.0, the second: BBB 2.7 (ops-c: test_adoption.py)
LABEL_A, LABEL_B = (name.split(".", 1)[0] for name in NODES[:2])
FIRST_NODE_ONLY = "lab_first_node_only"  # an inventory group of the first node alone (molecule.yml)
PROPERTIES = "/etc/bigbluebutton/bbb-web.properties"
MARKER = "/var/lib/bbb-cluster-proxy/restart-pending"
PROXY_CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
WRONG = "accessControlAllowOrigin=https://wrong.example"
PROXY_WROTE = "TASK [bbb.cluster_proxy.bbb_proxy : Write the cluster proxy's nginx configuration"


@pytest.fixture
def exec_failure_is_unreachable(monkeypatch):
    """The runs of this test report a node whose ``docker exec`` fails as unreachable (see the module docstring)."""
    monkeypatch.setenv("ANSIBLE_PIPELINING", "0")


def docker(*args):
    subprocess.run(["docker", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def paused(name):
    docker("pause", name)
    try:
        yield
    finally:
        docker("unpause", name)


def unpause_if_paused(name):
    with contextlib.suppress(subprocess.CalledProcessError):
        docker("unpause", name)


def break_origin(*names):
    """Hand-edit the allowed origin on the nodes, so that the next rollout has to change and restart them."""
    for name in names:
        edit(name, PROPERTIES, f"s#^accessControlAllowOrigin=.*#{WRONG}#")


def broken(name):
    return WRONG in host(name).file(PROPERTIES).content_string


@contextlib.contextmanager
def lab_pipelining():
    """The lab's pipelining (its ansible.cfg), also inside a test of ``exec_failure_is_unreachable``: for the runs
    when every node is reachable again (a run without pipelining costs a file copy per task and host)."""
    saved = os.environ.pop("ANSIBLE_PIPELINING", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["ANSIBLE_PIPELINING"] = saved


def site_again(*args):
    """The operator's next run, every node reachable again, two nodes at a time (only to keep the suite short);
    return its output."""
    with lab_pipelining():
        rc, output = playbook("bbb.cluster_proxy.site", "-e", "bbb_cluster_serial=2", *args)
    assert rc == 0, flat(output)[-3000:]
    return output


def converged():
    return not any(broken(name) or host(name).file(MARKER).exists for name in NODES)


def test_an_unreachable_node_stops_the_run_before_any_host_changes(tmp_path, exec_failure_is_unreachable):
    break_origin(ROOM_A)  # so that a run that went on would change the first node
    before = snapshot(hosts=[PROXY, ROOM_A])
    with paused(ROOM_B):
        for name in ("bbb.cluster_proxy.site", "bbb.cluster_proxy.preflight"):
            rc, output = playbook(name)
            text = flat(output)
            assert rc != 0
            assert f"Unreachable: {ROOM_B} (" in text, text[-2000:]
            assert "Nothing was changed on any host: the run stops before the proxy or any node is touched." in text
            assert (
                f"run with --limit 'all:localhost:!{ROOM_B}' and set bbb_node_version for that host in the inventory"
                in text
            )
            assert "PLAY [Configure the cluster proxy]" not in output
            assert snapshot(hosts=[PROXY, ROOM_A]) == before
        # the way out the message names: leave the second node out of this run, its version pinned; the proxy keeps
        # its path
        pinned = tmp_path / "pin.yml"
        pinned.write_text(f'bbb_nodes:\n  hosts:\n    {ROOM_B}:\n      bbb_node_version: "2.7"\n')
        proxy_conf = host(PROXY).file(PROXY_CONF).content_string
        with lab_pipelining():  # the paused node is out of this run: no docker exec reaches it
            rc, output = playbook(
                "bbb.cluster_proxy.site",
                *("-i", str(pinned), "--limit", f"all:localhost:!{ROOM_B}"),
                *("-e", "bbb_proxy_probe_timeout=3"),  # the paused node's TLS answer never comes
            )
        assert rc == 0, flat(output)[-3000:]
        assert (
            f"cannot reach https://{ROOM_B} (node {ROOM_B}, not in this run's --limit): its location stays, "
            f"and /{LABEL_B}/ answers 502 until the node is back."
        ) in flat(output)
        assert host(PROXY).file(PROXY_CONF).content_string == proxy_conf
        assert not broken(ROOM_A)
    assert converged()  # the second node was never touched


def test_a_node_lost_at_its_batch_or_in_the_middle_of_it_and_the_next_run(tmp_path, exec_failure_is_unreachable):
    """One rollout after the other, the operator's next run after both (a run each would only repeat it).

    1. Two nodes per batch; the first node goes away after validation: neither node of the batch changes.
    2. The first node dies while its restart waits for a meeting (drain); the second node, in the same batch, is
       finished and restarted; the run names the first node.
    3. Once it is back, the next run restarts it (its files were written), and only it.
    """
    break_origin(ROOM_A, ROOM_B)
    count = restarts(ROOM_A), restarts(ROOM_B)
    run = Run(tmp_path / "batch.log", "bbb.cluster_proxy.site", "-e", "bbb_cluster_serial=2")
    try:
        run.wait_for(PROXY_WROTE)  # after validation and the proxy's reachability probe
        docker("pause", ROOM_A)
        rc, output = run.finish()
    finally:
        unpause_if_paused(ROOM_A)
    text = flat(output)
    assert rc != 0
    assert (
        f"Unreachable: {ROOM_A} (" in text
        and f"The rollout stops here, before any node of this batch ({ROOM_A}, {ROOM_B}) changes" in text
        and "run bbb.cluster_proxy.site again" in text
    ), text[-2000:]
    assert broken(ROOM_A) and broken(ROOM_B)  # both untouched
    assert (restarts(ROOM_A), restarts(ROOM_B)) == count

    node_a = host(ROOM_A)
    assert "SUCCESS" in node_a.run(f"curl -sS '{api_url(ROOM_A, 'create', meetingID='fault-lab')}'").stdout
    assert start_client(ROOM_A, "fault-lab") == "connection_ack"  # a teacher in the meeting: the drain waits
    run = Run(
        tmp_path / "middle.log",
        "bbb.cluster_proxy.site",
        # one batch of every node (ops-c of test_adoption too): the lost node's batch is the last one
        *("-e", f"bbb_cluster_serial={len(NODES)}", "-e", "bbb_node_drain=true", "-e", "bbb_node_drain_timeout=120"),
    )
    try:
        # ansible-core >= 2.20 puts the role's name before the task's in this line
        run.wait_for(drain_retrying(ROOM_A))
        docker("kill", ROOM_A)
        rc, output = run.finish()
    finally:
        if run.process.poll() is None:
            run.kill()
        docker("start", ROOM_A)
        booted = ""
        for _attempt in range(60):  # until systemd answers on its bus, then until it has booted
            booted = node_a.run("systemctl is-system-running --wait").stdout.strip()
            if booted in ("running", "degraded"):
                break
            time.sleep(1)
        assert booted in ("running", "degraded")
    text = flat(output)
    assert rc != 0
    assert (
        f"{ROOM_A} became unreachable during the rollout (see UNREACHABLE above), so its configuration may be "
        "half-written; the other nodes of its batch were finished." in text
    ), text[-2000:]
    assert not broken(ROOM_B) and restarts(ROOM_B) == count[1] + 1  # finished, not half-configured
    assert not broken(ROOM_A) and node_a.file(MARKER).exists  # written, restart pending
    assert restarts(ROOM_A) == count[0]

    output = site_again()
    assert f"Host {ROOM_A}: the files of an earlier run are in place, but BigBlueButton was not restarted" in flat(
        output
    )
    assert (restarts(ROOM_A), restarts(ROOM_B)) == (count[0] + 1, count[1] + 1)
    assert converged()


def test_a_run_killed_between_the_file_writes_and_the_restart_converges_on_the_next_run(tmp_path):
    break_origin(ROOM_A)
    count = restarts(ROOM_A)
    run = Run(tmp_path / "site.log", "bbb.cluster_proxy.site")
    try:
        run.wait_for("PLAY [Configure the BigBlueButton nodes]")
        deadline = time.monotonic() + 120
        while broken(ROOM_A):  # the properties file is the first file the role writes
            assert run.process.poll() is None and time.monotonic() < deadline, run.output()[-3000:]
            time.sleep(0.05)
    finally:
        run.kill()
    assert "Restart BigBlueButton with bbb-conf" not in run.output()  # killed before the restart: only the marker knows
    assert restarts(ROOM_A) == count
    assert host(ROOM_A).file(MARKER).exists
    output = site_again()
    assert f"Host {ROOM_A}: the files of an earlier run are in place, but BigBlueButton was not restarted" in flat(
        output
    )
    assert restarts(ROOM_A) == count + 1
    assert converged()
    assert no_change(site_again())  # converged: the run after changes nothing
    assert restarts(ROOM_A) == count + 1


OPERATOR_FILE = "/etc/nginx/conf.d/zz-operator-cache.conf"


def test_a_proxy_configuration_that_fails_nginx_validation_never_goes_live():
    """An operator's own file already defines the cache zone the role's asset cache needs: enabling the cache makes
    a candidate that nginx rejects; the live file stays, nginx keeps serving, no node is touched."""
    proxy = host(PROXY)
    zone = "proxy_cache_path /var/cache/operator-nginx levels=1:2 keys_zone=bbb_cluster_proxy:1m;\n"
    assert proxy.run(f"printf '%s' '{zone}' > {OPERATOR_FILE} && nginx -t").rc == 0
    reload_nginx(proxy)
    try:
        live, served = proxy.file(PROXY_CONF).content_string, proxy.run("nginx -T 2>/dev/null").stdout
        before = snapshot(hosts=NODES)
        rc, output = playbook("bbb.cluster_proxy.site", "-e", "bbb_proxy_asset_cache=true")
        text = flat(output)
        assert rc != 0
        assert 'zone "bbb_cluster_proxy"' in text and f"{OPERATOR_FILE}:1" in text, text[-2000:]
        assert f"{PROXY_CONF} was left as it was and nginx keeps serving the old one; no node was changed" in text, (
            text[-2000:]
        )
        assert proxy.file(PROXY_CONF).content_string == live
        assert proxy.run(f"ls {PROXY_CONF}.*~ 2>/dev/null").stdout == ""  # no backup: nothing was replaced
        assert proxy.run("nginx -T 2>/dev/null").stdout == served
        status = proxy.run(f"curl -s -o /dev/null -w '%{{http_code}}' https://{PROXY}/{LABEL_A}/html5client/").stdout
        assert status == "200"
        assert snapshot(hosts=NODES) == before
    finally:
        proxy.run(f"rm -rf {OPERATOR_FILE} /var/cache/operator-nginx")
        reload_nginx(proxy)


class Load:
    """A bounded request loop through the proxy: threads that each open a new TLS connection per GET and pause
    ``pause`` seconds between GETs (so that the loop does not starve the converge of CPU)."""

    def __init__(self, address, paths, threads=2, limit=60.0, pause=0.01):
        ca = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "pki" / "ca.crt"
        self.context = ssl.create_default_context(cafile=str(ca))
        self.address, self.paths, self.limit, self.pause = address, paths, limit, pause
        self.stop = threading.Event()
        self.results = []  # (path, status or error)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(threads)]

    def get(self, path):
        with socket.create_connection((self.address, 443), timeout=10) as raw:
            with self.context.wrap_socket(raw, server_hostname=PROXY) as tls:
                tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {PROXY}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := tls.recv(65536):
                    data += chunk
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else f"no HTTP answer: {data[:80]!r}"

    def loop(self, index):
        deadline = time.monotonic() + self.limit
        while not self.stop.is_set() and time.monotonic() < deadline:
            path = self.paths[index % len(self.paths)]
            try:
                result = self.get(path)
            except OSError as error:
                result = f"{type(error).__name__}: {error}"
            with self.lock:
                self.results.append((path, result))
            time.sleep(self.pause)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


@pytest.fixture
def proxy_without_room_b():
    """The proxy as it is before the second node joins the cluster (node group of the first node alone)."""
    rc, output = playbook("bbb.cluster_proxy.site", "-e", f"bbb_cluster_nodes_group={FIRST_NODE_ONLY}")
    assert rc == 0, flat(output)[-3000:]
    assert f"/{LABEL_B}/" not in host(PROXY).file(PROXY_CONF).content_string
    yield
    if f"/{LABEL_B}/" not in host(PROXY).file(PROXY_CONF).content_string:  # the test failed before adding it
        site_again()


def test_no_request_fails_while_a_converge_adds_a_node_and_reloads_nginx(proxy_without_room_b, tmp_path):
    """Requests through the proxy from before the run until after the proxy's play reloaded nginx (its handlers run
    at the end of that play, before the nodes' play begins); the rest of the run goes on without the load."""
    paths = [f"/{LABEL_A}/html5client/", f"/{LABEL_A}/html5client/static/app.js"]
    with Load(address(PROXY), paths, limit=300.0, pause=0.03) as load:
        time.sleep(2)  # requests before the run
        run = Run(tmp_path / "site.log", "bbb.cluster_proxy.site")
        run.wait_for("PLAY [Configure the BigBlueButton nodes]")  # the proxy's play and its reload are done
        time.sleep(2)  # and after it
    rc, output = run.finish()
    assert rc == 0, flat(output)[-3000:]
    assert "RUNNING HANDLER [bbb.cluster_proxy.bbb_proxy : Reload nginx on the proxy]" in output
    assert f"changed: [{PROXY}]" in output.split("Reload nginx on the proxy]")[1].split("RUNNING HANDLER")[0]
    assert f"/{LABEL_B}/" in host(PROXY).file(PROXY_CONF).content_string  # the node was added
    failed = [result for result in load.results if result[1] != 200]
    assert len(load.results) > 100, f"only {len(load.results)} requests"
    assert failed == [], f"{len(failed)} of {len(load.results)} requests failed: {failed[:5]}"
    status = host(PROXY).run(f"curl -s -o /dev/null -w '%{{http_code}}' https://{PROXY}/{LABEL_B}/html5client/")
    assert status.stdout == "200"
