# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The workflows proxy at production size: the operator's checks answer as on the small cluster.

The proxy already serves other sites of the operator's beside the cluster (prepare.yml: hundreds of KiB of server
blocks). Here the cluster grows by IDLE pinned, idle node names, as an operator's proxy of hundreds of nodes has
them: in the inventory (a second inventory source, group ``lab_idle`` inside the node group, each with its
``bbb_node_version``), their addresses pinned on the proxy (127.0.0.1: nothing leaves the proxy) and left out of
every run with ``--limit 'all:localhost:!lab_idle'``, the way the collection says to run without nodes that are
down. site, drift, preflight, health and collect then run on a proxy whose ``nginx -T`` is close to 1 MiB; a drift check
that stopped reading early (``nginx -T | grep -q`` under pipefail) reported the cluster's file as not loaded here.

Runs last in the scenario (Molecule runs the files in path order, and this name sorts after the
test_workflows_<n>_*.py files); it leaves the proxy's file as it found it.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import yaml
from lab_runs import NODES, PROXIES, bundle, flat, host, playbook, reload_nginx, snapshot

PROXY = PROXIES[0]
ROOM_A = NODES[0]
LABEL_A = ROOM_A.split(".", 1)[0]
PROXY_CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
IDLE = [f"idle-{i:03d}.lab.test" for i in range(1, 301)]
LIMIT = "all:localhost:!lab_idle"
SAVED = "/root/bbb-cluster-proxy.conf.before-size"
RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """The cluster with the idle nodes, converged (site with the limit); the proxy's file is put back afterwards."""
    inventory = tmp_path_factory.mktemp("size") / "idle.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "bbb_nodes": {"children": {"lab_idle": {}}},
                "lab_idle": {
                    "hosts": {name: {"bbb_node_version": "3.0" if i % 3 else "2.7"} for i, name in enumerate(IDLE)}
                },
                "bbb_proxy": {"hosts": {PROXY: {"bbb_proxy_node_addresses": {name: ["127.0.0.1"] for name in IDLE}}}},
            }
        )
    )
    proxy = host(PROXY)
    assert proxy.run(f"cp -p {PROXY_CONF} {SAVED}").rc == 0  # too large to pass back through a command line
    # a request for the collect test, whose line the proxy's buffered access log has written by the time site is done
    since = time.gmtime(time.time() - 2)
    url = f"https://{PROXY}/{LABEL_A}/html5client/?marker=size-{RUN}"
    assert proxy.run(f"curl -sS -o /dev/null --max-time 10 '{url}'").rc == 0
    until = time.gmtime(time.time() + 1)
    rc, output = playbook("bbb.cluster_proxy.site", "-i", str(inventory), "--limit", LIMIT)
    assert rc == 0, flat(output)[-3000:]
    try:
        yield {"inventory": str(inventory), "site": output, "since": since, "until": until}
    finally:
        put_back(proxy, SAVED)


def put_back(proxy, saved):
    """The proxy's file as it was (a copy on the proxy), live again."""
    assert proxy.run(f"cp -p {saved} {PROXY_CONF} && rm -f {saved}").rc == 0
    reload_nginx(proxy)


def run(grown, name, *args):
    return playbook(name, "-i", grown["inventory"], "--limit", LIMIT, *args)


def test_the_proxy_is_of_production_size(grown):
    proxy = host(PROXY)
    dump = proxy.run("nginx -T 2>/dev/null | wc -c")
    # close to 1 MiB: more than 12 times the 64 KiB pipe buffer that a `nginx -T | grep -q` pipeline outgrew
    assert int(dump.stdout) > 768 * 1024, f"nginx -T prints {dump.stdout.strip()} bytes"
    assert (
        proxy.run(
            "nginx -T 2>/dev/null | grep -c '^# configuration file /etc/nginx/sites-enabled/university:$'"
        ).stdout.strip()
        == "1"
    )
    conf = proxy.file(PROXY_CONF).content_string
    assert conf.count("\nupstream ") == len(IDLE) + len(NODES)
    assert f"/{IDLE[-1].split('.')[0]}/html5client" in conf
    # the nodes left out of the run are named once, each as a node the proxy cannot verify (its own nginx answers)
    text = flat(grown["site"])
    assert f"cannot verify https://{IDLE[0]} (node {IDLE[0]}, not in this run's --limit): its location stays" in text


