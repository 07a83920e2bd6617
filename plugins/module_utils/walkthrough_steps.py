# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's steps on one node (module browser_walkthrough), in Playwright (their JS snippets are
walkthrough_scripts').

A step is a function of the node's walk (``NodeWalk``) that returns what it saw or raises ``Step`` with what went
wrong; a step with more to report than a sentence leaves it in ``walk.findings[<step>]`` (the report shows it). The
steps branch on the node's capabilities (``graphql``), never on a version family's name.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.stun_turn import ice_host
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_accessibility import (
    AccessibilityError,
    audit,
    verdict,
)
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_api import fetch, node_api, on_livekit, text
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_scripts import (
    AUDIO_PROCESSOR,
    ICE,
    NOTE,
    NOTE_MARK,
    OPERATION,
    SUBMIT,
    WAITING,
)

try:
    from playwright.sync_api import Error as PlaywrightError

    HAS_PLAYWRIGHT = True
    PLAYWRIGHT_IMPORT_ERROR = None
except ImportError:
    HAS_PLAYWRIGHT = False
    PLAYWRIGHT_IMPORT_ERROR = traceback.format_exc()
    PlaywrightError = Exception

# The teacher joins audio without the echo test and shares the camera without the preview: no clicks.
USERDATA = {
    "userdata-bbb_auto_join_audio": "true",
    "userdata-bbb_skip_check_audio": "true",
    "userdata-bbb_auto_share_webcam": "true",
    "userdata-bbb_skip_video_preview": "true",
    "userdata-bbb_listen_only_mode": "false",
}
# The participants, by the names they join with (getMeetingInfo lists its attendees by fullName).
TEACHER, LEARNER, GUEST = "Teacher", "Learner", "Guest"


class Step(Exception):
    """A failed step: its message."""


class NodeWalk:
    """One node's walk: the node, its API and meeting, the teacher's page and what the page did on the network."""

    def __init__(self, params, context, node, placed):
        self.params, self.context, self.node = params, context, node
        self.api, self.meeting, self.returncode = placed
        self.host = node["hostname"]
        self.timeout = params["timeout"]
        self.graphql = node["capabilities"]["graphql"]
        self.sockets, self.requests, self.routes = [], [], []
        self.answered = set()  # the URLs of the websockets that received a frame from their server
        self.addresses = set()
        self.page = None
        self.guest_page = None  # the guest's, from the step lobby until the step guest lets it in
        self.findings = {}  # step name -> what it found beyond its sentence (the report shows it)

    def open(self):
        """The teacher's page, which notes every websocket (routed through here, to drop it) and every request."""
        if self.params["media"]:
            self.addresses = {info[4][0] for info in socket.getaddrinfo(self.host, 443)}
        self.page = self.context.new_page()
        self.page.on("websocket", self.noted)
        self.page.route_web_socket(lambda url: True, self.through)
        # Playwright keeps state on a handler: a Python function, not a bound builtin such as list.append
        self.page.on("requestfinished", lambda request: self.requests.append(request))  # pylint: disable=unnecessary-lambda

    def noted(self, websocket):
        self.sockets.append((time.monotonic(), websocket.url))
        websocket.on("framereceived", lambda _payload: self.answered.add(websocket.url))

    def through(self, route):
        """Every websocket of the client passes here to its server, so the walk-through can drop it."""
        route.connect_to_server()
        self.routes.append(route)

    def participants(self):
        return int(text(self.api.call("getMeetingInfo", meetingID=self.meeting), "participantCount") or 0)

    def roles(self):
        """fullName -> role of the meeting's attendees, as the node reports them (getMeetingInfo's <attendees>)."""
        info = self.api.call("getMeetingInfo", meetingID=self.meeting)
        return {text(a, "fullName"): text(a, "role") for a in info.iter("attendee")}

    def graphql_url(self):
        """The node's graphql websocket, as the teacher's client opened it."""
        url = next((u for _t, u in self.sockets if urllib.parse.urlsplit(u).path.endswith("/graphql")), "")
        if not url:
            raise Step("the teacher's client opened no graphql websocket, the way to the node's graphql")
        return url

    def wait(self, page, done, failure):
        """Poll ``done()`` every half second for the step's timeout; raise Step(failure()) when it never held."""
        deadline = time.monotonic() + self.timeout
        while not done():
            if time.monotonic() > deadline:
                raise Step(failure())
            page.wait_for_timeout(500)

    def shot(self, page, name):
        """A screenshot, with what the walk-through saw written over it (the URL without its query, the origin)."""
        node = self.node
        note = f"walk-through step {name} on {node['name']}\nURL: {page.url.split('?')[0]}\norigin: " + page.evaluate(
            "window.location.origin"
        )
        page.evaluate(NOTE, note)
        path = os.path.join(self.params["report_dir"], "screenshots", f"{node['hostname']}-{name}.png")
        page.screenshot(path=path, full_page=True)


