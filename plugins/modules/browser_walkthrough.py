#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: browser_walkthrough
short_description: Walk through a class on every BigBlueButton node in headless Chromium and report what the network shows
version_added: 0.1.0
description:
  - "Runs on the controller (or in the execution environment), with Playwright and Chromium there; use
    C(delegate_to: localhost). The C(bbb.cluster_proxy.acceptance) playbook calls it with
    C(-e bbb_acceptance_browser=true)."
  - It does not click. It drives the client through the join API's C(userdata-bbb_*) parameters (join audio
    without the echo test, share the camera without the preview) and watches the network. Chromium runs with its
    fake camera and microphone, and the camera and microphone are granted B(once), for the proxy's origin, in one
    browser context that serves every node.
  - Per node, each step is a test case with a result and a message, in this order.
  - (C(create)) a meeting with O(nodes[].api_url), guest policy C(ASK_MODERATOR), a one-page PDF uploaded at
    create (a presentation module in the create body) and, with O(recordings), C(record=true) and
    C(autoStartRecording=true). With O(load_balancer), meetings are created through it until one landed on every
    node.
  - (C(teacher)) the join leads to the node's client on the proxy, and every document, script and stylesheet comes
    from the proxy under the node's path. Every websocket goes to the node, and on 3.0 there is at least one.
    The API shows the teacher in the meeting.
  - (C(media)) the microphone and camera of the join parameters were opened, and the page's origin is the proxy's.
    So the single grant served this node.
  - (C(ice)) the client's peer connections have ICE servers, none on the cluster proxy (nothing answers STUN or
    TURN there), and every one on a host of the node's own STUN/TURN configuration, O(nodes[].ice_servers) (the
    node itself, or a TURN server the cluster shares). With O(media), the remote ICE candidates must be the node's
    addresses.
  - (C(presentation)) the slide of the uploaded document was fetched from the node.
  - (C(guest)) a guest waits in the lobby and is not in the meeting. On 3.0 the walk-through then lets the guest in
    as the moderator's client does, with the graphql mutation C(guestUsersSubmitApprovalStatus) over the node's
    graphql websocket with the teacher's session, and the guest must then be in the meeting.
  - (C(reconnect)) the walk-through drops the client's websockets (they pass through Playwright's websocket
    routing), and the client must open a new websocket to the node.
  - (C(recording)) with O(recordings), the meeting is ended, and then it must be published within
    O(recording_timeout). Its playback URL and C(/presentation/<recordID>/metadata.xml) must answer on the playback
    host, the node or the load balancer's host (Scalelite serves the recordings it imported). Through
    O(load_balancer), a recording it does not list is looked up on the node, so that published there and not imported is
    told apart from not published, and named at once where the node cannot hand it over
    (O(nodes[].recording_transfer)).
  - Writes a report per node, O(report_dir)/<node>.junit.xml and O(report_dir)/<node>.html, one for the whole
    cluster, O(report_dir)/junit.xml (a test suite per node) and O(report_dir)/index.html, and a screenshot per
    node and step in O(report_dir)/screenshots.
  - Changes nothing on any host; the meetings it creates are ended.
