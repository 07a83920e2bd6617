# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mixed cluster (BBB 2.7, 3.0 and 4.0 nodes) walked through by acceptance, by API and in the browser: each node's
steps as its family's capabilities have them. On the 4.0 node every media bridge is LiveKit by default (its
bigbluebutton.properties), so its client's LiveKit signalling must go to the node, never to the proxy; and its audio
processor's files, whose path the client takes from the page's path (bigbluebutton #24857), must come through the
proxy under the node's path."""

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


def test_each_node_is_walked_through_as_its_family_can(tmp_path):
    rc, output = playbook("bbb.cluster_proxy.acceptance", *walkthrough(tmp_path))
    assert rc == 0, flat(output)[-3000:]
    seen = {
        suite.get("name"): {case.get("name"): case.find("system-out").text for case in suite}
        for suite in ET.parse(tmp_path / "report" / "junit.xml").getroot()
    }
    assert set(seen) == set(NODES)
    (node_40,) = [name for name in NODES if version(name) == "4.0"]
    label = node_40.split(".")[0]
    assert seen[node_40]["livekit"] == f"LiveKit signalling to the node: wss://{node_40}/livekit/rtc, answered"
    assert seen[node_40]["audio_processor"] == (
        f"audio processor files from https://{PROXY}/{label}/html5client/wasm/: BBBA-mapi.wasm, BBBA-mapi.js, "
        "mapi-proc.js"
    )
    for name in NODES:
        if name != node_40:  # 2.7, and 3.0 without bbb-livekit: their meetings use bbb-webrtc-sfu
            assert seen[name]["livekit"] == "not used: no LiveKit on the node, its meeting uses bbb-webrtc-sfu"
            assert seen[name]["audio_processor"].startswith("not used:")