# ---------------------------------------------------------------------------------------------------- the steps
def create(walk):
    """The meeting was created (with the PDF uploaded at create)."""
    if walk.returncode != "SUCCESS":
        raise Step(f"create answered {walk.returncode or 'nothing'}")
    return f"meeting {walk.meeting} with a PDF uploaded at create"


def teacher(walk):
    """The teacher's join leads to the node's client on the proxy, which loads from there and talks to the node."""
    page, node, sockets = walk.page, walk.node, walk.sockets
    page.goto(walk.api.link("join", meetingID=walk.meeting, fullName=TEACHER, role="MODERATOR", **USERDATA))
    if not page.url.startswith(node["client_url"]):
        raise Step(f"the join led to {page.url.split('?')[0]}, not to {node['client_url']}")
    # a client that speaks graphql does so over a websocket to its node
    walk.wait(
        page,
        lambda: walk.participants() >= 1 and (sockets or not walk.graphql),
        lambda: (
            f"after {walk.timeout} s the node counts {walk.participants()} users and the client opened "
            f"{len(sockets)} websocket(s): the client did not start"
        ),
    )
    wrong = [
        f"{r.resource_type} {r.url.split('?')[0]}"
        for r in walk.requests
        if r.resource_type in ("document", "script", "stylesheet")
        and not r.url.startswith(node["client_url"])
        and "/bigbluebutton/api/join" not in r.url
    ]
    if wrong:
        raise Step("not from the proxy under the node's path: " + "; ".join(wrong[:5]))
    away = [url for _t, url in sockets if urllib.parse.urlsplit(url).hostname != walk.host and not signalling(url)]
    if away:
        raise Step("websockets not to the node: " + ", ".join(away))
    walk.shot(page, "teacher")
    return f"client from {node['client_url']}; websockets: {', '.join(sorted({u for _t, u in sockets})) or 'none'}"


def signalling(url):
    """A LiveKit signalling websocket: livekit-client opens ``<url>/rtc?access_token=...`` (src/api/utils.ts)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path.endswith("/rtc") and "access_token=" in parts.query


def livekit(walk):
    """Where the node has LiveKit (its meeting uses it), the client's LiveKit signalling goes to the node and is
    answered there; without the node's public.media.livekit.url the client dials the page's host, the proxy."""
    if not walk.node.get("livekit"):
        return "not used: no LiveKit on the node, its meeting uses bbb-webrtc-sfu"
    if not on_livekit(walk.params, walk.node):
        return "not checked: the load balancer may place a meeting on a node without LiveKit, so none uses it"
    walk.wait(
        walk.page,
        lambda: any(signalling(u) for _t, u in walk.sockets),
        lambda: f"no LiveKit signalling websocket {walk.timeout} s after the join of a meeting on LiveKit",
    )
    urls = sorted({u.split("?")[0] for _t, u in walk.sockets if signalling(u)})
    away = [u for u in urls if urllib.parse.urlsplit(u).hostname != walk.host]
    if away:
        raise Step(
            f"LiveKit signalling to {', '.join(away)}, not to the node {walk.host}: without public.media.livekit.url "
            "in the node's bbb-html5.yml the client dials the page's host (drift names it, site sets it)"
        )
    walk.wait(
        walk.page,
        lambda: any(signalling(u) for u in walk.answered),
        lambda: f"the node's LiveKit did not answer {', '.join(urls)} within {walk.timeout} s",
    )
    return f"LiveKit signalling to the node: {', '.join(urls)}, answered"


def audio_processor(walk):
    """Where the node's client loads the audio processor from the page's path (capability audio_processor), its files
    come through the proxy under the node's path: upstream builds their path without public.app.basename (#24857)."""
    if not walk.node["capabilities"].get("audio_processor"):
        return "not used: the node's client has no audio processor that loads by the page's path"
    seen = walk.page.evaluate(AUDIO_PROCESSOR)
    base = walk.node["client_url"] + "wasm/"
    outside = [f["url"].split("?")[0] for f in seen["files"] if not f["url"].startswith(base)]
    if outside:
        raise Step(
            f"the audio processor's files are fetched from {', '.join(outside)}, outside the node's path {base}: the "
            f"client takes the prefix from the page's path ({seen['path']}), which must end in /html5client/ "
            "(bigbluebutton #24857); keep defaultHTML5ClientUrl ending in /html5client/"
        )
    failed = [
        f"{f['url'].split('?')[0]} ({f.get('error') or f['status']})" for f in seen["files"] if f["status"] != 200
    ]
    if failed:
        raise Step(f"the audio processor's files did not load through the proxy: {', '.join(failed)}")
    return f"audio processor files from {base}: {', '.join(f['url'].rsplit('/', 1)[1] for f in seen['files'])}"


