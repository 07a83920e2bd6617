# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rollback of the BigBlueButton packages, in the operations lab (molecule/operations).

ops-c is the lab's packaged node (``bbb_lab_node_packaged``, molecule/resources/roles/bbb_lab_node/tasks/packages.yml):
its package files belong to real Debian packages in a local apt repository, each package installed as
``1:<release>-lab1`` and also on offer as ``-lab2``; dpkg and apt are Debian's own. The workflows scenario, where the
file rollback is tested, has no packaged node, so this test is here; Molecule runs it after
../../resources/tests_operator/* (it sorts the paths it hands to pytest), on the converged lab those tests leave.

One sequence, each run only on ops-c (``--limit``): a rollback point recorded with the packages at lab1, an upgrade
to lab2 with apt; the rollback playbook without ``bbb_rollback_packages`` names every changed package and changes
none; with it, while the repository no longer offers one package's lab1, it fails naming that package before
anything changes (a hand-edited managed file stays edited); with lab1 back in the repository it puts every package
back to lab1, then the file, restarts the node once, and the node answers again.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

# molecule/resources/tests_operator/lab_runs.py, the helpers of every scenario's operator tests
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources" / "tests_operator"))
from lab_runs import PROXIES, edit, flat, host, no_change, playbook, restarts, restore  # noqa: E402

NODE = "ops-c.lab.test"  # the packaged node (molecule.yml: bbb_lab_node_packaged)
PROXY = PROXIES[0]
POINT = "20261201T000000Z"  # a point of this test's own: prepare.yml's preflight recorded the hand-made setup
REPO = "/var/lib/bbb-lab/packages/repo"
WITHHELD = "/var/lib/bbb-lab/packages/withheld"
INDEX = "/usr/local/sbin/bbb-lab-apt-index"  # writes the repository's index again (tasks/packages.yml)
HTML5 = "/etc/bigbluebutton/bbb-html5.yml"  # a file of the point (bbb_node's managed files)
HAND_EDIT = "# hand edit after the upgrade"


def installed():
    """{package: version} of the lab's BigBlueButton packages installed on the node, as dpkg reads them."""
    out = host(NODE).run("dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 'bbb-*'").stdout
    return {name: version for name, version, status in (line.split() for line in out.splitlines()) if status == "ii"}


def apt_install(versions):
    """apt-get install name=version ... on the node, as an operator upgrades (or downgrades); fails the test where
    apt fails."""
    targets = " ".join(f"{name}={version}" for name, version in sorted(versions.items()))
    done = host(NODE).run(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades -o Dpkg::Options::=--force-confold "
        + targets
    )
    assert done.rc == 0, done.stdout[-2000:] + done.stderr[-2000:]


def record(tmp_path):
    """The rollback point, through the role's entry point record (what the preflight runs after its checks, which
    test_adoption.py covers on this node): a playbook of the operator's own, on the node alone."""
    wrapper = tmp_path / "record.yml"
    wrapper.write_text(
        "- name: Record a rollback point of the packaged node\n"
        f"  hosts: {NODE}\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Record the rollback point\n"
        "      ansible.builtin.include_role: {name: bbb.cluster_proxy.bbb_rollback, tasks_from: record}\n"
    )
    rc, output = playbook(str(wrapper), "-e", f"bbb_rollback_id={POINT}")
    assert rc == 0, flat(output)[-3000:]
    manifest = host(NODE).run(f"cat /var/backups/bbb-cluster-proxy/{POINT}/manifest.json")
    assert manifest.rc == 0, manifest.stderr
    return json.loads(manifest.stdout)


def rollback(*args):
    # a limit names localhost too: the playbooks validate the inventory there (docs/operations.md, Runs with --limit)
    return playbook(
        "bbb.cluster_proxy.rollback", "--limit", f"{NODE},localhost", "-e", f"bbb_rollback_id={POINT}", *args
    )


def api_answers(timeout=60):
    """True once the node's API answers SUCCESS (after its restart), asked from the proxy as the cluster asks it."""
    deadline = time.monotonic() + timeout
    while True:
        answer = host(PROXY).run(f"curl -sS --cacert /etc/ssl/bbb-lab/ca.crt https://{NODE}/bigbluebutton/api")
        if "<returncode>SUCCESS</returncode>" in answer.stdout:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(1)


def test_rollback_reports_and_with_bbb_rollback_packages_restores_the_packages(tmp_path):
    lab1 = installed()
    assert {"bbb-web", "bbb-html5"} <= set(lab1), lab1
    # lab2 is apt's candidate: the converge's adoption reinstalled the installed lab1 (adopt: name=version), and
    # did not upgrade the node on its way
    assert all(version.endswith("-lab1") for version in lab1.values()), lab1
    manifest = record(tmp_path)
    assert manifest["packages"] == lab1, manifest.get("packages")
    lab2 = {name: version.replace("-lab1", "-lab2") for name, version in lab1.items()}
    apt_install(lab2)
    assert installed() == lab2
    changes = [f"{name} {lab1[name]} -> {lab2[name]}" for name in sorted(lab1)]
    count = restarts(NODE)

    # without bbb_rollback_packages: every changed package named, none changed, nothing else to do
    rc, output = rollback()
    assert rc == 0, flat(output)[-3000:]
    text = flat(output)
    assert (
        f"{NODE}: rollback point {POINT}, nothing restored, nothing removed; BigBlueButton packages changed since "
        f"the point: {', '.join(changes)}; not put back: bbb_rollback_packages is false"
    ) in text
    assert no_change(output)
    assert installed() == lab2 and restarts(NODE) == count

    original = edit(NODE, HTML5, f"$a {HAND_EDIT}")
    host(NODE).run(f"mkdir -p {WITHHELD}")
    withheld = f"{REPO}/bbb-web_{lab1['bbb-web'].split(':', 1)[1]}_all.deb"
    try:
        # a mirror that no longer offers bbb-web's recorded version: named, and nothing changes on the node
        done = host(NODE).run(f"mv {withheld} {WITHHELD}/ && {INDEX}")
        assert done.rc == 0, done.stderr
        rc, output = rollback("-e", "bbb_rollback_packages=true")
        assert rc != 0
        text = flat(output)
        assert "so nothing was changed (no package, no file)" in text, text[-3000:]
        assert f"bbb-web {lab1['bbb-web']} (on offer: {lab2['bbb-web']})" in text
        assert installed() == lab2 and restarts(NODE) == count
        assert HAND_EDIT in host(NODE).file(HTML5).content_string

        # lab1 on offer again: the packages back to lab1 first, then the file, then the node's one restart
        done = host(NODE).run(f"mv {WITHHELD}/*.deb {REPO}/ && {INDEX}")
        assert done.rc == 0, done.stderr
        rc, output = rollback("-e", "bbb_rollback_packages=true")
        assert rc == 0, flat(output)[-3000:]
        text = flat(output)
        assert f"{NODE}: rollback point {POINT}, {HTML5} restored, nothing removed;" in text
        assert f"put back with apt: {', '.join(f'{name}={lab1[name]}' for name in sorted(lab1))}" in text
        assert installed() == lab1  # dpkg's own record
        verify = host(NODE).run(f"dpkg --verify {' '.join(sorted(lab1))}")
        assert verify.rc == 0 and verify.stdout.strip() == "", verify.stdout + verify.stderr
        assert host(NODE).file(HTML5).content_string == original
        assert restarts(NODE) == count + 1
        assert api_answers(), f"{NODE}'s API does not answer after the rollback's restart"
    finally:  # the lab as converged, also where the test failed half-way
        host(NODE).run(f"mv {WITHHELD}/*.deb {REPO}/ 2>/dev/null; {INDEX}")
        if installed() != lab1:
            apt_install(lab1)
        if HAND_EDIT in host(NODE).file(HTML5).content_string:
            restore(NODE, HTML5, original)
