# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract of the lab's bbb-conf double (molecule/resources/roles/bbb_lab_node/templates/bbb-conf.j2): one test
per upstream behaviour the collection relies on, named after the function of bigbluebutton-config/bin/bbb-conf it
mirrors (read in bigbluebutton/bigbluebutton: 15b0e11 of the 2.7 line, 0001331 and 6ddc25d of the 3.0 line).

Faults are made beneath the double, as on a real node: a component's program is taken away (its unit fails, or
bbb-web's Restart=always keeps it in auto-restart); the double's answers are never told what to say.

Runs in the mixed scenario (BBB 2.7, 3.0 and 4.0 nodes), after its other tests; it leaves every node running. The
listing is checked on the 2.7 and 3.0 nodes: 4.0's bbb-conf could not be read (docs/versions.md, "4.0"), so the double
lists there what the 3.0 code lists, and nothing here claims that is 4.0's list.
"""

from __future__ import annotations

import re
import time

import pytest
from lab_runs import NODES, RUNNER, host

# display_bigbluebutton_status on a node with the packages the lab installs, in upstream's order: 3.0 as the
# 3.0.x install docs show it; 2.x with the meteor client's units (the lab's bbb-html5-with-roles.conf: one backend,
# two frontends) and kurento.
STATUS_30 = (
    "nginx freeswitch redis-server bbb-apps-akka bbb-fsesl-akka bbb-graphql-actions bbb-graphql-middleware "
    "bbb-graphql-server bbb-webrtc-sfu bbb-webrtc-recorder etherpad bbb-web bbb-pads bbb-export-annotations "
    "bbb-rap-caption-inbox bbb-rap-resque-worker bbb-rap-starter"
).split()
STATUS_2X = (
    "nginx freeswitch redis-server bbb-apps-akka bbb-fsesl-akka mongod bbb-html5 bbb-html5-backend@1 "
    "bbb-html5-frontend@1 bbb-html5-frontend@2 bbb-webrtc-sfu bbb-webrtc-recorder kurento-media-server etherpad "
    "bbb-web bbb-pads bbb-export-annotations bbb-rap-caption-inbox bbb-rap-resque-worker bbb-rap-starter"
).split()
LINE = "—" * 29 + "►"  # upstream's line='…►', cut by the length of the unit's name
NODE_30 = next(n for n in NODES if RUNNER.get_variables(n).get("bbb_lab_node_version", "3.0") == "3.0")
WEB_PROGRAM = "/usr/local/lib/bbb-lab/bbb_web_double.py"
COMPONENT = "/usr/local/lib/bbb-lab/component"


def status(node):
    done = host(node).run("LC_ALL=C.UTF-8 bbb-conf --status")  # a UTF-8 shell: the C locale cuts the arrow by bytes
    assert done.rc == 0, done.stderr
    return done.stdout


def states(text):
    return dict(re.findall(r"^(\S+) \S* ?\[[✔✘] - ([a-z-]+)\]$", text, flags=re.MULTILINE))


def wait_for(node, unit, wanted, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = states(status(node)).get(unit)
        if found in wanted:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{node}: {unit} is {states(status(node)).get(unit)}, not {wanted}")


def bring_back(node):
    """The node as before a test: every component's program in place, BigBlueButton restarted, bbb-web answering."""
    done = host(node).run(
        f"test -e {WEB_PROGRAM} || mv {WEB_PROGRAM}.away {WEB_PROGRAM}; "
        f'for p in {COMPONENT}/*.away; do [ -e "$p" ] && mv "$p" "${{p%.away}}"; done; '
        "systemctl restart bigbluebutton.target"
    )
    assert done.rc == 0, done.stderr
    wait_for(node, "bbb-web", {"active"})
    assert all(state == "active" for state in states(status(node)).values()), status(node)


READ = [n for n in NODES if RUNNER.get_variables(n).get("bbb_lab_node_version", "3.0") in ("2.6", "2.7", "3.0")]


@pytest.mark.parametrize("node", READ)
def test_display_bigbluebutton_status_lists_the_installed_components_in_order(node):
    text = status(node)
    version = RUNNER.get_variables(node).get("bbb_lab_node_version", "3.0")
    wanted = STATUS_30 if version == "3.0" else STATUS_2X
    assert list(states(text)) == wanted
    assert all(state == "active" for state in states(text).values()), text
    # printf "%s %s [✔ - $status]\n" $unit "${line:${#unit}}"
    assert text.splitlines()[0] == f"nginx {LINE[len('nginx') :]} [✔ - active]"


def test_start_bigbluebutton_checks_nothing_and_restart_exits_0():
    """A bbb-web whose program is gone: --restart restarts the target, checks nothing and exits 0; --status then shows
    bbb-web in auto-restart (Restart=always, RestartSec=60), and check_state's API check says it is not reachable."""
    node = host(NODE_30)
    try:
        assert node.run(f"mv {WEB_PROGRAM} {WEB_PROGRAM}.away").rc == 0
        done = node.run("LC_ALL=C.UTF-8 bbb-conf --restart")
        assert done.rc == 0, done.stdout + done.stderr
        assert "Restarting BigBlueButton 3.0" in done.stdout and "Starting BigBlueButton" in done.stdout
        assert "# Error: Could not connect to the configured hostname/IP address" in done.stdout  # check_state
        assert wait_for(NODE_30, "bbb-web", {"activating"}) == "activating"
        shown = node.run("systemctl show -p ActiveState -p SubState bbb-web.service").stdout
        assert "SubState=auto-restart" in shown
    finally:
        bring_back(NODE_30)


def test_check_state_reports_inactive_units_only():
    """check_state greps --status for 'inactive': a component whose program is missing is 'failed' (no Restart=) and
    shows only in --status; a stopped one is 'inactive' and --check names it. --check exits 0 either way."""
    node = host(NODE_30)
    try:
        assert node.run(f"mv {COMPONENT}/bbb-graphql-middleware {COMPONENT}/bbb-graphql-middleware.away").rc == 0
        assert node.run("bbb-conf --restart").rc == 0
        assert wait_for(NODE_30, "bbb-graphql-middleware", {"failed"}) == "failed"
        check = node.run("LC_ALL=C.UTF-8 bbb-conf --check")
        assert check.rc == 0 and "Detected some processes have not started correctly" not in check.stdout
        assert node.run("systemctl stop bbb-pads.service").rc == 0
        check = node.run("LC_ALL=C.UTF-8 bbb-conf --check")
        assert check.rc == 0 and "# Error: Detected some processes have not started correctly" in check.stdout
        assert re.search(r"^#\s+bbb-pads .*\[✘ - inactive\]", check.stdout, flags=re.MULTILINE), check.stdout
    finally:
        bring_back(NODE_30)
