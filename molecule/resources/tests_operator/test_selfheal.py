# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrade self-healing (the hook after package upgrades), in the upgrade scenario: life after the rollout, without Ansible.

- prepare.yml upgraded bbb-01 from 2.7 to 3.0 and bbb-02 from 3.0 to 4.0 (family changes) after a rollout that
  installed the hook, and recorded in /root/selfheal-upgrade.json what the hook did before the converge.
- Here, after the converge: a package upgrade in place on a 3.0 node, then `bbb-conf --restart` by hand, and the
  client's new location answers through the proxy; and the path unit follows a package file change on its own.

Each test puts back the package file, the node's copy and bbb-conf's restart record, so that the other tests of the
scenario (restart counts, runs without changes) see the converged lab.
"""

from __future__ import annotations

import json
import time

import pytest
from lab_runs import NODES, PROXIES, RUNNER, flat, host, playbook, reload_nginx

HOOK = "/usr/local/lib/bbb-cluster-proxy/bbb_cluster_proxy_selfheal.py"
MARKER = "/var/lib/bbb-cluster-proxy/selfheal-failed"
COPY = "/etc/bigbluebutton/nginx/zz-cluster-proxy.nginx"
PACKAGE = "/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static"
CLIENT = "/usr/share/bigbluebutton/html5-client"
RECORDS = ["/var/lib/bbb-conf-double/restarts.log", "/var/log/bbb-conf-double.log"]


UPGRADED = [n for n in NODES if RUNNER.get_variables(n).get("lab_upgrade_to")]  # to another family (prepare.yml)


def record(name):
    text = host(name).file("/root/selfheal-upgrade.json").content_string
    assert text, f"{name}: prepare.yml recorded nothing (/root/selfheal-upgrade.json)"
    return json.loads(text)


def through_proxy(label, path):
    """GET https://<proxy>/<label>/html5client/<path> from the proxy host, as a browser would; (status, body)."""
    proxy = PROXIES[0]
    done = host(proxy).run(
        f"curl -sS -o /tmp/selfheal.body -w '%{{http_code}}' 'https://{proxy}/{label}/html5client/{path}'"
    )
    assert done.rc == 0, done.stderr
    return int(done.stdout), host(proxy).file("/tmp/selfheal.body").content_string


@pytest.mark.parametrize("name", UPGRADED)
def test_a_family_change_was_left_to_the_operator_and_the_rerun_cleared_the_marker(name):
    seen = record(name)
    assert "family change" in seen["marker"], seen  # the marker the health playbook and the metric report
    assert "family change" in seen["journal_errors"], seen  # loud in the journal, priority err
    assert seen["copy_unchanged"], seen  # nginx kept the last good copy (of the family before)
    node = host(name)
    assert not node.file(MARKER).exists  # the operator's re-run configured 3.0 and cleared it
    assert node.run(f"python3 {HOOK} --trigger lab-check").rc == 0  # and the hook agrees with the role now


@pytest.fixture
def node30():
    """A converged 3.0 node; its package file, copy and bbb-conf records are put back afterwards."""
    name = next(
        n
        for n in NODES
        if "BIGBLUEBUTTON_RELEASE=3.0" in host(n).file("/etc/bigbluebutton/bigbluebutton-release").content_string
    )
    node = host(name)
    assert node.run(f"cp -p {PACKAGE} /root/package.before && cp -p {COPY} /root/copy.before").rc == 0
    for path in RECORDS:
        assert node.run(f"cp -p {path} {path}.before").rc == 0
    yield name
    node.run("systemctl start bbb-cluster-proxy-selfheal.path")
    assert node.run(f"cp -p /root/package.before {PACKAGE} && rm -rf {CLIENT}/selfheal-lab").rc == 0
    node.run(f"python3 {HOOK} --trigger lab-restore")  # the copy follows the package file back
    for path in RECORDS:
        assert node.run(f"mv {path}.before {path}").rc == 0
    assert node.file(COPY).content_string == node.file("/root/copy.before").content_string
    reload_nginx(node)