def media(walk):
    """Microphone and camera opened, on the proxy's origin: the one grant served this node."""
    page = walk.page
    deadline = time.monotonic() + walk.timeout
    while True:
        calls = page.evaluate("window.__bbbWalk.media")
        if any(c.get("tracks") for c in calls) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    granted = [c for c in calls if c.get("tracks")]
    if not granted:
        raise Step(f"the client opened no microphone or camera (getUserMedia calls: {calls or 'none'})")
    origin = page.evaluate("window.location.origin")
    if origin != walk.params["proxy_origin"]:
        raise Step(f"the client runs on {origin}, not on the proxy's origin: it would need a grant of its own")
    return f"opened {', '.join(granted[0]['tracks'])} with the one grant for {origin}"


def ice(walk):
    """ICE servers, none on the proxy, all of the node's STUN/TURN configuration; with media, candidates on the node."""
    peers = walk.page.evaluate(ICE)
    if not peers:
        raise Step("the client made no peer connection")
    servers = sorted({s for peer in peers for s in peer["servers"]})
    if not servers:
        raise Step("the client's peer connections have no ICE server: the node's /bigbluebutton/api/stuns gave it "
                   "none (the client's fallbackStunServer is empty)")  # fmt: skip
    proxy = urllib.parse.urlsplit(walk.params["proxy_origin"]).hostname
    on_proxy = [s for s in servers if ice_host(s) == proxy]
    if on_proxy:
        raise Step(f"ICE servers on the cluster proxy, where nothing answers STUN or TURN: {', '.join(on_proxy)}")
    named = {ice_host(url) for url in walk.node["ice_servers"]}
    away = [s for s in servers if named and ice_host(s) not in named]
    if away:
        raise Step(f"ICE servers {', '.join(away)} are not those of the node's STUN/TURN configuration "
                   f"(/etc/bigbluebutton/turn-stun-servers.xml: {', '.join(sorted(named))})")  # fmt: skip
    remote = sorted({a for peer in peers for a in peer["remote"] if a})
    if walk.params["media"]:
        if not remote:
            raise Step(f"no remote ICE candidate: media did not connect (ICE servers {', '.join(servers)})")
        if set(remote) - walk.addresses:
            raise Step(f"remote ICE candidates {remote} are not the node's addresses {sorted(walk.addresses)}")
    return f"ICE servers {', '.join(servers)}; remote candidates {', '.join(remote) or 'not checked (media: false)'}"


def presentation(walk):
    """The slide of the uploaded document came from the node."""
    deadline = time.monotonic() + walk.timeout
    while time.monotonic() < deadline:
        slides = [r for r in walk.requests if "/bigbluebutton/presentation/" in r.url]
        if slides:
            break
        walk.page.wait_for_timeout(500)
    else:
        raise Step("the client fetched no slide")
    away = [r.url for r in slides if urllib.parse.urlsplit(r.url).hostname != walk.host]
    failed = [r.url for r in slides if (r.response() is None or r.response().status != 200)]
    if away or failed:
        raise Step(f"slides not from the node, or failed: {(away + failed)[:3]}")
    return f"slide from {slides[0].url.split('/svg')[0]}"


