# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
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
    """The node's API for one meeting: participants as getMeetingInfo counts them, attendees (fullName -> role) as it
    lists them."""

    def __init__(self):
        self.participants, self.calls, self.attendees = 0, [], {}

    def link(self, call, **params):
        return f"https://room-a.lab.test/bigbluebutton/api/{call}?fullName={params.get('fullName', '')}"

    def call(self, call, body=None, **params):
        self.calls.append(call)
        attendees = "".join(
            f"<attendee><fullName>{name}</fullName><role>{role}</role></attendee>"
            for name, role in self.attendees.items()
        )
        return ET.fromstring(
            f"<response><participantCount>{self.participants}</participantCount>"
            f"<attendees>{attendees}</attendees></response>"
        )


class Page:
    """A page whose goto lands on ``lands`` with the session ``token``; ``joins`` runs when it opens (the client
    joining). ``answers``: script -> what evaluate returns, or a function of its argument that returns it."""

    def __init__(self, lands, joins=None, answers=None, token="t0k3n"):
        self.url, self.lands, self.joins, self.answers, self.evaluated = "", lands, joins, answers or {}, []
        self.closed, self.token = False, token

    def goto(self, url):
        self.url = f"{self.lands}?sessionToken={self.token}"
        if self.joins:
            self.joins()

    def wait_for_timeout(self, _ms):
        pass

    def evaluate(self, script, arg=None):
        self.evaluated.append(script)
        answer = self.answers.get(script, "https://proxy.lab.test" if script == "window.location.origin" else None)
        return answer(arg) if callable(answer) else answer

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


def in_the_lobby(tmp_path, capabilities, *pages, timeout=0):
    """A walk whose teacher is in the meeting and whose guest waits in the lobby (the step lobby passed)."""
    walk = a_walk(tmp_path, capabilities, *pages, timeout=timeout)
    walk.sockets.append((0.0, GRAPHQL))
    walk.page = Page(CLIENT)
    walk.page.url = CLIENT + "?sessionToken=t0k3n"
    walk.api.attendees = {"Teacher": "MODERATOR"}
    walk.guest_page = Page(CLIENT, token="gu35t")
    return walk


def test_a_guest_waits_in_the_lobby(tmp_path):
    guest = Page(CLIENT)
    walk = a_walk(tmp_path, FAKE_FAMILY, guest)
    walk.api.attendees = {"Teacher": "MODERATOR"}
    assert steps.lobby(walk) == "the guest waits in the node's lobby, not in the meeting (guest policy ASK_MODERATOR)"
    assert walk.guest_page is guest and not guest.closed
    assert (tmp_path / "screenshots" / "room-a.lab.test-guest-lobby.png").exists()


def test_a_guest_let_in_without_approval_fails(tmp_path):
    guest = Page(CLIENT)
    walk = a_walk(tmp_path, FAKE_FAMILY, guest)
    guest.joins = lambda: walk.api.attendees.update(Guest="VIEWER")
    with pytest.raises(Step, match="without a moderator's approval"):
        steps.lobby(walk)
    assert guest.closed and walk.guest_page is None


def test_a_guest_join_that_leads_elsewhere_fails_the_lobby(tmp_path):
    guest = Page("https://room-a.lab.test/html5client/")
    walk = a_walk(tmp_path, FAKE_FAMILY, guest)
    with pytest.raises(Step, match="the guest's join led to https://room-a.lab.test/html5client/, not to " + CLIENT):
        steps.lobby(walk)
    assert guest.closed and walk.guest_page is None


REFUSED = {
    "errors": [
        {
            "message": "guestUsersSubmitApprovalStatus: Permission Denied (not moderator).",
            "extensions": {"path": "$", "code": "unexpected"},
        }
    ]
}


def graphql_node(waiting, submitted=None, by="l34rn3r"):
    """OPERATION's answers of a node whose lobby holds ``waiting`` (userIds), the moderator's session t0k3n listing
    them; the approval of session ``by`` (the learner's l34rn3r unless said) answered ``submitted``. ``sent`` notes
    what that session sent."""
    sent = []

    def operation(arg):
        url, token, query, variables = arg
        assert url == GRAPHQL
        if query == steps.WAITING:
            assert token == "t0k3n"  # a moderator's session lists the lobby
            return {"data": {"user_guest": [{"userId": g, "user": {"name": "Guest"}} for g in waiting]}}
        assert query == steps.SUBMIT and token == by
        sent.append(variables)
        return REFUSED if submitted is None else submitted

    return operation, sent


def test_the_learner_is_a_viewer_and_cannot_let_the_guest_in(tmp_path):
    operation, sent = graphql_node(["w_guest"])
    learner = Page(CLIENT, token="l34rn3r", answers={steps.OPERATION: operation})
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, learner, timeout=5)
    walk.page.answers[steps.OPERATION] = operation
    learner.joins = lambda: walk.api.attendees.update(Learner="VIEWER")
    assert steps.learner(walk) == (
        "the node reports the teacher as MODERATOR and the learner as VIEWER (getMeetingInfo); the learner's approval "
        "of the waiting guest was refused (guestUsersSubmitApprovalStatus: Permission Denied (not moderator).) and the "
        "guest still waits"
    )
    assert sent == [{"guests": [{"guest": "w_guest", "status": "ALLOW"}]}]
    assert learner.closed and walk.guest_page is not None and not walk.guest_page.closed
    assert (tmp_path / "screenshots" / "room-a.lab.test-learner.png").exists()


