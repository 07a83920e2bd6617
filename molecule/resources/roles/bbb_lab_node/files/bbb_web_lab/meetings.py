# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bbb-web's meeting calls: create, join, getMeetings, getMeetingInfo, isMeetingRunning, end."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
import xml.etree.ElementTree as ET

from bbb_web_lab.api import xml
from bbb_web_lab.log import analytics

BRIDGES = ("audioBridge", "cameraBridge", "screenShareBridge")


class Meetings:
    """The Handler's meeting calls (call_<name> as the API names them)."""

    @staticmethod
    def meeting_xml(meeting):
        return {
            "meetingName": meeting["name"],
            "meetingID": meeting["id"],
            "internalMeetingID": meeting["internal"],
            "createTime": meeting["created"],
            "running": bool(meeting["attendees"]),
            "recording": meeting["record"],
            "participantCount": len(meeting["attendees"]),
            "moderatorCount": sum(1 for a in meeting["attendees"] if a["role"] == "MODERATOR"),
            "attendees": [{"attendee": a} for a in meeting["attendees"]],
        }

    def call_create(self, params, config):
        meeting_id = params.get("meetingID")
        if not meeting_id:
            self.send(
                200,
                xml(returncode="FAILED", messageKey="missingParamMeetingID", message="You must specify a meeting ID"),
            )
            return
        existing = self.state.meetings.get(meeting_id)
        if existing:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    meetingID=meeting_id,
                    internalMeetingID=existing["internal"],
                    messageKey="duplicateWarning",
                ),
            )
            return

        def flag(name):
            """A create param when given (Boolean.parseBoolean), else the property."""
            return (params.get(name) or config.get(name, "false")).strip().lower() == "true"

        meeting = {
            "id": meeting_id,
            "name": params.get("name", meeting_id),
            "internal": secrets.token_hex(20),
            "created": int(time.time() * 1000),
            # create param, else the property (bigbluebutton.properties: 5)
            "expireIfNoUserJoined": float(
                params.get("meetingExpireIfNoUserJoinedInMinutes")
                or config.get("meetingExpireIfNoUserJoinedInMinutes", "5")
            ),
            "record": params.get("record", "false") == "true",
            "autoStartRecording": flag("autoStartRecording"),
            "allowRequestsWithoutSession": flag("allowRequestsWithoutSession"),
            "marks": False,
            # ParamsProcessorUtil.processMetaParam: meta_[a-zA-Z][a-zA-Z0-9-]* params, the name lowercased
            "meta": {
                key[len("meta_") :].lower(): value
                for key, value in params.items()
                if re.fullmatch(r"meta_[a-zA-Z][a-zA-Z0-9-]*", key)
            },
            **self.presentation_from(getattr(self, "body", b"")),
            "guestPolicy": params.get("guestPolicy", config.get("defaultGuestPolicy", "ALWAYS_ACCEPT")),
            # 3.0: create's audioBridge, cameraBridge, screenShareBridge (ApiParams), else the bbb-web properties of
            # the same names, else bbb-webrtc-sfu (LiveKit only where asked: the 3.0 LiveKit notes, and upstream's own
            # tests create with all three set to bbb-webrtc-sfu or to livekit); stored as given, to the client's
            # meeting (graphql meeting.audioBridge ...)
            "bridges": {name: params.get(name) or config.get(name) or "bbb-webrtc-sfu" for name in BRIDGES},
            "attendees": [],
        }
        self.state.meetings[meeting_id] = meeting
        self.bbb_log("INFO", "o.b.api.MeetingService", analytics(meeting, "create_meeting", "Create meeting."))
        self.send(
            200,
            xml(
                returncode="SUCCESS",
                meetingID=meeting_id,
                internalMeetingID=meeting["internal"],
                createTime=meeting["created"],
                hasBeenForciblyEnded=False,
            ),
        )

    @staticmethod
    def presentation_from(body):
        """The first PDF document of <modules><module name="presentation"> in a create POST body (inline base64)."""
        if not body:
            return {}
        try:
            root = ET.fromstring(body)  # noqa: S314 - the lab's own requests
        except ET.ParseError:
            return {}
        for document in root.findall("./module[@name='presentation']/document"):
            try:
                data = base64.b64decode((document.text or "").strip(), validate=True)
            except ValueError:
                continue
            if data.startswith(b"%PDF"):
                digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - an id, as bbb-web's
                return {
                    "presentation": f"{digest}-{int(time.time() * 1000)}",
                    "presentation_name": document.get("name", ""),
                }
        return {}

    def call_join(self, params, config):
        meeting = self.meeting_or_fail(params, "join", config)
        if meeting is None:
            return
        role = params.get("role", "VIEWER").upper()
        guest = params.get("guest", "false") == "true"
        waiting = guest and meeting["guestPolicy"] == "ASK_MODERATOR"
        token = secrets.token_hex(8)
        self.state.sessions[token] = {
            "meeting": meeting["id"],
            "present": False,
            "internalUserID": "w_" + secrets.token_hex(6),
            "authToken": secrets.token_hex(6),
            "userdata": {
                key[len("userdata-") :]: value for key, value in params.items() if key.startswith("userdata-")
            },
            "attendee": {
                "fullName": params.get("fullName", ""),
                "role": role,
                "isGuest": guest,
                "guestStatus": "WAIT" if waiting else "ALLOW",
            },
        }
        # the servlet session of this client (its JSESSIONID cookie, if bbb-web knows it) holds the token
        jsessionid = self.jsessionid()
        cookie = {}
        if jsessionid is None:
            jsessionid = secrets.token_hex(16).upper()
            same_site = re.search(
                r"-Dserver\.servlet\.session\.cookie\.same-site=(\w+)", os.environ.get("JDK_JAVA_OPTIONS", "")
            )
            cookie = {
                "Set-Cookie": f"JSESSIONID={jsessionid}; Path=/; Secure; HttpOnly"
                + (f"; SameSite={same_site.group(1).capitalize()}" if same_site else "")
            }
        self.state.http_sessions.setdefault(jsessionid, set()).add(token)
        base = config.get("defaultHTML5ClientUrl", "")
        if waiting and self.state.family() == "2.x":
            base = config.get("defaultGuestWaitURL", base)
        target = base + ("&" if "?" in base else "?") + "sessionToken=" + token
        analytics = {"meetingid": meeting["internal"], "extMeetingid": meeting["id"], "logCode": "join_api"}
        self.bbb_log(
            "INFO",
            "o.b.w.controllers.ApiController",
            " --analytics-- data=" + json.dumps(analytics, separators=(",", ":")),
        )
        if params.get("redirect", "true") == "true":
            self.send(302, "", "text/plain", {"Location": target, **cookie})
        else:
            self.send(
                200,
                xml(returncode="SUCCESS", session_token=token, url=target, guestStatus="WAIT" if waiting else "ALLOW"),
                headers=cookie,
            )

    def call_getMeetings(self, params, config):  # noqa: N802 (BBB API name)
        # ApiController.getMeetingsHandler: meetingService.getMeetings(), every meeting bbb-web holds, also one
        # created that nobody joined yet (running false) until it expires
        running = list(self.state.meetings.values())
        if not running:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    meetings="",
                    messageKey="noMeetings",
                    message="no meetings were found on this server",
                ),
            )
            return
        self.send(200, xml(returncode="SUCCESS", meetings=[{"meeting": self.meeting_xml(m)} for m in running]))

    def call_getMeetingInfo(self, params, config):  # noqa: N802
        meeting = self.meeting_or_fail(params)
        if meeting is not None:
            self.send(200, xml(returncode="SUCCESS", **self.meeting_xml(meeting)))

    def call_isMeetingRunning(self, params, config):  # noqa: N802
        meeting = self.state.meetings.get(params.get("meetingID", ""))
        self.send(200, xml(returncode="SUCCESS", running=bool(meeting and meeting["attendees"])))

    def call_end(self, params, config):
        meeting = self.meeting_or_fail(params)
        if meeting is None:
            return
        del self.state.meetings[meeting["id"]]
        self.bbb_log(
            "INFO",
            "o.b.api.MeetingService",
            analytics(meeting, "meeting_removed_from_running", "Meeting removed from list of running meetings."),
        )
        record_id = f"{meeting['internal']}-{meeting['created']}"
        if meeting["record"] and not meeting["marks"]:
            # archive.rb: no recording marks -> status/archived/<id>.norecord, the pipeline halts, nothing published
            status = os.path.join(self.state.args.recording_dir, "recording", "status", "archived")
            os.makedirs(status, exist_ok=True)
            with open(os.path.join(status, record_id + ".norecord"), "w", encoding="utf-8"):
                pass
        elif meeting["record"]:
            recordings = self.state.recordings()
            recordings[record_id] = {
                "meetingID": meeting["id"],
                "name": meeting["name"],
                "ended": time.time(),
                "state": "processing",
                "stage": "recorded",
                "start": meeting["created"],
                "participants": len(meeting["attendees"]),  # events.rb get_num_participants: the users who joined
                "meta": meeting.get("meta", {}),
            }
            self.state.save_recordings(recordings)
            status = os.path.join(self.state.args.recording_dir, "recording", "status", "recorded")
            os.makedirs(status, exist_ok=True)
            with open(os.path.join(status, record_id + ".done"), "w", encoding="utf-8"):
                pass
        self.send(
            200,
            xml(
                returncode="SUCCESS",
                messageKey="sentEndMeetingRequest",
                message="A request to end the meeting was sent.",
            ),
        )
