#!/usr/bin/python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for a meteor bbb-html5 frontend process of BBB 2.x (lab only).

Like systemd_start_frontend.sh it defaults ROOT_URL to http://127.0.0.1/html5client
when the environment has none, and like meteor it serves the client only below
ROOT_URL's path: a node whose drop-in lacks the cluster basename answers 404 there.
"""

import json
import os
import socket
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlparse

import yaml

# RFC 6455 framing, shared with the bbb-web double: the lab's modules installed beside it
sys.path.insert(0, "/usr/local/lib/bbb-lab")
from bbb_lab.websocket import read_frames, upgrade, websocket_frame  # noqa: E402

INSTANCE = int(sys.argv[1]) if len(sys.argv) > 1 else 1
ROOT_URL = os.environ.get("ROOT_URL") or "http://127.0.0.1/html5client"
PREFIX = urlparse(ROOT_URL).path.rstrip("/")
DDP = os.environ.get("DDP_DEFAULT_CONNECTION_URL", "")


# What the 2.x client does first on the network (bigbluebutton-html5 imports/ui/components/join-handler/component.jsx):
# bbb-web's enter at APP.bbbWebBase (the node) with credentials, i.e. the session cookie of the join; then, from the
# join's userdata-bbb_auto_join_audio / bbb_auto_share_webcam (enter's customdata), the microphone and camera. A
# guest's join leads to the node's guest lobby instead (defaultGuestWaitURL), which this stand-in also serves.
CLIENT_START = r"""
window.bbbLab = { state: "starting", events: [] };
(async () => {
  const lab = window.bbbLab;
  const token = new URLSearchParams(window.location.search).get("sessionToken");
  if (!token) return;
  if (window.location.pathname.endsWith("/guestWait")) { lab.state = "lobby"; return; }
  try {
    const app = __meteor_runtime_config__.PUBLIC_SETTINGS.app;
    const answer = await fetch(`${app.bbbWebBase}/api/enter?sessionToken=${token}`, { credentials: "include" });
    const enter = (await answer.json()).response;
    if (enter.returncode !== "SUCCESS") { lab.state = `enter refused: ${enter.message}`; return; }
    lab.state = "in meeting";
    // meteor's DDP over sockjs to the node (DDP_DEFAULT_CONNECTION_URL), reconnecting when it drops; the
    // current slide comes over it (lab: a method stands in for meteor's Presentation/Slides publications)
    const ddp = __meteor_runtime_config__.DDP_DEFAULT_CONNECTION_URL.replace(/^http/, "ws");
    let opened = 0; lab.reconnects = 0;
    const connect = () => {
      const socket = new WebSocket(`${ddp}/sockjs/${Math.floor(Math.random() * 1000)}/lab${Date.now()}/websocket`);
      socket.onmessage = (message) => {
        if (message.data === "o") {
          socket.send(JSON.stringify([JSON.stringify({ msg: "connect", version: "1", support: ["1"] })]));
          return;
        }
        if (!message.data.startsWith("a")) return;
        for (const item of JSON.parse(message.data.slice(1)).map((m) => JSON.parse(m))) {
          if (item.msg === "connected") {
            opened += 1; if (opened > 1) lab.reconnects += 1;
            // meteor's validateAuthToken with what enter answered: akka-apps lets the user join
            const auth = [enter.meetingID, enter.internalUserID, enter.authToken];
            socket.send(JSON.stringify([JSON.stringify({ msg: "method", method: "validateAuthToken", params: auth, id: "auth" })]));
            socket.send(JSON.stringify([JSON.stringify({ msg: "method", method: "labCurrentSlide", params: [token], id: "slide" })]));
          } else if (item.msg === "result" && item.id === "slide" && item.result) {
            const image = new Image(); image.src = item.result.svgUrl; lab.slide = item.result.svgUrl;
          }
        }
      };
      socket.onclose = () => setTimeout(connect, 1000);
    };
    connect();
    const custom = Object.assign({}, ...(enter.customdata || []));
    const audio = custom.bbb_auto_join_audio === "true", video = custom.bbb_auto_share_webcam === "true";
    if (audio || video) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
      lab.events.push(`media: ${stream.getTracks().map((t) => t.kind).join(",")}`);
      // imports/utils/fetchStunTurnServers.js: the session's token, credentials included; mapStunTurn (settings.yml
      // default address: /bigbluebutton/api/stuns, on the page's origin)
      const stuns = await (await fetch(`${(__meteor_runtime_config__.PUBLIC_SETTINGS.media || {}).stunTurnServersFetchAddress || "/bigbluebutton/api/stuns"}?sessionToken=${token}`,
        { credentials: "include" })).json();
      const pc = new RTCPeerConnection({ iceServers: (stuns.stunServers || []).map((s) => ({ urls: s.url })).concat(
        (stuns.turnServers || []).map((t) => ({ urls: t.url, username: t.username, credential: t.password }))) });
      stream.getTracks().forEach((track) => pc.addTrack(track, stream));
      await pc.setLocalDescription(await pc.createOffer());
      lab.peer = pc;
    }
  } catch (error) {
    lab.state = `error: ${error.name}: ${error.message}`;
  }
})();
"""


# DDP methods of the stand-in -> bbb-web double's lab-only loopback endpoints (standing in for akka-apps)
LAB_METHODS = {
    "validateAuthToken": ("validate-auth-token", ["meetingId", "userId", "authToken"]),
    "labCurrentSlide": ("current-slide", ["sessionToken"]),
}


class Handler(BaseHTTPRequestHandler):
    def sockjs(self):
        """meteor's DDP over a sockjs websocket: open frame, connect -> connected, ping -> pong; the lab's
        labCurrentSlide method asks bbb-web (standing in for what akka-apps publishes to meteor)."""
        upgrade(self)
        self.wfile.write(websocket_frame("o"))
        self.wfile.flush()
        for _opcode, payload in read_frames(self.rfile):
            try:
                messages = [json.loads(item) for item in json.loads(payload)]
            except ValueError:
                continue
            for message in messages:
                answer = None
                if message.get("msg") == "connect":
                    answer = {"msg": "connected", "session": os.urandom(8).hex()}
                elif message.get("msg") == "ping":
                    answer = {"msg": "pong"}
                elif message.get("msg") == "method" and message.get("method") in LAB_METHODS:
                    call, names = LAB_METHODS[message["method"]]
                    query = urllib.parse.urlencode(dict(zip(names, message.get("params") or [])))
                    try:
                        url = f"http://127.0.0.1:8090/bigbluebutton/lab/{call}?{query}"
                        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback
                            result = json.loads(reply.read())
                    except (OSError, ValueError):
                        result = None
                    answer = {"msg": "result", "id": message.get("id"), "result": result}
                if answer:
                    self.wfile.write(websocket_frame("a" + json.dumps([json.dumps(answer)])))
                    self.wfile.flush()

    def do_GET(self):  # noqa: N802 (http.server API)
        path = urlparse(self.path).path
        if self.headers.get("Upgrade", "").lower() == "websocket" and path.startswith(PREFIX + "/sockjs/"):
            self.sockjs()
            return
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            self.send_error(404, "not below ROOT_URL " + ROOT_URL)
            return
        # like meteor's boilerplate: the public settings (settings.yml merged with
        # /etc/bigbluebutton/bbb-html5.yml) in __meteor_runtime_config__
        try:
            with open("/etc/bigbluebutton/bbb-html5.yml", encoding="utf-8") as handle:
                public = (yaml.safe_load(handle) or {}).get("public", {})
        except OSError:
            public = {}
        runtime = quote(
            json.dumps({"ROOT_URL": ROOT_URL, "DDP_DEFAULT_CONNECTION_URL": DDP, "PUBLIC_SETTINGS": public})
        )
        body = (
            "<!DOCTYPE html><html><head><title>BBB lab client (meteor)</title>"
            f'<script>__meteor_runtime_config__ = JSON.parse(decodeURIComponent("{runtime}"))</script></head><body>'
            f'<p id="node">node: {socket.getfqdn()}</p><p id="root-url">ROOT_URL: {ROOT_URL}</p>'
            f'<p id="ddp">DDP_DEFAULT_CONNECTION_URL: {DDP}</p><script>{CLIENT_START}</script></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", 4100 + INSTANCE), Handler).serve_forever()
