#!/usr/bin/python3
"""Stand-in for a meteor bbb-html5 frontend process of BBB 2.x (lab only).

Like systemd_start_frontend.sh it defaults ROOT_URL to http://127.0.0.1/html5client
when the environment has none, and like meteor it serves the client only below
ROOT_URL's path: a node whose drop-in lacks the cluster basename answers 404 there.
"""

import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import quote, urlparse

import yaml

INSTANCE = int(sys.argv[1]) if len(sys.argv) > 1 else 1
ROOT_URL = os.environ.get("ROOT_URL") or "http://127.0.0.1/html5client"
PREFIX = urlparse(ROOT_URL).path.rstrip("/")
DDP = os.environ.get("DDP_DEFAULT_CONNECTION_URL", "")


# What the 2.x client does first on the network (bigbluebutton-html5 imports/ui/components/join-handler/component.jsx):
# bbb-web's enter at APP.bbbWebBase (the node) with credentials, i.e. the session cookie of the join; then, from the
# join's userdata-bbb_auto_join_audio / bbb_auto_share_webcam (enter's customdata), the microphone and camera. A
# guest's join leads to the node's guest lobby instead (defaultGuestWaitURL), which this stand-in also serves.
CLIENT_START = """
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
    const custom = Object.assign({}, ...(enter.customdata || []));
    const audio = custom.bbb_auto_join_audio === "true", video = custom.bbb_auto_share_webcam === "true";
    if (audio || video) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
      lab.events.push(`media: ${stream.getTracks().map((t) => t.kind).join(",")}`);
    }
  } catch (error) {
    lab.state = `error: ${error.name}: ${error.message}`;
  }
})();
"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        path = urlparse(self.path).path
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
        runtime = quote(json.dumps({"ROOT_URL": ROOT_URL, "PUBLIC_SETTINGS": public}))
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


HTTPServer(("127.0.0.1", 4100 + INSTANCE), Handler).serve_forever()
