# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bbb-web's API: the checksum of each call, the dispatch to the call, the XML answers and the failures."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

# bbb-common-web GetChecksumValidator.isValid: the algorithm by the checksum's length; bigbluebutton.properties
# supportedChecksumAlgorithms=sha1,sha256,sha384,sha512 by default.
CHECKSUM_LENGTHS = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
DEFAULT_ALGORITHMS = "sha1,sha256,sha384,sha512"


def xml(**fields):
    def render(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "".join(render(item) for item in value)
        if isinstance(value, dict):
            return "".join(f"<{k}>{render(v)}</{k}>" for k, v in value.items())
        return escape(str(value))

    return f"<response>{render(fields)}</response>"


class Api:
    """The Handler's /bigbluebutton/api calls (see meetings.py and recordings.py for the calls themselves)."""

    def api_failed(self, call, params, config, key, message):
        """ApiController: validateRequest logs the violation; join redirects to the logout URL with errors=."""
        self.bbb_log("ERROR", "o.b.w.controllers.ApiController", message)
        if call != "join":
            self.send(200, xml(returncode="FAILED", messageKey=key, message=message))
            return
        logout = params.get("logoutURL") or config.get("bigbluebutton.web.logoutURL", "default")
        if logout == "default":
            logout = config.get("bigbluebutton.web.serverURL", "")
        errors = json.dumps([{"key": key, "message": message}], separators=(",", ":"))
        target = logout + ("&" if "?" in logout else "?") + "errors=" + quote(errors, safe=":,")
        self.send(302, "", "text/plain", {"Location": target})

    def api_root(self):
        """From BBB 3.0 the API root also tells the client where graphql is (graphqlWebsocketUrl, graphqlApiUrl)."""
        fields = {"returncode": "SUCCESS", "version": "2.0"}
        if self.state.graphql():
            config = self.state.config()
            for key in ("graphqlWebsocketUrl", "graphqlApiUrl"):
                if key in config:
                    fields[key] = config[key]
        return xml(**fields)

    def api(self, call, query):
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if self.command == "POST" and length else b""
        config = self.state.config()
        params = dict(parse_qsl(query, keep_blank_values=True))
        unsigned = "&".join(part for part in query.split("&") if not part.startswith("checksum="))
        given = params.get("checksum", "")
        # GetChecksumValidator.isValid / ParamsProcessorUtil.isChecksumSame: the length tells the algorithm, which
        # must be one supportedChecksumAlgorithms lists; the hex digest is compared without regard to case.
        algorithm = CHECKSUM_LENGTHS.get(len(given), "")
        supported = [
            a.strip().lower() for a in config.get("supportedChecksumAlgorithms", DEFAULT_ALGORITHMS).split(",")
        ]
        ours = ""
        if algorithm in supported:
            ours = hashlib.new(algorithm, (call + unsigned + config.get("securitySalt", "")).encode()).hexdigest()
        self.bbb_log("DEBUG", "o.b.w.controllers.ApiController", f"ApiController#{call}")
        self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"query string after checksum removed: [{unsigned}]")
        self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"CHECKSUM={given} length={len(given)}")
        if algorithm == "sha256" and ours:
            self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"SHA256 {ours}")
        if not ours or ours != given.lower():
            self.bbb_log(
                "INFO",
                "o.b.api.ParamsProcessorUtil",
                f"checksumError: query string checksum failed. our: [{ours}], client: [{given}]",
            )
            self.api_failed(call, params, config, "checksumError", "Checksums do not match")
            return
        self.state.expire_unjoined(config)
        handler = getattr(self, "call_" + call, None)
        if handler is None:
            self.send(
                200, xml(returncode="FAILED", messageKey="unsupportedRequest", message="This request is not supported.")
            )
            return
        handler(params, config)

    def meeting_or_fail(self, params, call="", config=None):
        meeting = self.state.meetings.get(params.get("meetingID", ""))
        if meeting is None:
            self.api_failed(call, params, config or {}, "notFound", "A meeting with that ID does not exist")
        return meeting