def upgrade_in_place(node, what):
    """What a package upgrade does: a new directory of the client and a location for it in the package file."""
    assert (
        node.run(
            f"mkdir -p {CLIENT}/selfheal-lab/{what} && echo 'lab {what} asset' > {CLIENT}/selfheal-lab/{what}/asset.txt"
        ).rc
        == 0
    )
    line = f"location /html5client/{what} {{ alias {CLIENT}/selfheal-lab/{what}; }}"
    assert node.run(f"echo '{line}' >> {PACKAGE}").rc == 0


def test_bbb_conf_restart_by_hand_heals_an_upgrade_in_place(node30):
    node, label = host(node30), node30.split(".", 1)[0]
    # only bbb-conf may heal here: the path unit waits
    assert node.run("systemctl stop bbb-cluster-proxy-selfheal.path").rc == 0
    upgrade_in_place(node, "bycli")
    assert through_proxy(label, "bycli/asset.txt")[0] == 404  # not yet: the copy does not have it
    done = node.run("bbb-conf --restart")
    assert done.rc == 0, done.stdout + done.stderr
    assert f"location /{label}/html5client/bycli {{" in node.file(COPY).content_string
    status, body = through_proxy(label, "bycli/asset.txt")
    assert (status, body) == (200, "lab bycli asset\n")
    assert not node.file(MARKER).exists
    # the operator's apply-config.sh holds our block once, and bbb-conf ran it
    apply = node.file("/etc/bigbluebutton/bbb-conf/apply-config.sh")
    assert apply.mode == 0o755 and apply.content_string.count("BEGIN bbb.cluster_proxy self-heal") == 1
    assert "Applying updates in /etc/bigbluebutton/bbb-conf/apply-config.sh" in done.stdout


def test_the_path_unit_heals_a_package_upgrade_without_bbb_conf(node30):
    node, label = host(node30), node30.split(".", 1)[0]
    assert node.service("bbb-cluster-proxy-selfheal.path").is_running
    upgrade_in_place(node, "bydpkg")
    for _unused in range(30):  # the hook writes, tests with nginx -t, then reloads nginx
        status, body = through_proxy(label, "bydpkg/asset.txt")
        if status == 200:
            break
        time.sleep(1)
    assert (status, body) == (200, "lab bydpkg asset\n"), node.file(COPY).content_string
    assert f"location /{label}/html5client/bydpkg {{" in node.file(COPY).content_string
    restarts = node.file(RECORDS[0]).content_string
    assert restarts == node.file(RECORDS[0] + ".before").content_string  # nginx reloaded, BBB not restarted


def wait_until(check, timeout=30):
    for _unused in range(timeout):
        if check():
            return True
        time.sleep(1)
    return check()


def test_health_names_a_refused_heal_and_a_successful_heal_clears_it(node30):
    node = host(node30)
    # the package file goes away (a broken or a cross-family upgrade): the path unit refuses and says so
    assert node.run(f"mv {PACKAGE} /root/package.moved").rc == 0
    try:
        assert wait_until(lambda: node.file(MARKER).exists), "the hook wrote no marker"
        assert "cannot be read" in node.file(MARKER).content_string
        journal = node.run("journalctl -q -o cat -p err -t bbb-cluster-proxy-selfheal --no-pager").stdout
        assert f"SELF-HEAL REFUSED after a change of the package file: {PACKAGE} cannot be read" in journal
        assert node.file(COPY).content_string == node.file("/root/copy.before").content_string  # left as it was
        rc, output = playbook("bbb.cluster_proxy.health")
    finally:
        assert node.run(f"mv /root/package.moved {PACKAGE}").rc == 0
    text = flat(output)
    assert rc != 0, text[-3000:]
    assert f"{node30}: self-heal after a package upgrade did not change the cluster-proxy files ({MARKER}):" in text
    assert f"Run bbb.cluster_proxy.site for {node30}" in text
    # the package file is back: the next heal succeeds and clears the marker
    assert wait_until(lambda: not node.file(MARKER).exists), node.file(MARKER).content_string
