# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalelite's BBB API of meetings (bigbluebutton_api_controller.rb): create, join, getMeetings, getMeetingInfo,
isMeetingRunning, end; the dispatch of /bigbluebutton/api/<call> (config/routes.rb)."""

from __future__ import annotations

import hashlib
import secrets
import string
import sys
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl

from scalelite_lab.errors import BBBError, ServerError500, not_found_error
from scalelite_lab.ruby import serialize, www_form

BBB_CALLS = {  # route -> (controller action, methods); config/routes.rb scope 'bigbluebutton/api'
    "isMeetingRunning": ("is_meeting_running", {"GET", "POST"}),
    "getMeetingInfo": ("get_meeting_info", {"GET", "POST"}),
    "getMeetings": ("get_meetings", {"GET", "POST"}),
    "create": ("create", {"GET", "POST"}),
    "end": ("end", {"GET", "POST"}),
    "join": ("join", {"GET"}),
    "analytics_callback": (None, {"POST"}),
    "insertDocument": (None, {"POST"}),
    "getRecordings": ("get_recordings", {"GET", "POST"}),
    "publishRecordings": (None, {"GET"}),
    "updateRecordings": (None, {"GET", "POST"}),
    "deleteRecordings": (None, {"GET"}),
}


class BbbApi:
    """The Handler's /bigbluebutton/api."""

    # --- /bigbluebutton/api -----------------------------------------------------------------------------------
    def bbb_api(self, call, query):
        action, methods = BBB_CALLS.get(call, (None, set()))
        if self.command == "HEAD":
            methods = methods | {"HEAD"} if "GET" in methods else methods
        if call not in BBB_CALLS or self.command not in methods:
            raise BBBError("unsupportedRequest", "This request is not supported.")
        if action is None:
            self.send(501, f"{call} is not implemented by the lab's Scalelite double\n", "text/plain")
            return
        body_params = {}
        if self.command == "POST" and self.body:
            allowed = ("application/x-www-form-urlencoded", "multipart/form-data")
            if call == "create":
                allowed += ("application/xml", "text/xml")
            if self.mime() not in allowed:
                raise BBBError("unsupportedContentType", "POST request Content-Type is missing or unsupported")
            if self.mime() == "application/x-www-form-urlencoded":
                body_params = dict(parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))
        params = self.params(query, body_params)
        self.verify_checksum(call, query, params)
        getattr(self, "api_" + action)(params)

    def require_meeting_id(self, params):
        meeting_id = params.get("meetingID", "")
        if not meeting_id.strip():
            raise BBBError("missingParamMeetingID", "You must specify a meeting ID for the meeting.")
        return meeting_id

    def meeting_server(self, meeting_id):
        meeting = self.lab.meetings.get(meeting_id)
        server = self.lab.servers.get(meeting["server"]) if meeting else None
        if server is None:  # Meeting.find / Server.find raise RecordNotFound
            raise not_found_error()
        return meeting, server

    def forward(self, server, action, pairs, failure, body=None):
        try:
            return self.lab.node_request(server, action, pairs, body)
        except BBBError:
            raise
        except Exception as exc:  # noqa: BLE001 - upstream: rescue StandardError -> InternalError
            sys.stderr.write(f"scalelite-double: error {type(exc).__name__} on server {server['id']}\n")
            raise BBBError("internalError", failure) from exc

    def send_doc(self, doc):
        self.send(200, serialize(doc))

    @staticmethod
    def pass_through(params):
        return [(k, v) for k, v in params.items() if k not in ("format", "controller", "action", "checksum")]

    def api_create(self, params):
        meeting_id = self.require_meeting_id(params)
        lab = self.lab
        params["meta_server-tag"] = params.get("meta_server-tag") or None
        meeting = lab.meetings.get(meeting_id)
        server = lab.servers.get(meeting["server"]) if meeting else None
        if meeting and server and server["state"] == "cordoned" and not self.running_on(server, meeting_id):
            lab.destroy_meeting(meeting_id)
            meeting = None
        if meeting is None or server is None:
            server = lab.find_available(params["meta_server-tag"])
            meeting = lab.meetings.get(meeting_id)
            if meeting is None:
                meeting = {
                    "server": server["id"],
                    "moderator_pw": params.get("moderatorPW")
                    or "".join(secrets.choice(string.ascii_letters + string.digits) for _i in range(8)),
                    "voice_bridge": lab.voice_bridge(meeting_id),
                }
                lab.meetings[meeting_id] = meeting
            server = lab.servers.get(meeting["server"])
            if server is None:
                raise BBBError("internalError", f"Couldn't find Server with id={meeting['server']}")
            lab.increment_load(server, 1)
            params["moderatorPW"] = meeting["moderator_pw"]
            lab.save()
        params["voiceBridge"] = meeting["voice_bridge"]
        if server.get("tag"):
            params["meta_server-tag"] = server["tag"]
        else:
            params.pop("meta_server-tag", None)
        if any(
            k in params
            for k in ("meta_bn-recording-ready-url", "meta_bbb-recording-ready-url", "meta_canvas-recording-ready-url")
        ):
            for key in (
                "meta_bbb-recording-ready-url",
                "meta_canvas-recording-ready-url",
                "meta_bn-recording-ready-url",
            ):
                params.pop(key, None)  # RecordingReadyEventHandler keeps the callback for itself
        body = self.body if self.command == "POST" and self.mime() in ("application/xml", "text/xml") else None
        self.send_doc(
            self.forward(server, "create", self.pass_through(params), "Unable to create meeting on server.", body)
        )

    def running_on(self, server, meeting_id):
        try:
            doc = self.lab.node_request(server, "isMeetingRunning", [("meetingID", meeting_id)])
        except Exception:  # noqa: BLE001 - upstream treats any error as not running
            return False
        return doc.findtext("running") == "true"

    def api_join(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        if not server["online"] or server["state"] == "disabled":
            sys.stderr.write(
                f"scalelite-double: server {server['id']} of meeting {meeting_id} is offline or disabled\n"
            )
            raise ServerError500
        self.lab.increment_load(server, 1)
        self.lab.save()
        pairs = self.pass_through(params)
        query = www_form(pairs)
        checksum = hashlib.sha256(("join" + query + server["secret"]).encode()).hexdigest()
        location = f"{server['url']}/join?{www_form(pairs + [('checksum', checksum)])}"
        self.send(302, "", "text/html; charset=utf-8", {"Location": location})

    def api_get_meetings(self, params):
        collected = []
        for server in self.lab.servers.values():
            if not server["online"] or server["state"] == "disabled":
                continue
            doc = self.forward(server, "getMeetings", [], "Unable to access server.")
            for meeting in doc.findall("meetings/meeting"):
                if not (meeting.findtext("metadata/tenant-id") or ""):
                    collected.append(meeting)
        if not collected:
            self.send_xml(
                [
                    ("returncode", "SUCCESS"),
                    ("messageKey", "noMeetings"),
                    ("message", "no meetings were found on this server"),
                    ("meetings", None),
                ]
            )
            return
        meetings = ET.Element("meetings")
        meetings.extend(collected)
        self.send_xml([("returncode", "SUCCESS"), ("meetings", meetings)])

    def api_get_meeting_info(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        self.send_doc(
            self.forward(server, "getMeetingInfo", [("meetingID", meeting_id)], "Unable to access meeting on server.")
        )

    def api_is_meeting_running(self, params):
        meeting_id = self.require_meeting_id(params)
        try:
            _meeting, server = self.meeting_server(meeting_id)
        except BBBError:
            self.send_xml([("returncode", "SUCCESS"), ("running", "false")])
            return
        self.send_doc(
            self.forward(server, "isMeetingRunning", [("meetingID", meeting_id)], "Unable to access meeting on server.")
        )

    def api_end(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        self.lab.destroy_meeting(meeting_id)
        self.lab.save()
        pairs = [("meetingID", meeting_id), ("password", params.get("password"))]
        self.send_doc(self.forward(server, "end", pairs, "Unable to access meeting on server."))
