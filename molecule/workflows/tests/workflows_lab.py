# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and helpers that the workflows scenario's test_workflows_<n>_*.py files share.

The lab's proxy and nodes, the node files the tests edit, the snapshot of the managed files that ``clean_state``
(conftest.py) keeps, and the Scalelite double. The helpers every scenario's operator tests share are in
molecule/resources/tests_operator/lab_runs.py (on sys.path through conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import time

from lab_runs import NODES, PROXIES, RUNNER, host, snapshot

POINT = "20261125T000000Z"
PROXY = PROXIES[0]
ROOM_A, ROOM_B = NODES  # room-a: BBB 3.0, room-b: BBB 2.7
PROPERTIES = "/etc/bigbluebutton/bbb-web.properties"
HTML5 = "/etc/bigbluebutton/bbb-html5.yml"
RETENTION = "/etc/default/bigbluebutton-cron-config"  # room-a: bbb_node_retention_log_days (molecule.yml)
MANAGED = " ".join(
    [
        "/etc/bigbluebutton/bbb-web.properties /etc/bigbluebutton/bbb-html5.yml /etc/bigbluebutton/etherpad.json",
        "/etc/bigbluebutton/nginx /etc/bigbluebutton/bbb-graphql-server.env /etc/bigbluebutton/bbb-graphql-middleware.yml",
        "/etc/systemd/system/*.d /etc/nginx/conf.d/bbb-cluster-proxy.conf",
        "/etc/default/bigbluebutton-cron-config",
    ]
)


def managed_snapshot():
    """sha256 of the files the roles manage (not of the backups they leave beside them)."""
    sums = snapshot(MANAGED)
    return {
        name: "\n".join(line for line in text.splitlines() if not line.endswith("~")) for name, text in sums.items()
    }


LB = "wf-lb.lab.test"  # the Scalelite double (molecule/resources/roles/bbb_lab_scalelite)


def lb_secret():
    return RUNNER.get_variables(LB)["bbb_lab_lb_secret"]


def lb_args():
    """The load balancer as an operator sets it, once for every playbook (bbb_cluster_lb_*)."""
    return [
        "-e",
        f"bbb_cluster_lb_api_url=https://{LB}/bigbluebutton/api",
        "-e",
        f"bbb_cluster_lb_secret={lb_secret()}",
    ]


def scalelite_pool_settled(timeout=60):
    """Wait until Scalelite (its poller, every 5 s in the lab) has every node enabled, online and at the same load:
    the restarts of the tests before leave a node offline or loaded for a poll or two, and Scalelite places a
    meeting on the lowest load (Server.find_available), so a test right after them would see every meeting on the
    other node. Returns getServers' answer."""
    checksum = hashlib.sha256(
        ("getServers" + lb_secret()).encode()
    ).hexdigest()  # Scalelite's checksum (SHA256 allowed)
    deadline = time.monotonic() + timeout
    while True:
        answer = host(PROXY).run(f"curl -sS 'https://{LB}/scalelite/api/getServers?checksum={checksum}'").stdout
        servers = json.loads(answer)
        ready = all(s["state"] == "enabled" and s["online"] == "online" and s["load"] != "unavailable" for s in servers)
        if ready and len({str(s["load"]) for s in servers}) == 1:
            return servers
        assert time.monotonic() < deadline, f"Scalelite's pool did not settle in {timeout} s: {servers}"
        time.sleep(2)
