# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's steps against a page that plays the client (no browser): they branch on the node's
capabilities only, so a family made up here from data runs through them; the order and what ends a node's walk."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import walkthrough_steps as steps
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_steps import NodeWalk, Step
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import load_families

CLIENT = "https://proxy.lab.test/room-a/html5client/"
GRAPHQL = "wss://room-a.lab.test/graphql"


class Meeting:
    """The node's API for one meeting: participants as getMeetingInfo counts them."""

    def __init__(self):
        self.participants, self.calls = 0, []

    def link(self, call, **params):
        return f"https://room-a.lab.test/bigbluebutton/api/{call}?fullName={params.get('fullName', '')}"

    def call(self, call, body=None, **params):
        self.calls.append(call)
        return ET.fromstring(f"<response><participantCount>{self.participants}</participantCount></response>")


class Page:
    """A page whose goto lands on ``lands``; ``joins`` runs when it opens (the client joining)."""

    def __init__(self, lands, joins=None, answers=None):
        self.url, self.lands, self.joins, self.answers, self.evaluated = "", lands, joins, answers or {}, []
        self.closed = False

    def goto(self, url):
        self.url = self.lands + "?sessionToken=t0k3n"
        if self.joins:
            self.joins()

    def wait_for_timeout(self, _ms):
        pass

    def evaluate(self, script, arg=None):
        self.evaluated.append(script)
        return self.answers.get(script, "https://proxy.lab.test" if script == "window.location.origin" else None)

    def screenshot(self, path, full_page):
        open(path, "wb").close()

    def close(self):
        self.closed = True


class Context:
    def __init__(self, *pages):
        self.pages = list(pages)

    def new_page(self):
        return self.pages.pop(0)


def a_walk(tmp_path, capabilities, *pages, timeout=0):
    (tmp_path / "screenshots").mkdir(exist_ok=True)
    node = {"name": "room-a", "hostname": "room-a.lab.test", "client_url": CLIENT, "guest_url": CLIENT,
            "capabilities": capabilities, "ice_servers": [], "recording_transfer": "", "api_secret": ""}  # fmt: skip
    params = {"timeout": timeout, "media": False, "report_dir": str(tmp_path), "proxy_origin": "https://proxy.lab.test"}
    walk = NodeWalk(params, Context(*pages), node, (Meeting(), "m-1", "SUCCESS"))
    return walk


def teacher_in(walk, sockets=()):
    """The teacher's client joins: counted by the node, with the websockets it opens."""

    def joins():
        walk.api.participants += 1
        walk.sockets.extend((0.0, url) for url in sockets)

    return joins


# The made-up family of the version-family test (tests/unit/data/family_9.9.yml), read as the cluster reads family
# data, plus a capability the walk-through does not read: its client speaks graphql.
FAKE_FAMILY = dict(load_families(Path(__file__).resolve().parents[2] / "data")["9.9"]["capabilities"], teleport=True)


def test_the_teacher_of_a_graphql_client_must_open_a_websocket(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY, Page(CLIENT))
    walk.page = walk.context.new_page()
    walk.page.joins = teacher_in(walk)
    with pytest.raises(Step, match=r"after 0 s the node counts 1 users and the client opened 0 websocket\(s\)"):
        steps.teacher(walk)


def test_the_teacher_of_a_client_without_graphql_needs_no_websocket(tmp_path):
    walk = a_walk(tmp_path, {"graphql": False}, Page(CLIENT))
    walk.page = walk.context.new_page()
    walk.page.joins = teacher_in(walk)
    assert steps.teacher(walk) == f"client from {CLIENT}; websockets: none"
    assert (tmp_path / "screenshots" / "room-a.lab.test-teacher.png").exists()


def test_the_teacher_of_a_graphql_client_with_its_websocket_to_the_node(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY, Page(CLIENT))
    walk.page = walk.context.new_page()
    walk.page.joins = teacher_in(walk, [GRAPHQL])
    assert steps.teacher(walk) == f"client from {CLIENT}; websockets: {GRAPHQL}"


def test_a_join_that_leads_elsewhere_fails_the_teacher(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY, Page("https://room-a.lab.test/html5client/"))
    walk.page = walk.context.new_page()
    with pytest.raises(Step, match="the join led to https://room-a.lab.test/html5client/, not to " + CLIENT):
        steps.teacher(walk)


LIVEKIT_NODE = "wss://room-a.lab.test/livekit/rtc?access_token=t0k3n&auto_subscribe=1&sdk=js"
LIVEKIT_PROXY = "wss://proxy.lab.test/livekit/rtc?access_token=t0k3n&auto_subscribe=1&sdk=js"


def test_the_teacher_leaves_livekit_s_signalling_to_its_own_step(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY, Page(CLIENT))
    walk.page = walk.context.new_page()
    walk.page.joins = teacher_in(walk, [GRAPHQL, LIVEKIT_PROXY])
    assert steps.teacher(walk).startswith(f"client from {CLIENT}; websockets: ")


