# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Acceptance of the mixed cluster's BBB 4.0 node, by API and in the browser (the 2.7 and 3.0 nodes' walks: the
workflows scenario). On 4.0 every media bridge is LiveKit by default (its bigbluebutton.properties), so its client's
LiveKit signalling must go to the node, never to the proxy; and its audio processor's files, whose path the client
takes from the page's path (bigbluebutton #24857), must come through the proxy under the node's path."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# molecule/resources/tests_operator/lab_runs.py of this checkout, shared with the other scenarios' operator tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources" / "tests_operator"))
from lab_runs import NODES, PROXIES, RUNNER, flat, playbook, walkthrough  # noqa: E402

PROXY = PROXIES[0]


def version(name):
    return RUNNER.get_variables(name)["bbb_lab_node_version"]


def test_the_4_0_node_alone_is_accepted_by_api_and_in_the_browser(tmp_path):
    """An operator accepts one node (--limit): the API walk and the browser's on the 4.0 node only, every bridge on
    LiveKit (its package default) and its client's settings as 4.0 serves them (meetingStaticData)."""
    (node_40,) = [name for name in NODES if version(name) == "4.0"]
    label = node_40.split(".")[0]
    rc, output = playbook("bbb.cluster_proxy.acceptance", *walkthrough(tmp_path), "--limit", f"localhost:{node_40}")
    text = flat(output)
    assert rc == 0, text[-3000:]
    seen = {
        suite.get("name"): {case.get("name"): case.find("system-out").text for case in suite}
        for suite in ET.parse(tmp_path / "report" / "junit.xml").getroot()
    }
    assert list(seen) == [node_40]  # the other nodes are not in this run's --limit
    assert all(f'"{name}":' not in text.split("Show the result per node]")[-1] for name in NODES if name != node_40)
    assert f'"{node_40}": "pass: teacher, learner and guest joined through https://{PROXY}/{label}/html5client/' in text
    assert seen[node_40]["livekit"] == f"LiveKit signalling to the node: wss://{node_40}/livekit/rtc, answered"
    assert seen[node_40]["audio_processor"] == (
        f"audio processor files from https://{PROXY}/{label}/html5client/wasm/: BBBA-mapi.wasm, BBBA-mapi.js, "
        "mapi-proc.js"
    )