def test_a_learner_whose_approval_is_taken_fails(tmp_path):
    operation, _sent = graphql_node(["w_guest"], submitted={"data": {"guestUsersSubmitApprovalStatus": True}})
    learner = Page(CLIENT, token="l34rn3r", answers={steps.OPERATION: operation})
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, learner)
    walk.page.answers[steps.OPERATION] = operation
    walk.api.attendees["Learner"] = "VIEWER"
    with pytest.raises(Step, match=re.escape("the learner (VIEWER) let the guest in: guestUsersSubmitApprovalStatus")):
        steps.learner(walk)
    assert learner.closed


def test_a_learner_whose_approval_never_arrived_proves_nothing(tmp_path):
    operation, _sent = graphql_node(["w_guest"], submitted={"error": "timeout"})
    learner = Page(CLIENT, token="l34rn3r", answers={steps.OPERATION: operation})
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, learner)
    walk.page.answers[steps.OPERATION] = operation
    walk.api.attendees["Learner"] = "VIEWER"
    with pytest.raises(
        Step, match=re.escape('could not be sent over the node\'s graphql websocket: {"error": "timeout"}')
    ):
        steps.learner(walk)


@pytest.mark.parametrize(
    ("attendees", "message"),
    [
        ({"Teacher": "MODERATOR", "Learner": "MODERATOR"}, '{"Learner": "MODERATOR", "Teacher": "MODERATOR"}'),
        ({"Learner": "VIEWER"}, '{"Learner": "VIEWER"}'),
    ],
    ids=["learner-moderator", "no-teacher"],
)
def test_roles_other_than_moderator_and_viewer_fail_the_learner(tmp_path, attendees, message):
    learner = Page(CLIENT, token="l34rn3r")
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, learner)
    walk.api.attendees = attendees
    with pytest.raises(Step, match=re.escape(f"the node reports the roles {message} (getMeetingInfo): the teacher")):
        steps.learner(walk)
    assert steps.OPERATION not in learner.evaluated


def test_a_learner_the_node_never_lists_fails(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, Page(CLIENT, token="l34rn3r"))
    with pytest.raises(Step, match="the node does not list the learner 0 s after its join"):
        steps.learner(walk)


def test_without_graphql_only_the_learners_role_is_checked(tmp_path):
    learner = Page(CLIENT, token="l34rn3r")
    walk = in_the_lobby(tmp_path, {"graphql": False}, learner)
    walk.api.attendees["Learner"] = "VIEWER"
    assert steps.learner(walk) == (
        "the node reports the teacher as MODERATOR and the learner as VIEWER (getMeetingInfo); roles only: the node's "
        "client speaks no graphql, so whether the learner can let a guest in is not tried"
    )
    assert steps.OPERATION not in learner.evaluated + walk.page.evaluated


def test_with_graphql_the_learner_needs_a_waiting_guest(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, Page(CLIENT, token="l34rn3r"), Page(CLIENT, token="l34rn3r"))
    walk.api.attendees["Learner"] = "VIEWER"
    walk.guest_page = None  # the step lobby failed
    with pytest.raises(Step, match="no guest waits in the lobby"):
        steps.learner(walk)
    walk.guest_page = Page(CLIENT)
    walk.page.answers[steps.OPERATION] = graphql_node([])[0]
    with pytest.raises(Step, match="the moderator's client lists no waiting guest"):
        steps.learner(walk)


def test_without_graphql_the_guest_waits_and_nobody_lets_it_in(tmp_path):
    walk = in_the_lobby(tmp_path, {"graphql": False})
    guest = walk.guest_page
    assert steps.guest(walk) == (
        "the guest waits in the node's lobby (approval is checked only where the client speaks graphql)"
    )
    assert guest.closed and walk.guest_page is None and steps.OPERATION not in walk.page.evaluated


def test_with_graphql_the_moderators_client_lets_the_guest_in(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY, timeout=5)
    guest = walk.guest_page
    operation, sent = graphql_node(["w_guest"], {"data": {"guestUsersSubmitApprovalStatus": True}}, by="t0k3n")
    walk.page.answers[steps.OPERATION] = operation

    def approved(_ms):
        if sent:
            walk.api.attendees["Guest"] = "VIEWER"  # the guest entered after the approval

    guest.wait_for_timeout = approved
    assert steps.guest(walk) == "the guest waited in the lobby and entered after the moderator's approval"
    assert sent == [{"guests": [{"guest": "w_guest", "status": "ALLOW"}]}]  # the teacher's session, as its client
    assert (tmp_path / "screenshots" / "room-a.lab.test-guest-in.png").exists() and guest.closed


def test_a_refused_approval_fails_the_guest(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY)
    guest = walk.guest_page
    walk.page.answers[steps.OPERATION] = graphql_node(["w_guest"], {"errors": [{"message": "denied"}]}, by="t0k3n")[0]
    with pytest.raises(
        Step, match=re.escape('the moderator\'s client does: refused: {"errors": [{"message": "denied"}]}')
    ):
        steps.guest(walk)
    assert guest.closed


def test_no_waiting_guest_fails_the_guest(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY)
    walk.page.answers[steps.OPERATION] = graphql_node([], by="t0k3n")[0]
    with pytest.raises(Step, match="the moderator's client lists no guest waiting"):
        steps.guest(walk)


def test_the_guest_step_needs_the_lobbys_guest(tmp_path):
    walk = in_the_lobby(tmp_path, FAKE_FAMILY)
    walk.guest_page = None
    with pytest.raises(Step, match=re.escape("no guest waits in the lobby (see the step lobby)")):
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
        "create", "teacher", "livekit", "audio_processor", "media", "ice", "presentation", "accessibility", "lobby",
        "learner", "guest", "reconnect", "recording",
    ]  # fmt: skip
    assert [r["status"] for r in results] == ["pass"] * 13 and results[1]["message"] == "teacher seen"
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