def test_livekit_is_not_looked_for_where_the_node_has_none(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY)
    assert steps.livekit(walk) == "not used: no LiveKit on the node, its meeting uses bbb-webrtc-sfu"
    walk.node["livekit"] = True  # but a load balancer that may place the meeting on a node without it
    walk.params.update(load_balancer={"url": "https://lb.lab.test/bigbluebutton/api"}, nodes=[walk.node, {}])
    assert steps.livekit(walk).startswith("not checked: the load balancer may place a meeting on a node without")


@pytest.mark.parametrize(
    ("sockets", "answered", "message"),
    [
        ([GRAPHQL, LIVEKIT_PROXY], [LIVEKIT_PROXY], "LiveKit signalling to wss://proxy.lab.test/livekit/rtc, not to "
         "the node room-a.lab.test: without public.media.livekit.url in the node's bbb-html5.yml"),
        ([GRAPHQL], [], "no LiveKit signalling websocket 0 s after the join of a meeting on LiveKit"),
        ([GRAPHQL, LIVEKIT_NODE], [], "the node's LiveKit did not answer wss://room-a.lab.test/livekit/rtc"),
        ([GRAPHQL, LIVEKIT_NODE], [LIVEKIT_NODE], None),
    ],
    ids=["to-the-proxy", "none", "unanswered", "to-the-node"],
)  # fmt: skip
def test_livekit_signalling_goes_to_the_node_and_is_answered_there(tmp_path, sockets, answered, message):
    walk = a_walk(tmp_path, FAKE_FAMILY)
    walk.node["livekit"] = True
    walk.page = Page(CLIENT)
    walk.sockets.extend((0.0, url) for url in sockets)
    walk.answered.update(answered)
    if message is None:
        assert steps.livekit(walk) == "LiveKit signalling to the node: wss://room-a.lab.test/livekit/rtc, answered"
    else:
        with pytest.raises(Step, match=re.escape(message)):
            steps.livekit(walk)


WASM = CLIENT + "wasm/"


@pytest.mark.parametrize(
    ("path", "files", "message"),
    [
        ("/room-a/html5client/", [{"url": WASM + n, "status": 200} for n in ("BBBA-mapi.wasm", "BBBA-mapi.js", "mapi-proc.js")],
         None),
        ("/room-a/html5client/join", [{"url": "https://proxy.lab.test/html5client/wasm/BBBA-mapi.wasm", "status": 404}],
         "the audio processor's files are fetched from https://proxy.lab.test/html5client/wasm/BBBA-mapi.wasm, outside "
         "the node's path https://proxy.lab.test/room-a/html5client/wasm/: the client takes the prefix from the page's "
         "path (/room-a/html5client/join), which must end in /html5client/ (bigbluebutton #24857)"),
        ("/room-a/html5client/", [{"url": WASM + "mapi-proc.js", "status": 404}],
         "the audio processor's files did not load through the proxy: https://proxy.lab.test/room-a/html5client/wasm/"
         "mapi-proc.js (404)"),
    ],
)  # fmt: skip
def test_the_audio_processor_s_files_come_from_the_node_s_path(tmp_path, path, files, message):
    page = Page(CLIENT, answers={steps.AUDIO_PROCESSOR: {"path": path, "files": files}})
    walk = a_walk(tmp_path, dict(FAKE_FAMILY, audio_processor=True), page)
    walk.open = None
    walk.page = page
    if message is None:
        assert steps.audio_processor(walk) == (
            f"audio processor files from {WASM}: BBBA-mapi.wasm, BBBA-mapi.js, mapi-proc.js"
        )
    else:
        with pytest.raises(Step, match=re.escape(message)):
            steps.audio_processor(walk)
    walk.node["capabilities"] = FAKE_FAMILY  # a family whose client has none: nothing fetched
    assert steps.audio_processor(walk).startswith("not used:")


def test_without_graphql_the_guest_waits_and_nobody_lets_it_in(tmp_path):
    guest = Page(CLIENT)
    walk = a_walk(tmp_path, {"graphql": False}, guest)
    walk.page = Page(CLIENT)
    assert steps.guest(walk) == (
        "the guest waits in the node's lobby (approval is checked only where the client speaks graphql)"
    )
    assert guest.closed and steps.APPROVE not in walk.page.evaluated


def test_with_graphql_the_moderators_client_lets_the_guest_in(tmp_path):
    guest = Page(CLIENT)
    walk = a_walk(tmp_path, FAKE_FAMILY, guest, timeout=5)
    walk.sockets.append((0.0, GRAPHQL))
    walk.page = Page(CLIENT, answers={steps.APPROVE: "allowed"})
    walk.page.url = CLIENT + "?sessionToken=t0k3n"

    def approved(_ms):
        walk.api.participants = 1  # the guest entered after the approval

    guest.wait_for_timeout = lambda ms: approved(ms) if steps.APPROVE in walk.page.evaluated else None
    assert steps.guest(walk) == "the guest waited in the lobby and entered after the moderator's approval"
    assert (tmp_path / "screenshots" / "room-a.lab.test-guest-in.png").exists()