def test_drift_says_no_drift_on_the_converged_cluster(grown):
    rc, output = run(grown, "bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-3000:]
    assert (
        "No drift: the proxy and every node of this run agree with the inventory. "
        f"Left out by --limit, not checked: {len(IDLE)} host(s)."
    ) in flat(output)


def test_drift_names_a_drift_planted_at_the_end_of_a_large_file(grown):
    proxy = host(PROXY)
    last = IDLE[-1].split(".")[0]
    assert proxy.run(f"cp -p {PROXY_CONF} {SAVED}.planted").rc == 0
    before = snapshot(hosts=[PROXY, *NODES])
    proxy.run(f"sleep 1; sed -i 's#/{last}/#/{last}-moved/#g' {PROXY_CONF}")
    try:
        rc, output = run(grown, "bbb.cluster_proxy.drift")
        after = snapshot(hosts=[PROXY, *NODES])
    finally:
        put_back(proxy, f"{SAVED}.planted")
    assert rc != 0
    text = flat(output)
    assert f"locations for nodes not in the inventory: {last}-moved (their paths still reach those hosts)." in text
    assert f"no location for {last} (in the inventory): their clients answer 404 on the proxy." in text
    assert f"nginx runs a configuration older than {PROXY_CONF}" in text
    assert "is not part of what nginx loads" not in text
    # read-only: on the proxy only the planted edit differs, on the nodes nothing
    changed = set(after[PROXY].splitlines()) ^ set(before[PROXY].splitlines())
    assert {line.split()[-1] for line in changed} == {PROXY_CONF}
    assert all(after[name] == before[name] for name in NODES)


def test_preflight_health_and_collect_pass(grown, tmp_path):
    """The three read-mostly playbooks in one ansible-playbook run (a playbook importing them by FQCN, as an operator's
    own wrapper would): each starts with its own validation, and each must pass at this size."""
    since, until = (time.strftime("%Y-%m-%dT%H:%M:%SZ", grown[key]) for key in ("since", "until"))
    wrapper = tmp_path / "checks.yml"
    wrapper.write_text(
        "- import_playbook: bbb.cluster_proxy.preflight\n"
        "- import_playbook: bbb.cluster_proxy.health\n"
        "- import_playbook: bbb.cluster_proxy.collect\n"
    )
    rc, output = run(
        grown,
        str(wrapper),
        *("-e", "bbb_cluster_rollback_id=20261206T000000Z", "-e", f"bbb_logs_dest={tmp_path}"),
        *("-e", f"since={since}", "-e", f"until={until}"),
    )
    assert rc == 0, flat(output)[-3000:]
    text = flat(output)
    # preflight
    assert (
        f"Rollback point 20261206T000000Z recorded on every host of this run (left out by --limit: {len(IDLE)} host(s))"
        in text
    )
    assert f"{ROOM_A}: BBB 3.0.30, bbb-conf --check ok" in text and IDLE[0] + ": BBB" not in text
    assert f"cannot verify https://{IDLE[-1]} (node {IDLE[-1]}, not in this run's --limit)" in text
    # health
    assert "'api': 'ok'" in output.replace('"', "'")
    report = output.split("Show the health per host]")[1].split("PLAY [")[0]
    assert ROOM_A in report and IDLE[0] not in report and "not checked" not in report  # left out, not "not checked"
    # collect
    assert "missing:" not in text
    (archive,) = sorted(tmp_path.glob("*.tar.gz"))
    members = bundle(archive)
    assert set(json.loads(members["manifest.json"])["hosts"]) == {PROXY, *NODES}
    assert f"marker=size-{RUN}" in members[f"{PROXY}/proxy-access.log"]


def test_a_limit_that_leaves_out_localhost_stops_before_any_change(grown):
    before = snapshot(hosts=[PROXY, *NODES])
    rc, output = playbook("bbb.cluster_proxy.site", "-i", grown["inventory"], "--limit", "!lab_idle")
    assert rc != 0
    text = flat(output)
    assert "This run's --limit ('!lab_idle') leaves out localhost" in text, text[-2000:]
    assert "Add localhost to the limit, for example --limit 'all:localhost:!lab_idle'." in text
    assert "PLAY [Configure the cluster proxy]" not in output
    assert snapshot(hosts=[PROXY, *NODES]) == before