requirements:
  - playwright (Python) and a Chromium it can start (O(chromium)), on the host the module runs on
  - certutil (NSS tools) when O(ca_file) is set
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  nodes:
    description: The nodes to walk through, as the C(bbb.cluster_proxy.cluster_nodes) filter describes them, plus
      their API.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Inventory name.
        type: str
        required: true
      hostname:
        description: Public hostname of the node.
        type: str
        required: true
      family:
        description: BigBlueButton version family.
        type: str
        choices: ["2.x", "3.0"]
        required: true
      client_url:
        description: The node's client on the proxy, C(https://<proxy>/<label>/html5client/).
        type: str
        required: true
      guest_url:
        description: Where a waiting guest's join leads (2.x the node's guest lobby; 3.0 the client).
        type: str
        required: true
      api_url:
        description: The node's BBB API, C(https://<node>/bigbluebutton/api).
        type: str
        required: true
      api_secret:
        description:
          - The node's shared secret (checksums only; never returned). With O(load_balancer), only to ask the node
            whether a recording the load balancer does not list was published there.
        type: str
        default: ""
      recording_transfer:
        description:
          - With O(load_balancer) and O(recordings), what keeps the node from handing its recordings to the load
            balancer (module P(bbb.cluster_proxy.recording_status#module), C(transfer_problem)); empty when nothing
            does. Named as soon as the node published the recording.
        type: str
        default: ""
        version_added: 0.2.0
      ice_servers:
        description:
          - The STUN/TURN URLs of the node's C(/etc/bigbluebutton/turn-stun-servers.xml) as bbb-web serves them (filter
            P(bbb.cluster_proxy.stun_turn_servers#filter)). The client's ICE servers must be on their hosts.
          - Empty to check only that the client has ICE servers and none on the proxy.
        type: list
        elements: str
        default: []
        version_added: 0.2.0
  proxy_origin:
    description: C(https://<proxy>), the one origin of every client.
    type: str
    required: true
  load_balancer:
    description:
      - Create the meetings through this load balancer (Scalelite); joins and calls go through it too.
      - Suboptions C(url) (its C(.../bigbluebutton/api)), C(secret) and C(attempts) (meetings to create at most,
        default 3 per node).
    type: dict
  report_dir:
    description: Directory for C(junit.xml), C(index.html) and the screenshots; created if missing.
    type: path
    required: true
  recordings:
    description: Record the meetings and wait for their publication.
    type: bool
    default: false
  recording_timeout:
    description: Seconds to wait for each recording to be published.
    type: int
    default: 600
  media:
    description:
      - Require that the client's media connected (remote ICE candidates on the node's addresses).
      - Set V(false) where no media server answers (the Molecule lab); the ICE servers are still checked.
    type: bool
    default: true
  chromium:
    description: Path of the Chromium to run; empty means Playwright's own, else C(chromium) or C(chromium-browser)
      on the PATH.
    type: path
    default: ""
  ca_file:
    description: An extra CA certificate (PEM) for Chromium to trust, for a cluster with a private CA.
    type: path
  hosts:
    description: Name to address, for names the controller cannot resolve (the Molecule lab); used by Chromium
      (C(--host-resolver-rules)) and by the module's own API calls.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for each step.
    type: int
    default: 30
  checksum_algorithm:
    description:
      - The algorithm of the API checksums (one that the nodes' C(supportedChecksumAlgorithms) and the load balancer
        accept); empty for SHA-256 (the collection's C(bbb_cluster_checksum_algorithm)).
    type: str
    choices: ["", sha1, sha256, sha384, sha512]
    default: ""
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Walk through a class on every node in a browser
  bbb.cluster_proxy.browser_walkthrough:
    proxy_origin: https://proxy.example.com
    report_dir: "{{ lookup('ansible.builtin.env', 'PWD') }}/acceptance-report"
    recordings: true
    nodes:
      - name: bbb-01.example.com
        hostname: bbb-01.example.com
        family: "3.0"
        client_url: https://proxy.example.com/bbb-01/html5client/
        guest_url: https://proxy.example.com/bbb-01/html5client/
        api_url: https://bbb-01.example.com/bigbluebutton/api
        api_secret: "{{ bbb_01_secret }}"
  delegate_to: localhost
  register: walk
"""

RETURN = r"""
summary:
  description: "Per inventory name, C(pass: <steps>) or C(FAIL at '<step>': <message>)."
  type: dict
  returned: always
nodes:
  description: Per inventory name, C(passed) and the steps with their C(status) (pass, fail, not run) and message.
  type: dict
  returned: always
report:
  description: Paths of the JUnit XML and the HTML report (C(junit), C(html)), and per node (C(nodes)).
  type: dict
  returned: always
"""

import base64
import html
import os
import shutil
import socket
import ssl
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import open_url
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import ALGORITHMS, DEFAULT_ALGORITHM, call_url
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.stun_turn import ice_host

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    HAS_PLAYWRIGHT = True
    PLAYWRIGHT_IMPORT_ERROR = None
except ImportError:
    HAS_PLAYWRIGHT = False
    PLAYWRIGHT_IMPORT_ERROR = traceback.format_exc()
    PlaywrightError = Exception

# A one-page PDF (what the presentation module uploads at create).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 400 300]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# What the walk-through records in every page before the client's own scripts run: calls of getUserMedia and
# every RTCPeerConnection (for its ICE servers and getStats).
INIT = """
(() => {
  const walk = (window.__bbbWalk = { media: [], peers: [] });
  const gum = navigator.mediaDevices && navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  if (gum) {
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const entry = { audio: !!constraints.audio, video: !!constraints.video };
      walk.media.push(entry);
      try {
        const stream = await gum(constraints);
        entry.tracks = stream.getTracks().map((t) => t.kind);
        return stream;
      } catch (error) {
        entry.error = error.name;
        throw error;
      }
    };
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    window.RTCPeerConnection = function (config, ...rest) {
      const pc = new Native(config, ...rest);
      walk.peers.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }
})();
"""
ICE = """async () => {
  const out = [];
  for (const pc of window.__bbbWalk.peers) {
    const servers = (pc.getConfiguration().iceServers || []).flatMap((s) => [].concat(s.urls || s.url || []));
    const remote = [];
    (await pc.getStats()).forEach((r) => { if (r.type === "remote-candidate") remote.push(r.address || r.ip || ""); });
    out.push({ servers, remote });
  }
  return out;
}"""
# Let waiting guests in as the moderator's 3.0 client does (graphql over the node's websocket, its session).
APPROVE = """async ([url, token]) => new Promise((resolve) => {
  const socket = new WebSocket(url, "graphql-transport-ws");
  const done = (value) => { try { socket.close(); } catch (e) {} resolve(value); };
  // the four headers bbb-graphql-middleware requires (connhandler.go, connectionInitHandler), as the client sends them
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { headers: {
    "X-Session-Token": token, "X-ClientSessionUUID": crypto.randomUUID(), "X-ClientType": "HTML5", "X-ClientIsMobile": "false" } } }));
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "connection_ack") {
      // user_guest has no name column (public_v_user_guest.yaml): the name is under the relationship user
      const query = "subscription { user_guest(where: {isWaiting: {_eq: true}}) { userId user { name } } }";
      socket.send(JSON.stringify({ id: "guests", type: "subscribe", payload: { query } }));
    } else if (data.type === "next" && data.id === "guests") {
      const waiting = (data.payload.data || {}).user_guest || [];
      if (!waiting.length) return done("no guest waiting");
      socket.send(JSON.stringify({ id: "allow", type: "subscribe", payload: {
        query: "mutation ($guests: [GuestUserApprovalStatus]!) { guestUsersSubmitApprovalStatus(guests: $guests) }",
        variables: { guests: waiting.map((g) => ({ guest: g.userId, status: "ALLOW" })) } } }));
    } else if (data.type === "next" && data.id === "allow") {
      done(data.payload.errors ? `refused: ${JSON.stringify(data.payload.errors)}` : "allowed");
    }
  };
  socket.onerror = () => done("websocket error");
  setTimeout(() => done("timeout"), 10000);
})"""


class Step(Exception):
    """A failed step: its message."""


class Api:
    """BBB API calls, signed as every caller of the collection signs them (module_utils bbb_api), from the controller."""

    def __init__(self, url, secret, ca_file, algorithm=""):
        self.url, self.secret, self.ca_file = url.rstrip("/"), secret, ca_file
        self.algorithm = algorithm or DEFAULT_ALGORITHM

    def link(self, call, **params):
        return call_url(self.url, call, params, self.secret, self.algorithm)

    def call(self, call, body=None, **params):
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        answer = fetch(self.link(call, **params), self.ca_file, data=body, headers=headers)
        return ET.fromstring(answer.read())

    def location(self, call, **params):
        """The Location of a redirecting call (not followed)."""
        try:
            fetch(self.link(call, **params), self.ca_file, follow_redirects="none")
        except urllib.error.HTTPError as error:
            return error.headers.get("Location", "")
        return ""


def fetch(url, ca_file, **kwargs):
    """open_url with the walk-through's CA (None: the system's) and timeout."""
    return open_url(url, timeout=30, ca_path=ca_file or None, **kwargs)


def text(root, tag):
    found = root.find(f".//{tag}")
    return (found.text or "") if found is not None else ""


class Walk:
    def __init__(self, module, params):
        self.module, self.p = module, params
        self.report_dir = params["report_dir"]
        os.makedirs(os.path.join(self.report_dir, "screenshots"), exist_ok=True)
        self.extra_ca = params.get("ca_file")  # for Chromium's NSS database
        if params.get("ca_file"):
            # the system's CAs and the extra one, for the module's own API calls (open_url trusts only its ca_path)
            system = ssl.get_default_verify_paths().cafile
            bundle = os.path.join(tempfile.mkdtemp(prefix="bbb-walk-ca-"), "bundle.pem")
            with open(bundle, "w", encoding="utf-8") as out:
                for path in filter(None, (system, params["ca_file"])):
                    with open(path, encoding="utf-8") as handle:
                        out.write(handle.read().rstrip() + "\n")
            params["ca_file"] = bundle
        self.results = {}
        self.hostname = {node["name"]: node["hostname"] for node in params.get("nodes") or []}

    # ------------------------------------------------------------------ placing the meetings
    def meetings(self):
        """nodes -> (api for the calls, meeting id); through a load balancer, created until each node has one."""
        run = time.strftime("%Y%m%dT%H%M%S")
        create = {"name": "Cluster proxy browser acceptance", "guestPolicy": "ASK_MODERATOR"}
        if self.p["recordings"]:
            create.update(record="true", autoStartRecording="true")
        body = (
            '<modules><module name="presentation"><document name="acceptance.pdf">'
            + base64.b64encode(PDF).decode()
            + "</document></module></modules>"
        ).encode()
        placed, self.created = {}, []
        lb = self.p.get("load_balancer")
        if not lb:
            for node in self.p["nodes"]:
                api = Api(node["api_url"], node["api_secret"], self.p.get("ca_file"), self.p["checksum_algorithm"])
                meeting = f"bbb-cluster-proxy-browser-{node['hostname'].split('.')[0]}-{run}"
                placed[node["name"]] = (
                    api,
                    meeting,
                    text(api.call("create", body, meetingID=meeting, **create), "returncode"),
                )
                self.created.append((api, meeting))
            return placed
        api = Api(lb["url"], lb["secret"], self.p.get("ca_file"), self.p["checksum_algorithm"])
        by_host = {node["hostname"]: node["name"] for node in self.p["nodes"]}
        attempts = int(lb.get("attempts") or 3 * len(by_host))
        for attempt in range(1, attempts + 1):
            if len(placed) == len(by_host):
                break
            meeting = f"bbb-cluster-proxy-browser-{run}-{attempt}"
            answer = api.call("create", body, meetingID=meeting, **create)
            self.created.append((api, meeting))
            landed = urllib.parse.urlsplit(api.location("join", meetingID=meeting, fullName="Placement probe")).hostname
            if landed in by_host and by_host[landed] not in placed:
                placed[by_host[landed]] = (api, meeting, text(answer, "returncode"))
        return placed

    # ------------------------------------------------------------------ one node
    def node(self, browser_context, node, placed):
        steps = []
        self.results[node["name"]] = steps

        def step(name, check, *args):
            started = time.monotonic()
            try:
                message = check(*args) or "ok"
                steps.append({"name": name, "status": "pass", "message": message, "time": time.monotonic() - started})
            except Step as failure:
                steps.append(
                    {"name": name, "status": "fail", "message": str(failure), "time": time.monotonic() - started}
                )
            except (PlaywrightError, OSError, ValueError, KeyError, ET.ParseError) as error:
                steps.append(
                    {
                        "name": name,
                        "status": "fail",
                        "message": f"{type(error).__name__}: {error}",
                        "time": time.monotonic() - started,
                    }
                )

        if node["name"] not in placed:
            steps.append({"name": "create", "status": "fail", "time": 0.0,
                          "message": "not reached through the load balancer: no meeting landed on " + node["hostname"]})  # fmt: skip
            return
        api, meeting, returncode = placed[node["name"]]

        def create():
            if returncode != "SUCCESS":
                raise Step(f"create answered {returncode or 'nothing'}")
            return f"meeting {meeting} with a PDF uploaded at create"

        step("create", create)
        if steps[-1]["status"] == "fail":
            return
        host = node["hostname"]
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443)} if self.p["media"] else set()
        sockets, requests, routes = [], [], []
        page = browser_context.new_page()
        page.on("websocket", lambda ws: sockets.append((time.monotonic(), ws.url)))

        def through(route):
            """Every websocket of the client passes here to its server, so the walk-through can drop it."""
            route.connect_to_server()
            routes.append(route)

        page.route_web_socket(lambda url: True, through)
        # Playwright keeps state on a handler: a Python function, not a bound builtin such as list.append
        page.on("requestfinished", lambda request: requests.append(request))  # pylint: disable=unnecessary-lambda
        timeout = self.p["timeout"]
        userdata = {
            "userdata-bbb_auto_join_audio": "true",
            "userdata-bbb_skip_check_audio": "true",
            "userdata-bbb_auto_share_webcam": "true",
            "userdata-bbb_skip_video_preview": "true",
            "userdata-bbb_listen_only_mode": "false",
        }

        def participants():
            return int(text(api.call("getMeetingInfo", meetingID=meeting), "participantCount") or 0)

        def teacher():
            page.goto(api.link("join", meetingID=meeting, fullName="Teacher", role="MODERATOR", **userdata))
            if not page.url.startswith(node["client_url"]):
                raise Step(f"the join led to {page.url.split('?')[0]}, not to {node['client_url']}")
            deadline = time.monotonic() + timeout
            while participants() < 1 or (node["family"] == "3.0" and not sockets):
                if time.monotonic() > deadline:
                    raise Step(f"after {timeout} s the node counts {participants()} users and the client opened "
                               f"{len(sockets)} websocket(s): the client did not start")  # fmt: skip
                page.wait_for_timeout(500)
            wrong = [
                f"{r.resource_type} {r.url.split('?')[0]}"
                for r in requests
                if r.resource_type in ("document", "script", "stylesheet")
                and not r.url.startswith(node["client_url"])
                and "/bigbluebutton/api/join" not in r.url
            ]
            if wrong:
                raise Step("not from the proxy under the node's path: " + "; ".join(wrong[:5]))
            away = [url for _t, url in sockets if urllib.parse.urlsplit(url).hostname != host]
            if away:
                raise Step("websockets not to the node: " + ", ".join(away))
            self.shot(page, node, "teacher")
            return (
                f"client from {node['client_url']}; websockets: {', '.join(sorted({u for _t, u in sockets})) or 'none'}"
            )

        def media():
            deadline = time.monotonic() + timeout
            while True:
                calls = page.evaluate("window.__bbbWalk.media")
                if any(c.get("tracks") for c in calls) or time.monotonic() > deadline:
                    break
                page.wait_for_timeout(500)
            granted = [c for c in calls if c.get("tracks")]
            if not granted:
                raise Step(f"the client opened no microphone or camera (getUserMedia calls: {calls or 'none'})")
            origin = page.evaluate("window.location.origin")
            if origin != self.p["proxy_origin"]:
                raise Step(f"the client runs on {origin}, not on the proxy's origin: it would need a grant of its own")
            return f"opened {', '.join(granted[0]['tracks'])} with the one grant for {origin}"

        def ice():
            peers = page.evaluate(ICE)
            if not peers:
                raise Step("the client made no peer connection")
            servers = sorted({s for peer in peers for s in peer["servers"]})
            if not servers:
                raise Step("the client's peer connections have no ICE server: the node's /bigbluebutton/api/stuns gave it "
                           "none (the client's fallbackStunServer is empty)")  # fmt: skip
            proxy = urllib.parse.urlsplit(self.p["proxy_origin"]).hostname
            on_proxy = [s for s in servers if ice_host(s) == proxy]
            if on_proxy:
                raise Step(
                    f"ICE servers on the cluster proxy, where nothing answers STUN or TURN: {', '.join(on_proxy)}"
                )
            named = {ice_host(url) for url in node["ice_servers"]}
            away = [s for s in servers if named and ice_host(s) not in named]
            if away:
                raise Step(f"ICE servers {', '.join(away)} are not those of the node's STUN/TURN configuration "
                           f"(/etc/bigbluebutton/turn-stun-servers.xml: {', '.join(sorted(named))})")  # fmt: skip
            remote = sorted({a for peer in peers for a in peer["remote"] if a})
            if self.p["media"]:
                if not remote:
                    raise Step(f"no remote ICE candidate: media did not connect (ICE servers {', '.join(servers)})")
                if set(remote) - addresses:
                    raise Step(f"remote ICE candidates {remote} are not the node's addresses {sorted(addresses)}")
            return f"ICE servers {', '.join(servers)}; remote candidates {', '.join(remote) or 'not checked (media: false)'}"

        def presentation():
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                slides = [r for r in requests if "/bigbluebutton/presentation/" in r.url]
                if slides:
                    break
                page.wait_for_timeout(500)
            else:
                raise Step("the client fetched no slide")
            away = [r.url for r in slides if urllib.parse.urlsplit(r.url).hostname != host]
            failed = [r.url for r in slides if (r.response() is None or r.response().status != 200)]
            if away or failed:
                raise Step(f"slides not from the node, or failed: {(away + failed)[:3]}")
            return f"slide from {slides[0].url.split('/svg')[0]}"

        def guest():
            guest_page = browser_context.new_page()
            before = participants()
            guest_page.goto(api.link("join", meetingID=meeting, fullName="Guest", role="VIEWER", guest="true"))
            if not guest_page.url.startswith(node["guest_url"]):
                raise Step(f"the guest's join led to {guest_page.url.split('?')[0]}, not to {node['guest_url']}")
            guest_page.wait_for_timeout(2000)
            if participants() != before:
                raise Step("the guest entered the meeting without a moderator's approval (guest policy ASK_MODERATOR)")
            self.shot(guest_page, node, "guest-lobby")
            if node["family"] != "3.0":
                guest_page.close()
                return "the guest waits in the node's lobby (approval is checked on 3.0 nodes only)"
            graphql = next((u for _t, u in sockets if u.endswith("/graphql")), "")
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).get("sessionToken", [""])[0]
            answer = page.evaluate(APPROVE, [graphql, token])
            if answer != "allowed":
                raise Step(f"letting the guest in as the moderator's client does: {answer}")
            deadline = time.monotonic() + timeout
            while participants() <= before:
                if time.monotonic() > deadline:
                    raise Step("the moderator let the guest in, but the guest never entered the meeting")
                guest_page.wait_for_timeout(500)
            guest_page.wait_for_timeout(1500)  # for the screenshot: a client shows the meeting shortly after
            self.shot(guest_page, node, "guest-in")
            guest_page.close()
            return "the guest waited in the lobby and entered after the moderator's approval"

        def reconnect():
            if not routes:
                raise Step("the client holds no websocket to drop")
            dropped = time.monotonic()
            for route in list(routes):
                route.close(code=4000, reason="dropped by the acceptance walk-through")
            deadline = dropped + timeout
            while not any(t > dropped for t, _u in sockets):
                if time.monotonic() > deadline:
                    raise Step(f"no new websocket to the node {timeout} s after the walk-through dropped it")
                page.wait_for_timeout(500)
            again = next(u for t, u in sockets if t > dropped)
            if urllib.parse.urlsplit(again).hostname != host:
                raise Step(f"the client reconnected to {again}, not to the node")
            return "after the walk-through dropped its websocket the client opened " + again

        def recording():
            api.call("end", meetingID=meeting)
            deadline = time.monotonic() + self.p["recording_timeout"]
            # through a load balancer, the node itself tells "published there, not imported" from "not published":
            # Scalelite imports only what the node's post-publish script hands it (recording_importer.rb)
            on_node = None
            if self.p.get("load_balancer") and node["api_secret"]:
                on_node = Api(node["api_url"], node["api_secret"], self.p.get("ca_file"), self.p["checksum_algorithm"])
            transfer = node["recording_transfer"]

            def state_on_node():
                return text(on_node.call("getRecordings", meetingID=meeting, state="any"), "state") if on_node else ""

            while True:
                # state=any: without it bbb-web lists only published and unpublished recordings (RecordingService
                # shouldIncludeState); a recording whose processing failed stays "processing" (no failed state)
                answer = api.call("getRecordings", meetingID=meeting, state="any")
                state = text(answer, "state")
                if state == "published" or time.monotonic() > deadline:
                    break
                if transfer and state_on_node() == "published":
                    raise Step(f"published on {host}, which does not hand recordings to the load balancer: {transfer}")
                time.sleep(5)
            if state != "published" and on_node:
                node_state = state_on_node()
                if node_state == "published":
                    raise Step(f"published on {host}, but the load balancer did not import it within "
                               f"{self.p['recording_timeout']} s: Scalelite imports only what the node's "
                               "scalelite_post_publish.rb hands to its spool (is status/published/<id>-sender.done on the "
                               "node? the recording importer running?)")  # fmt: skip
                state = node_state or state
            if state != "published":
                raise Step(f"recording {state or 'not listed'} after {self.p['recording_timeout']} s"
                           + (" (no recording marks: nobody's client was in the meeting while it recorded?)"
                              if not state else " (a failed step leaves it so: look for status/*/<id>*.fail and"
                              " bbb-record --list on the node)" if state == "processing" else ""))  # fmt: skip
            url, record_id = text(answer, "url"), text(answer, "recordID")
            status = fetch(url, self.p.get("ca_file")).status
            # the player answers for any id; the published recording itself is /presentation/<recordID>/metadata.xml
            parts = urllib.parse.urlsplit(url)
            metadata = f"{parts.scheme}://{parts.netloc}/presentation/{record_id}/metadata.xml"
            try:
                found = fetch(metadata, self.p.get("ca_file")).status
            except urllib.error.HTTPError as error:
                raise Step(
                    f"published, but {metadata} answered {error.code}: the playback host has no such recording"
                ) from error
            return f"published; playback {url} answered {status}, {metadata} {found}"

        for name, check in (("teacher", teacher), ("media", media), ("ice", ice), ("presentation", presentation),
                            ("guest", guest), ("reconnect", reconnect)):  # fmt: skip
            step(name, check)
            if name == "teacher" and steps[-1]["status"] == "fail":
                self.shot(page, node, "teacher")
                break
        page.close()
        if self.p["recordings"]:
            step("recording", recording)

    def shot(self, page, node, name):
        """A screenshot, with what the walk-through saw written over it (the URL without its query, the origin)."""
        note = f"walk-through step {name} on {node['name']}\nURL: {page.url.split('?')[0]}\norigin: " + page.evaluate(
            "window.location.origin"
        )
        page.evaluate(
            """(text) => { const pre = document.createElement("pre");
            pre.style.cssText = "position:fixed;bottom:0;left:0;right:0;margin:0;padding:6px;background:#ffd;"
              + "border-top:1px solid #996;font-size:13px;z-index:2147483647;white-space:pre-wrap";
            pre.textContent = text; document.body.appendChild(pre); }""",
            note,
        )
        path = os.path.join(self.report_dir, "screenshots", f"{node['hostname']}-{name}.png")
        page.screenshot(path=path, full_page=True)

    # ------------------------------------------------------------------ the report
    def report(self):
        """junit.xml and index.html for the whole cluster, and per node <node>.junit.xml and <node>.html."""
        shots = sorted(os.listdir(os.path.join(self.report_dir, "screenshots")))
        per_node = {}

        def write(results, junit, page, title):
            suites = ET.Element("testsuites", name=f"bbb.cluster_proxy browser walk-through: {title}")
            rows = []
            for name, steps in results.items():
                failures = sum(1 for s in steps if s["status"] == "fail")
                suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(steps)), failures=str(failures))
                for s in steps:
                    case = ET.SubElement(suite, "testcase", classname=name, name=s["name"], time=f"{s['time']:.2f}")
                    if s["status"] == "fail":
                        ET.SubElement(case, "failure", message=s["message"])
                    ET.SubElement(case, "system-out").text = s["message"]
                    rows.append((name, s))
            ET.ElementTree(suites).write(junit, encoding="utf-8", xml_declaration=True)
            body = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Browser walk-through: {html.escape(title)}</title>",
                    "<style>td,th{border:1px solid #999;padding:4px}.fail{background:#fcc}.pass{background:#cfc}</style>",
                    f"</head><body><h1>Browser walk-through: {html.escape(title)}</h1>",
                    "<table><tr><th>node</th><th>step</th><th>result</th><th>what it saw</th></tr>"]  # fmt: skip
            for name, s in rows:
                body.append(f"<tr class='{s['status']}'><td>{html.escape(name)}</td><td>{s['name']}</td>"
                            f"<td>{s['status']}</td><td>{html.escape(s['message'])}</td></tr>")  # fmt: skip
            body.append("</table>")
            mine = [f for f in shots if any(f.startswith(self.hostname.get(n, n) + "-") for n in results)]
            body += [f"<h2>{html.escape(f)}</h2><img src='screenshots/{html.escape(f)}' width='800'>" for f in mine]
            with open(page, "w", encoding="utf-8") as handle:
                handle.write("\n".join(body) + "</body></html>\n")

        for name, steps in self.results.items():
            junit, page = (os.path.join(self.report_dir, f"{name}.{kind}") for kind in ("junit.xml", "html"))
            write({name: steps}, junit, page, name)
            per_node[name] = {"junit": junit, "html": page}
        junit, index = os.path.join(self.report_dir, "junit.xml"), os.path.join(self.report_dir, "index.html")
        write(self.results, junit, index, "every node")
        return {"junit": junit, "html": index, "nodes": per_node}

    # ------------------------------------------------------------------ run
    def run(self):
        placed = self.meetings()
        env_home = tempfile.mkdtemp(prefix="bbb-walk-")
        try:
            args = ["--use-fake-device-for-media-stream"]
            if self.p["hosts"]:
                rules = ", ".join(f"MAP {name} {address}" for name, address in self.p["hosts"].items())
                args.append(f"--host-resolver-rules={rules}")
            env = dict(os.environ, HOME=env_home)
            if self.extra_ca:
                nss = os.path.join(env_home, ".pki", "nssdb")
                os.makedirs(nss)
                self.module.run_command(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check_rc=True)
                self.module.run_command(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "bbb-cluster-ca", "-i",
                                         self.extra_ca], check_rc=True)  # fmt: skip
            chromium = self.p["chromium"] or None
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=args, env=env)
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                # the one grant: camera and microphone for the proxy's origin, for every node's client
                context.grant_permissions(["camera", "microphone"], origin=self.p["proxy_origin"])
                context.add_init_script(INIT)
                for node in self.p["nodes"]:
                    self.node(context, node, placed)
                context.close()
                browser.close()
        finally:
            for api, meeting in self.created:
                try:
                    api.call("end", meetingID=meeting)
                except (OSError, ET.ParseError):
                    pass
            shutil.rmtree(env_home, ignore_errors=True)
            if self.extra_ca:
                shutil.rmtree(os.path.dirname(self.p["ca_file"]), ignore_errors=True)
        return self.report()


def _resolve_with(hosts):
    """Make this process resolve the given names to the given addresses (the lab's names)."""
    native = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return native(hosts.get(host, host), *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def main():
    node_spec = {
        "name": {"type": "str", "required": True},
        "hostname": {"type": "str", "required": True},
        "family": {"type": "str", "required": True, "choices": ["2.x", "3.0"]},
        "client_url": {"type": "str", "required": True},
        "guest_url": {"type": "str", "required": True},
        "api_url": {"type": "str", "required": True},
        "api_secret": {"type": "str", "default": "", "no_log": True},
        "ice_servers": {"type": "list", "elements": "str", "default": []},
        "recording_transfer": {"type": "str", "default": ""},
    }
    module = AnsibleModule(
        argument_spec={
            "nodes": {"type": "list", "elements": "dict", "required": True, "options": node_spec},
            "proxy_origin": {"type": "str", "required": True},
            "load_balancer": {"type": "dict", "no_log": False},
            "report_dir": {"type": "path", "required": True},
            "recordings": {"type": "bool", "default": False},
            "recording_timeout": {"type": "int", "default": 600},
            "media": {"type": "bool", "default": True},
            "chromium": {"type": "path", "default": ""},
            "ca_file": {"type": "path"},
            "hosts": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 30},
            "checksum_algorithm": {"type": "str", "default": "", "choices": ["", *ALGORITHMS]},
        },
        supports_check_mode=False,
    )
    if not HAS_PLAYWRIGHT:
        module.fail_json(msg=missing_required_lib("playwright") + " (and a Chromium: python -m playwright install chromium)",
                         exception=PLAYWRIGHT_IMPORT_ERROR)  # fmt: skip
    params = dict(module.params)
    lb = params.get("load_balancer")
    if lb:
        module.no_log_values.add(lb.get("secret", ""))
    if params["chromium"] == "":
        params["chromium"] = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    if params.get("ca_file") and not shutil.which("certutil"):
        module.fail_json(msg="ca_file needs certutil (NSS tools: apt-get install libnss3-tools, dnf install nss-tools)")
    if params["hosts"]:
        _resolve_with(params["hosts"])
    walk = Walk(module, params)
    try:
        report = walk.run()
    except (PlaywrightError, OSError, ET.ParseError) as error:
        module.fail_json(msg=f"browser walk-through could not run: {type(error).__name__}: {error}")
    nodes = {
        name: {"passed": all(s["status"] != "fail" for s in steps), "steps": steps}
        for name, steps in walk.results.items()
    }
    summary = {}
    for name, result in nodes.items():
        failed = [s for s in result["steps"] if s["status"] == "fail"]
        summary[name] = (
            f"FAIL at '{failed[0]['name']}': {failed[0]['message']}"
            if failed
            else "pass: " + ", ".join(s["name"] for s in result["steps"])
        )
    module.exit_json(changed=False, nodes=nodes, summary=summary, report=report)


if __name__ == "__main__":
    main()
