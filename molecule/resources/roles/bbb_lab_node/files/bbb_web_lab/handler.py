# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bbb-web double's request handler: routing, CORS (Hasura's, the API's, grails'), and the concerns' endpoints."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, urlparse

from bbb_lab import httpd

from bbb_web_lab import LOCK
from bbb_web_lab.api import Api
from bbb_web_lab.client import ClientStart
from bbb_web_lab.config import cors_origins
from bbb_web_lab.graphql import Graphql
from bbb_web_lab.log import BbbLog
from bbb_web_lab.meetings import Meetings
from bbb_web_lab.recordings import RecordingCalls
from bbb_web_lab.state import State
from bbb_web_lab.stun_turn import StunTurn


class Handler(Api, Meetings, RecordingCalls, ClientStart, Graphql, StunTurn, BbbLog, httpd.Handler):
    state: State
    log_name = "bbb-web-double"
    log_scrub = (re.compile(r"checksum=[0-9a-fA-F]+"), "checksum=***")
    content_type = "text/xml"

    def cors_headers(self):
        origin = self.headers.get("Origin")
        if origin and origin in self.allowed_origins():
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        return {}

    def allowed_origins(self):
        """The API answers with accessControlAllowOrigin (bbb-web's API controller); everything else under
        /bigbluebutton (presentation upload, ...) with grails' CORS origins from JDK_JAVA_OPTIONS."""
        path = urlparse(self.path).path
        if path.startswith("/api/rest/"):
            return self.state.hasura_cors_origins()
        if path.startswith("/bigbluebutton/api"):
            return list(filter(None, [self.state.config().get("accessControlAllowOrigin", "")]))
        return cors_origins(os.environ)

    def do_OPTIONS(self):  # noqa: N802 (http.server API)
        origin = self.headers.get("Origin")
        if not origin or origin not in self.allowed_origins():
            self.send(403, "", "text/plain")
            return
        requested = self.headers.get("Access-Control-Request-Headers", "")
        self.send(
            200,
            "",
            "text/plain",
            {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": requested},
        )

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        path = url.path.rstrip("/")
        if path == "/graphql" and self.state.graphql():
            self.graphql_websocket()
            return
        with LOCK:
            if path == "/bigbluebutton/api":
                self.send(200, self.api_root())
            elif path == "/bigbluebutton/api/stuns":
                self.stuns(dict(parse_qsl(url.query)).get("sessionToken", "").strip())
            elif path.startswith("/bigbluebutton/lab/") and (
                self.client_address[0] != "127.0.0.1" or self.headers.get("X-Forwarded-For")
            ):
                self.send(404, "not found", "text/plain")  # lab-only endpoints: from the node's own meteor only
            elif path == "/bigbluebutton/lab/current-slide":
                self.current_slide(dict(parse_qsl(url.query)).get("sessionToken", ""))
            elif path == "/bigbluebutton/lab/validate-auth-token":
                self.validate_auth_token(dict(parse_qsl(url.query)))
            elif path.startswith("/bigbluebutton/presentation/") and "/svg/" in path:
                self.slide(path)
            elif path == "/bigbluebutton/api/enter":
                self.enter(dict(parse_qsl(url.query)).get("sessionToken", "").strip())
            elif path.startswith("/bigbluebutton/api/"):
                self.api(path.rsplit("/", 1)[1], url.query)
            elif (path == "/api/rest/meetingStaticData" and self.state.graphql()) or (
                # 4.0 removed the deprecated clientSettings location (graphql.nginx, PR #24829)
                path == "/api/rest/clientSettings" and self.state.family() == "3.0"
            ):
                # nginx's auth_request to checkGraphqlAuthorization: the token comes from the header only
                self.client_settings(self.headers.get("x-session-token", ""), path.rsplit("/", 1)[1])
            else:
                self.send(404, "not found", "text/plain")
