# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Scalelite double's request handler: routing (config/routes.rb), Rails params, the checksum (api_helper.rb),
the answers; the API's parts in bbb_api.py, recordings.py, admin.py."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from urllib.parse import parse_qsl, urlsplit

from bbb_lab import httpd

from scalelite_lab.admin import AdminApi
from scalelite_lab.bbb_api import BbbApi
from scalelite_lab.errors import BBBError, ServerError500, checksum_error
from scalelite_lab.recordings import Recordings
from scalelite_lab.ruby import render_xml
from scalelite_lab.store import Lab

ALGORITHMS = {40: "sha1", 64: "sha256", 128: "sha512"}  # api_helper.rb guess_checksum_digest_algorithm
_LOCK = threading.RLock()


class Handler(BbbApi, Recordings, AdminApi, httpd.Handler):
    lab: Lab
    server_version = "scalelite-double"
    sys_version = ""
    log_name = "scalelite-double"
    log_scrub = (re.compile(r"(checksum|[^&?\s]*secret[^=&\s]*)=[^&\s\"]*", re.IGNORECASE), r"\1=***")
    content_type = "application/xml; charset=utf-8"

    # --- plumbing ---------------------------------------------------------------------------------------------
    def send_xml(self, fields):
        self.send(200, render_xml(fields))

    def send_failed(self, error):
        self.send_xml([("returncode", "FAILED"), ("messageKey", error.key), ("message", error.message)])

    def send_json(self, status, value):
        self.send(status, json.dumps(value), "application/json; charset=utf-8")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def mime(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        path = url.path
        self.body = self.read_body() if self.command == "POST" else b""
        with _LOCK:
            self.lab.maybe_poll()
            try:
                self.route(path.rstrip("/") if path != "/" else path, url.query)
            except BBBError as error:
                self.send_failed(error)
            except ServerError500:
                self.send(
                    500,
                    '<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n  <status type="integer">500</status>\n'
                    "  <error>Internal Server Error</error>\n</hash>\n",
                )

    def route(self, path, query):
        if path in ("/", "/health_check"):
            self.send(200, "success", "text/plain; charset=utf-8")
        elif path == "/bigbluebutton/api":
            self.send_xml([("returncode", "SUCCESS"), ("version", "2.0")])
        elif path.startswith("/bigbluebutton/api/") and path.count("/") == 3:
            self.bbb_api(path.rsplit("/", 1)[1], query)
        elif path.startswith("/scalelite/api/") and path.count("/") == 3:
            self.admin_api(path.rsplit("/", 1)[1], query)
        elif path.startswith("/playback/presentation/2.3/") and self.command in ("GET", "HEAD"):
            # nginx/playback/playback.nginx: try_files $uri /playback/presentation/2.3/index.html (the static player)
            self.send(200, "<!DOCTYPE html><title>Playback (lab double)</title>", "text/html")
        elif self.command in ("GET", "HEAD") and self.playback(path):
            return
        else:
            raise BBBError("unsupportedRequest", "This request is not supported.")

    def params(self, query, body_params=None):
        """Rails params: body params, then query params (the query wins)."""
        values = dict(body_params or {})
        values.update(parse_qsl(query, keep_blank_values=True))
        return values

    def verify_checksum(self, action, query, params):
        given = params.get("checksum", "")
        if (
            not given
            or len(given) not in ALGORITHMS
            or ALGORITHMS[len(given)].upper() not in self.lab.checksum_algorithms
        ):
            raise checksum_error()
        escaped = re.escape(given)
        stripped = re.sub(f"&checksum={escaped}|checksum={escaped}&|checksum={escaped}", "", query)
        wanted = hashlib.new(ALGORITHMS[len(given)], (action + stripped + self.lab.secret).encode()).hexdigest()
        if not secrets.compare_digest(wanted, given):
            raise checksum_error()
