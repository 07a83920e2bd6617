# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's start: the servlet session of the join (JSESSIONID), 2.x's enter, 3.0's clientSettings behind nginx's
auth_request, the presentation's slides, and the lab's loopback endpoints for the 2.x meteor stand-in."""

from __future__ import annotations

import json
import os
from xml.sax.saxutils import escape

from bbb_web_lab.config import merge, yaml


class ClientStart:
    """The Handler's endpoints of the client's start, and the session checks the others share."""

    def jsessionid(self):
        """The request's JSESSIONID cookie, if it names a servlet session bbb-web knows (else None)."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "JSESSIONID" and value in self.state.http_sessions:
                return value
        return None

    def session_tokens(self):
        """The sessionTokens of the servlet session named by the request's JSESSIONID cookie."""
        return self.state.http_sessions.get(self.jsessionid(), set())

    def allow_without_session(self, token):
        """MeetingService.getAllowRequestsWithoutSession: the meeting's create param, else the property."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        return bool(meeting and meeting["allowRequestsWithoutSession"])

    def validate_auth_token(self, query):
        """Lab only, on loopback: meteor's validateAuthToken (2.x), which akka-apps answers by letting the user join."""
        token = next(
            (
                t
                for t, u in self.state.sessions.items()
                if u["internalUserID"] == query.get("userId")
                and u["authToken"] == query.get("authToken")
                and self.state.meetings.get(u["meeting"], {}).get("internal") == query.get("meetingId")
            ),
            None,
        )
        if token is None:
            self.send(200, json.dumps({"valid": False}), "application/json")
            return
        self.state.make_present(token)
        self.send(200, json.dumps({"valid": True}), "application/json")

    def current_slide(self, token):
        """Lab only, on loopback: the current slide of the user's meeting, as akka-apps publishes it to meteor (2.x)."""
        data, error = self.graphql_operation(token, {"query": "pres_page_curr"})
        if error:
            self.send(404, json.dumps({"error": error}), "application/json")
            return
        self.send(200, json.dumps(data["pres_page_curr"][0]), "application/json")

    def slide(self, path):
        """PresentationController.showSvgImage: /bigbluebutton/presentation/<conference>/<room>/<pres>/svg/<page>."""
        parts = path.split("/")
        meeting = next((m for m in self.state.meetings.values() if m["internal"] == parts[3]), None)
        if meeting is None or parts[5] != (meeting.get("presentation") or "default") or parts[7] != "1":
            self.send(404, "not found", "text/plain")
            return
        label = escape(meeting.get("presentation_name") or "default.pdf")
        body = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><text x="20" y="40">{label}</text></svg>'
        )
        self.send(200, body, "image/svg+xml")

    def unauthorized(self):
        """nginx's own 401 page: auth_request passes a 401 of the subrequest to the client."""
        self.send(
            401,
            "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
            "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            "text/html",
        )

    def enter(self, token):
        """2.x client start (join-handler): needs the JSESSIONID session that join created (ApiController.enter)."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        if meeting is None or (token not in self.session_tokens() and not self.allow_without_session(token)):
            body = {"returncode": "FAILED", "message": "Could not find conference.", "logoutURL": "/"}
            self.send(200, json.dumps({"response": body}), "application/json")
            return
        attendee = user["attendee"]
        body = {
            "returncode": "SUCCESS",
            "fullname": attendee["fullName"],
            "confname": meeting["name"],
            "meetingID": meeting["internal"],
            "externMeetingID": meeting["id"],
            "internalUserID": user["internalUserID"],
            "authToken": user["authToken"],
            "role": attendee["role"],
            "guest": str(attendee["isGuest"]).lower(),
            "guestStatus": attendee["guestStatus"],
            "customdata": [{key: value} for key, value in user["userdata"].items()],
        }
        self.send(200, json.dumps({"response": body}), "application/json")

    def client_settings(self, token, endpoint="clientSettings"):
        if token not in self.state.sessions or (
            token not in self.session_tokens() and not self.allow_without_session(token)
        ):
            self.unauthorized()
            return
        settings = {}
        for path in (self.state.args.html5_defaults, self.state.args.html5_override):
            if path and os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    settings = merge(settings, yaml.safe_load(handle) or {})
        if endpoint == "meetingStaticData":
            body = {"meeting": [{"clientSettings": {"clientSettingsJson": settings}}]}
        else:
            body = {"meeting_clientSettings": [{"clientSettingsJson": settings}]}
        self.send(200, json.dumps(body), "application/json")
