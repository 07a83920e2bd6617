# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's API client: checksums as bbb_api signs them, where the meetings are placed, the lab's
name mapping, the CA bundle."""

from __future__ import annotations

import hashlib
import os
import socket
import xml.etree.ElementTree as ET

from ansible_collections.bbb.cluster_proxy.plugins.module_utils import walkthrough_api
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_api import Api


def test_api_links_carry_bbb_checksums():
    """SHA-256 unless the operator's bbb_cluster_checksum_algorithm says otherwise (the module's checksum_algorithm)."""
    api = Api("https://bbb-01.example.com/bigbluebutton/api/", "s3cret", None)
    link = api.link("join", meetingID="m 1", fullName="Teacher")
    query = "meetingID=m+1&fullName=Teacher"
    assert link == (
        f"https://bbb-01.example.com/bigbluebutton/api/join?{query}"
        f"&checksum={hashlib.sha256(('join' + query + 's3cret').encode()).hexdigest()}"
    )
    assert "s3cret" not in link
    sha1 = Api("https://bbb-01.example.com/bigbluebutton/api", "s3cret", None, "sha1").link("end", meetingID="m")
    assert sha1.endswith(hashlib.sha1(b"endmeetingID=ms3cret").hexdigest())  # noqa: S324 - BBB's checksum


def test_text_is_the_first_element_anywhere_below():
    root = ET.fromstring(
        "<response><recordings><recording><state>published</state></recording></recordings></response>"
    )
    assert walkthrough_api.text(root, "state") == "published"
    assert walkthrough_api.text(root, "url") == ""


def test_lab_names_resolve_to_the_given_addresses(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)  # restored after the test
    walkthrough_api.resolve_with({"room-a.lab.test": "127.0.0.1"})
    assert socket.getaddrinfo("room-a.lab.test", 443)[0][4][0] == "127.0.0.1"


def test_the_ca_bundle_holds_the_extra_ca(tmp_path):
    extra = tmp_path / "ca.pem"
    extra.write_text("-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n\n")
    bundle = walkthrough_api.ca_bundle(str(extra), str(tmp_path))
    assert os.path.dirname(os.path.dirname(bundle)) == str(tmp_path)
    assert (
        open(bundle, encoding="utf-8").read().endswith("-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n")
    )


class FakeApi(Api):
    """Answers create with SUCCESS, and a join's Location on the node ``lands`` says (the load balancer's choice)."""

    def __init__(self, url, secret, ca_file, algorithm="", lands=()):
        super().__init__(url, secret, ca_file, algorithm)
        self.calls, self.lands = [], list(lands)

    def call(self, call, body=None, **params):
        self.calls.append((call, body is not None, params))
        return ET.fromstring("<response><returncode>SUCCESS</returncode></response>")

    def location(self, call, **params):
        return f"https://{self.lands.pop(0)}/bigbluebutton/api/join?x=1"


PARAMS = {
    "recordings": True, "ca_file": None, "checksum_algorithm": "",
    "nodes": [
        {"name": "a", "hostname": "room-a.lab.test", "api_url": "https://room-a.lab.test/bigbluebutton/api", "api_secret": "s"},
        {"name": "b", "hostname": "room-b.lab.test", "api_url": "https://room-b.lab.test/bigbluebutton/api", "api_secret": "s"},
    ],
}  # fmt: skip


def test_without_a_load_balancer_each_node_gets_its_meeting_with_the_pdf(monkeypatch):
    apis = []
    monkeypatch.setattr(walkthrough_api, "Api", lambda *a: apis.append(FakeApi(*a)) or apis[-1])
    placed, created = walkthrough_api.place_meetings(PARAMS)
    assert sorted(placed) == ["a", "b"] and [r for _a, _m, r in placed.values()] == ["SUCCESS", "SUCCESS"]
    assert [m for _a, m in created] == [placed["a"][1], placed["b"][1]]
    assert placed["a"][1].startswith("bbb-cluster-proxy-browser-room-a-")
    ((call, with_body, params),) = apis[0].calls
    assert call == "create" and with_body
    assert params["guestPolicy"] == "ASK_MODERATOR" and params["autoStartRecording"] == "true"
    assert "audioBridge" not in params  # no LiveKit on room-a


def test_a_node_with_livekit_gets_a_meeting_on_livekit(monkeypatch):
    apis = []
    monkeypatch.setattr(walkthrough_api, "Api", lambda *a: apis.append(FakeApi(*a)) or apis[-1])
    nodes = [dict(PARAMS["nodes"][0], livekit=True), PARAMS["nodes"][1]]
    walkthrough_api.place_meetings(dict(PARAMS, nodes=nodes))
    bridges = [{k: v for k, v in api.calls[0][2].items() if k.endswith("Bridge")} for api in apis]
    assert bridges == [dict.fromkeys(("audioBridge", "cameraBridge", "screenShareBridge"), "livekit"), {}]


def test_through_a_load_balancer_meetings_use_livekit_only_where_every_node_has_it():
    lb = {"url": "https://lb.lab.test/bigbluebutton/api", "secret": "lb"}
    one = [dict(PARAMS["nodes"][0], livekit=True), PARAMS["nodes"][1]]
    both = [dict(node, livekit=True) for node in PARAMS["nodes"]]
    assert not walkthrough_api.on_livekit(dict(PARAMS, nodes=one, load_balancer=lb), one[0])
    assert walkthrough_api.on_livekit(dict(PARAMS, nodes=both, load_balancer=lb), both[1])
    assert walkthrough_api.on_livekit(dict(PARAMS, nodes=one), one[0])


def test_through_a_load_balancer_meetings_are_created_until_every_node_has_one(monkeypatch):
    lands = ["room-a.lab.test", "room-a.lab.test", "elsewhere.test", "room-b.lab.test"]
    apis = []
    monkeypatch.setattr(walkthrough_api, "Api", lambda *a: apis.append(FakeApi(*a, lands=lands)) or apis[-1])
    lb = {"url": "https://lb.lab.test/bigbluebutton/api", "secret": "lb"}
    placed, created = walkthrough_api.place_meetings(dict(PARAMS, load_balancer=lb))
    assert len(created) == 4 and placed["a"][1].endswith("-1") and placed["b"][1].endswith("-4")
    assert all(api is apis[0] for api, _m in created)


def test_meetings_that_cannot_be_ended_are_left(monkeypatch):
    class Gone(FakeApi):
        def call(self, call, body=None, **params):
            raise OSError("connection refused")

    api = FakeApi("https://a/bigbluebutton/api", "s", None)
    walkthrough_api.end_meetings([(Gone("https://b/bigbluebutton/api", "s", None), "m1"), (api, "m2")])
    assert api.calls == [("end", False, {"meetingID": "m2"})]
