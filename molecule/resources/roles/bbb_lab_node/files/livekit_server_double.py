#!/usr/bin/python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for livekit-server (bbb-livekit) in the Molecule lab: its signalling endpoint only (not LiveKit).

A node with LiveKit answers behind its nginx: bbb-livekit's /usr/share/bigbluebutton/nginx/livekit.nginx passes
``location /livekit/`` to ``http://127.0.0.1:7880/`` (build/packages-template/bbb-livekit/livekit.nginx), so the
client's ``wss://<node>/livekit/rtc?access_token=...`` (livekit-client src/api/utils.ts createRtcUrl: the URL's path
plus ``rtc``) reaches ``/rtc`` here. What it mirrors of livekit/livekit:
- ``/rtc`` and ``/rtc/validate``: the token as pkg/service/auth.go checks it (bbb_lab/livekit.py); 401 with the
  error's text where it does not verify; ``/rtc`` then takes the websocket and sends the join (as JSON, as for a
  client that asks for JSON; the lab's client only notes that the signalling connection opened), ``/rtc/validate``
  answers 200.
- every other path: "OK" (pkg/service/server.go: ``mux.HandleFunc("/", s.healthCheck)``, and Go's ServeMux sends
  every path no other pattern matches to "/"; a node that is up answers 200 "OK").
The keys are those of /etc/bigbluebutton/livekit.yaml, read at each request (a restart-free lab).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.realpath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bbb_lab import httpd  # noqa: E402
from bbb_lab.livekit import check_token, read_keys  # noqa: E402
from bbb_lab.websocket import read_frames, upgrade, websocket_frame  # noqa: E402


class Handler(httpd.Handler):
    log_name = "livekit-server-double"
    log_scrub = (re.compile(r"access_token=[^&\s]+"), "access_token=***")
    content_type = "text/plain"
    keys_file = "/etc/bigbluebutton/livekit.yaml"

    def do_GET(self):  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        if url.path not in ("/rtc", "/rtc/validate"):
            self.send(200, "OK")
            return
        header = self.headers.get("Authorization", "")
        if header and not header.startswith("Bearer "):
            self.send(401, "invalid authorization header. Must start with Bearer ")
            return
        token = header[len("Bearer ") :] or (parse_qs(url.query).get("access_token") or [""])[0]
        room, error = check_token(read_keys(self.keys_file), token) if token else (None, "permissions denied")
        if error:
            self.send(401, error)
            return
        if url.path == "/rtc/validate":
            self.send(200, "success")
            return
        if self.headers.get("Upgrade", "").lower() != "websocket" or not self.headers.get("Sec-WebSocket-Key"):
            self.send(400, "websocket only")
            return
        upgrade(self)
        self.wfile.write(websocket_frame(json.dumps({"join": {"room": {"name": room}}})))
        self.wfile.flush()
        for _opcode, _payload in read_frames(self.rfile):
            pass  # held open until the client goes


def make_server(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7880)  # livekit.yaml: port: 7880
    parser.add_argument("--keys-file", default="/etc/bigbluebutton/livekit.yaml")
    args = parser.parse_args(argv)
    return httpd.serve(Handler, args.listen, args.port, keys_file=args.keys_file)


def main(argv=None):
    make_server(argv).serve_forever()


if __name__ == "__main__":
    main()