def test_a_guest_let_in_without_approval_fails(tmp_path):
    guest = Page(CLIENT)
    walk = a_walk(tmp_path, FAKE_FAMILY, guest)
    walk.page = Page(CLIENT)
    guest.joins = teacher_in(walk)
    with pytest.raises(Step, match="without a moderator's approval"):
        steps.guest(walk)


class Route:
    """A routed websocket: closing it makes the client open a new one (to ``again``)."""

    def __init__(self, walk, again):
        self.walk, self.again = walk, again

    def close(self, code, reason):
        self.walk.sockets.append((time.monotonic() + 1, self.again))


@pytest.mark.parametrize(
    ("again", "message"),
    [
        (GRAPHQL, f"after the walk-through dropped its websocket the client opened {GRAPHQL}"),
        ("wss://proxy.lab.test/graphql", "the client reconnected to wss://proxy.lab.test/graphql, not to the node"),
    ],
)
def test_the_client_reconnects_to_the_node(tmp_path, again, message):
    walk = a_walk(tmp_path, FAKE_FAMILY)
    walk.page = Page(CLIENT)
    walk.routes.append(Route(walk, again))
    if again == GRAPHQL:
        assert steps.reconnect(walk) == message
    else:
        with pytest.raises(Step, match=message):
            steps.reconnect(walk)


def test_a_client_without_websockets_cannot_reconnect(tmp_path):
    with pytest.raises(Step, match="the client holds no websocket to drop"):
        steps.reconnect(a_walk(tmp_path, {"graphql": False}))


@pytest.fixture
def recorded(monkeypatch):
    """Every step replaced by one that notes its name; ``fail`` names those that fail."""
    ran, fail = [], set()

    def fake(name):
        def check(walk):
            ran.append(name)
            if name in fail:
                raise Step(f"{name} failed")
            return f"{name} seen"

        return check

    monkeypatch.setattr(steps, "PAGE_STEPS", tuple((name, fake(name)) for name, _check in steps.PAGE_STEPS))
    monkeypatch.setattr(steps, "create", fake("create"))
    monkeypatch.setattr(steps, "recording", fake("recording"))
    return ran, fail


def walk_node(tmp_path, placed=True, recordings=True):
    params = {"timeout": 0, "media": False, "report_dir": str(tmp_path), "recordings": recordings}
    node = {"name": "room-a", "hostname": "room-a.lab.test", "capabilities": FAKE_FAMILY}
    (tmp_path / "screenshots").mkdir(exist_ok=True)
    page = Page(CLIENT)
    page.route_web_socket = page.on = lambda *args: None
    results = []
    steps.walk_node(params, Context(page), node, {"room-a": (Meeting(), "m-1", "SUCCESS")} if placed else {}, results)
    return results, page


def test_every_step_in_order_and_the_recording_after_the_page(tmp_path, recorded):
    ran, _fail = recorded
    results, page = walk_node(tmp_path)
    assert ran == [
        "create", "teacher", "livekit", "audio_processor", "media", "ice", "presentation", "guest", "reconnect",
        "recording",
    ]  # fmt: skip
    assert [r["status"] for r in results] == ["pass"] * 10 and results[1]["message"] == "teacher seen"
    assert page.closed


def test_a_failed_step_is_recorded_and_the_walk_goes_on(tmp_path, recorded):
    ran, fail = recorded
    fail.add("ice")
    results, _page = walk_node(tmp_path, recordings=False)
    assert ran[-1] == "reconnect" and results[5] == {**results[5], "status": "fail", "message": "ice failed"}


def test_a_failed_teacher_ends_the_nodes_walk_with_a_screenshot(tmp_path, recorded):
    ran, fail = recorded
    fail.add("teacher")
    results, page = walk_node(tmp_path)
    assert ran == ["create", "teacher", "recording"] and page.closed
    assert (tmp_path / "screenshots" / "room-a.lab.test-teacher.png").exists()


def test_a_failed_create_ends_the_nodes_walk_before_the_browser(tmp_path, recorded):
    ran, fail = recorded
    fail.add("create")
    results, page = walk_node(tmp_path)
    assert ran == ["create"] and not page.closed and results[0]["message"] == "create failed"


def test_a_node_no_meeting_landed_on_fails_at_create(tmp_path, recorded):
    ran, _fail = recorded
    results, _page = walk_node(tmp_path, placed=False)
    assert ran == [] and results == [
        {"name": "create", "status": "fail", "time": 0.0,
         "message": "not reached through the load balancer: no meeting landed on room-a.lab.test"}
    ]  # fmt: skip


def test_an_error_of_the_page_fails_the_step_with_its_type(tmp_path):
    results = []

    def broken(walk):
        raise KeyError("tracks")

    assert steps.run_step(results, "media", broken, None) == "fail"
    assert results[0]["message"] == "KeyError: 'tracks'"


def test_create_names_what_create_answered(tmp_path):
    walk = a_walk(tmp_path, FAKE_FAMILY)
    walk.returncode = "FAILED"
    with pytest.raises(Step, match="create answered FAILED"):
        steps.create(walk)