def session_token(page):
    """The session's token in a client page's URL (the join's redirect put it there)."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).get("sessionToken", [""])[0]


def waiting_guests(page, url, token):
    """The userIds of the guests a moderator's session (``token``) sees waiting, over the node's graphql websocket."""
    answer = page.evaluate(OPERATION, [url, token, WAITING, {}])
    rows = ((answer.get("data") or {}).get("user_guest")) if isinstance(answer, dict) else None
    if rows is None:
        raise Step(f"the moderator's client could not list the waiting guests over graphql: {json.dumps(answer)}")
    return [row.get("userId") for row in rows]


def allow(page, url, waiting):
    """The approval of the ``waiting`` guests (ALLOW), sent by the client of ``page`` (its session) as a moderator's
    client sends it (guestUsersSubmitApprovalStatus); what the node answered (OPERATION's result)."""
    approval = {"guests": [{"guest": guest_id, "status": "ALLOW"} for guest_id in waiting]}
    return page.evaluate(OPERATION, [url, session_token(page), SUBMIT, approval])


def accessibility(walk):
    """axe-core on the client page as served through the proxy (the teacher's, after the join): the findings go to the
    report; the step fails only where a violation reaches the operator's threshold (accessibility_fail_on)."""
    try:
        findings = audit(walk.page, walk.params.get("accessibility_fail_on") or "none", exclude=(NOTE_MARK,))
    except AccessibilityError as error:
        raise Step(str(error)) from error
    walk.findings["accessibility"] = findings
    sentence, over = verdict(findings)
    if over:
        raise Step(sentence)
    return sentence


def lobby(walk):
    """A guest (guest policy ASK_MODERATOR) waits in the lobby and is not in the meeting."""
    page = walk.context.new_page()
    try:
        page.goto(walk.api.link("join", meetingID=walk.meeting, fullName=GUEST, role="VIEWER", guest="true"))
        if not page.url.startswith(walk.node["guest_url"]):
            raise Step(f"the guest's join led to {page.url.split('?')[0]}, not to {walk.node['guest_url']}")
        page.wait_for_timeout(2000)  # time enough for a client that would let the guest in unasked
        if GUEST in walk.roles():
            raise Step("the guest entered the meeting without a moderator's approval (guest policy ASK_MODERATOR)")
        walk.shot(page, "guest-lobby")
        walk.guest_page = page  # kept open for the steps learner and guest
    finally:
        if walk.guest_page is not page:
            page.close()
    return "the guest waits in the node's lobby, not in the meeting (guest policy ASK_MODERATOR)"


def learner(walk):
    """A learner (role VIEWER, not a guest) joins beside the teacher, in the same browser context; the node reports the
    teacher as MODERATOR and the learner as VIEWER. Where the client speaks graphql, the learner's client sends the
    approval of the waiting guest as a moderator's client does: it must be refused, and the guest still wait."""
    page = walk.context.new_page()
    try:
        page.goto(walk.api.link("join", meetingID=walk.meeting, fullName=LEARNER, role="VIEWER"))
        if not page.url.startswith(walk.node["client_url"]):
            raise Step(f"the learner's join led to {page.url.split('?')[0]}, not to {walk.node['client_url']}")
        walk.wait(
            page,
            lambda: LEARNER in walk.roles(),
            lambda: f"the node does not list the learner {walk.timeout} s after its join: its client did not start",
        )
        roles = walk.roles()
        if roles.get(TEACHER) != "MODERATOR" or roles.get(LEARNER) != "VIEWER":
            raise Step(
                f"the node reports the roles {json.dumps(roles, sort_keys=True)} (getMeetingInfo): the teacher must be "
                "MODERATOR and the learner VIEWER"
            )
        walk.shot(page, "learner")
        seen = "the node reports the teacher as MODERATOR and the learner as VIEWER (getMeetingInfo)"
        if not walk.graphql:
            return (
                f"{seen}; roles only: the node's client speaks no graphql, so whether the learner can let a guest in is "
                "not tried"
            )
        return f"{seen}; {_cannot_approve(walk, page)}"
    finally:
        page.close()


def _cannot_approve(walk, page):
    """The learner's client (``page``) sends the approval of the waiting guest: refused, the guest still waiting."""
    if walk.guest_page is None:
        raise Step("no guest waits in the lobby (see the step lobby): the learner's approval of a guest was not tried")
    url, teacher = walk.graphql_url(), session_token(walk.page)
    waiting = waiting_guests(walk.page, url, teacher)
    if not waiting:
        raise Step("the moderator's client lists no waiting guest: the learner's approval of a guest was not tried")
    answer = allow(page, url, waiting)
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not errors:
        if isinstance(answer, dict) and "data" in answer:
            raise Step(f"the learner (VIEWER) let the guest in: guestUsersSubmitApprovalStatus answered "
                       f"{json.dumps(answer)}, where a viewer's approval must be refused")  # fmt: skip
        raise Step(f"the learner's approval could not be sent over the node's graphql websocket: {json.dumps(answer)}")
    if set(waiting) - set(waiting_guests(walk.page, url, teacher)) or GUEST in walk.roles():
        raise Step("the learner's approval was refused, but the guest no longer waits in the lobby")
    refusal = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return f"the learner's approval of the waiting guest was refused ({refusal}) and the guest still waits"


def guest(walk):
    """Where the client speaks graphql, the moderator's client lets the waiting guest in, and the guest enters."""
    page, walk.guest_page = walk.guest_page, None
    if page is None:
        raise Step("no guest waits in the lobby (see the step lobby)")
    try:
        if not walk.graphql:
            return "the guest waits in the node's lobby (approval is checked only where the client speaks graphql)"
        url, teacher = walk.graphql_url(), session_token(walk.page)
        waiting = waiting_guests(walk.page, url, teacher)
        if not waiting:
            raise Step(
                "letting the guest in as the moderator's client does: the moderator's client lists no guest waiting"
            )
        answer = allow(walk.page, url, waiting)
        if not isinstance(answer, dict) or answer.get("errors") or "data" not in answer:
            raise Step(f"letting the guest in as the moderator's client does: refused: {json.dumps(answer)}")
        walk.wait(
            page,
            lambda: GUEST in walk.roles(),
            lambda: "the moderator let the guest in, but the guest never entered the meeting",
        )
        page.wait_for_timeout(1500)  # for the screenshot: a client shows the meeting shortly after
        walk.shot(page, "guest-in")
        return "the guest waited in the lobby and entered after the moderator's approval"
    finally:
        page.close()


def reconnect(walk):
    """The client opens a new websocket to the node after the walk-through dropped its websockets."""
    if not walk.routes:
        raise Step("the client holds no websocket to drop")
    dropped = time.monotonic()
    for route in list(walk.routes):
        route.close(code=4000, reason="dropped by the acceptance walk-through")
    walk.wait(
        walk.page,
        lambda: any(t > dropped for t, _u in walk.sockets),
        lambda: f"no new websocket to the node {walk.timeout} s after the walk-through dropped it",
    )
    again = next(u for t, u in walk.sockets if t > dropped)
    if urllib.parse.urlsplit(again).hostname != walk.host:
        raise Step(f"the client reconnected to {again}, not to the node")
    return "after the walk-through dropped its websocket the client opened " + again


def _published(walk):
    """(getRecordings answer, state) once the recording is published or the recording timeout passed.

    Through a load balancer, the node itself tells "published there, not imported" from "not published": Scalelite
    imports only what the node's post-publish script hands it (recording_importer.rb)."""
    params, node, meeting = walk.params, walk.node, walk.meeting
    timeout = params["recording_timeout"]
    deadline = time.monotonic() + timeout
    on_node = node_api(node, params) if params.get("load_balancer") and node["api_secret"] else None
    transfer = node["recording_transfer"]

    def state_on_node():
        return text(on_node.call("getRecordings", meetingID=meeting, state="any"), "state") if on_node else ""

    while True:
        # state=any: without it bbb-web lists only published and unpublished recordings (RecordingService
        # shouldIncludeState); a recording whose processing failed stays "processing" (no failed state)
        answer = walk.api.call("getRecordings", meetingID=meeting, state="any")
        state = text(answer, "state")
        if state == "published" or time.monotonic() > deadline:
            break
        if transfer and state_on_node() == "published":
            raise Step(f"published on {walk.host}, which does not hand recordings to the load balancer: {transfer}")
        time.sleep(5)
    if state != "published" and on_node:
        node_state = state_on_node()
        if node_state == "published":
            raise Step(f"published on {walk.host}, but the load balancer did not import it within {timeout} s: "
                       "Scalelite imports only what the node's scalelite_post_publish.rb hands to its spool (is "
                       "status/published/<id>-sender.done on the node? the recording importer running?)")  # fmt: skip
        state = node_state or state
    return answer, state


def recording(walk):
    """After the meeting ended, the recording is published and plays (metadata.xml on the playback host)."""
    walk.api.call("end", meetingID=walk.meeting)
    answer, state = _published(walk)
    if state != "published":
        raise Step(f"recording {state or 'not listed'} after {walk.params['recording_timeout']} s"
                   + (" (no recording marks: nobody's client was in the meeting while it recorded?)"
                      if not state else " (a failed step leaves it so: look for status/*/<id>*.fail and"
                      " bbb-record --list on the node)" if state == "processing" else ""))  # fmt: skip
    ca_file = walk.params.get("ca_file")
    url, record_id = text(answer, "url"), text(answer, "recordID")
    status = fetch(url, ca_file).status
    # the player answers for any id; the published recording itself is /presentation/<recordID>/metadata.xml
    parts = urllib.parse.urlsplit(url)
    metadata = f"{parts.scheme}://{parts.netloc}/presentation/{record_id}/metadata.xml"
    try:
        found = fetch(metadata, ca_file).status
    except urllib.error.HTTPError as error:
        raise Step(
            f"published, but {metadata} answered {error.code}: the playback host has no such recording"
        ) from error
    return f"published; playback {url} answered {status}, {metadata} {found}"


# The steps in the teacher's page, in order (after create; recording, with recordings, after the page closed).
PAGE_STEPS = (
    ("teacher", teacher),
    ("livekit", livekit),
    ("audio_processor", audio_processor),
    ("media", media),
    ("ice", ice),
    ("presentation", presentation),
    ("accessibility", accessibility),
    ("lobby", lobby),
    ("learner", learner),
    ("guest", guest),
    ("reconnect", reconnect),
)


def run_step(steps, name, check, walk):
    """Run one step and append its result (pass with what it saw, or fail with why) to ``steps``."""
    started = time.monotonic()
    try:
        status, message = "pass", check(walk) or "ok"
    except Step as failure:
        status, message = "fail", str(failure)
    except (PlaywrightError, OSError, ValueError, KeyError, ET.ParseError) as error:
        status, message = "fail", f"{type(error).__name__}: {error}"
    steps.append({"name": name, "status": status, "message": message, "time": time.monotonic() - started})
    findings = getattr(walk, "findings", None) or {}
    if name in findings:
        steps[-1]["findings"] = findings[name]
    return status


def walk_node(params, context, node, placed, steps):
    """Walk one node in the browser ``context``, appending each step's result to ``steps``.

    ``placed`` is node name -> (api, meeting, create's returncode). A node without a meeting, a failed create or a
    failed teacher ends the node's walk; any other failed step is recorded and the walk goes on."""
    if node["name"] not in placed:
        steps.append({"name": "create", "status": "fail", "time": 0.0,
                      "message": "not reached through the load balancer: no meeting landed on " + node["hostname"]})  # fmt: skip
        return
    walk = NodeWalk(params, context, node, placed[node["name"]])
    if run_step(steps, "create", create, walk) == "fail":
        return
    walk.open()
    for name, check in PAGE_STEPS:
        if run_step(steps, name, check, walk) == "fail" and name == "teacher":
            walk.shot(walk.page, "teacher")
            break
    walk.page.close()
    if walk.guest_page is not None:  # a guest the walk never let in
        walk.guest_page.close()
    if params["recordings"]:
        run_step(steps, "recording", recording, walk)
