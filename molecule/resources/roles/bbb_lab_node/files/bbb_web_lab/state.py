# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What bbb-web holds between requests: meetings, the users registered by join, servlet sessions, graphql sockets;
and what it reads on each request (the properties, the release)."""

from __future__ import annotations

import os
import re
import time

from bbb_web_lab.config import read_properties
from bbb_web_lab.recordings import RecordingPipeline
from bbb_web_lab.stun_turn import read_stun_turn


class State(RecordingPipeline):
    def __init__(self, args):
        self.args = args
        self.meetings = {}
        self.sessions = {}  # sessionToken -> the user registered by join
        self.graphql_connections = {}  # sessionToken -> open graphql websockets of it
        self.http_sessions = {}  # JSESSIONID -> the sessionTokens that servlet session holds
        os.makedirs(args.state_dir, exist_ok=True)
        self.recordings_file = os.path.join(args.state_dir, "recordings.json")
        self.post_publish_due = []  # (recordID, format) published in this round: publish_worker's run_post_scripts
        self.stun_turn = read_stun_turn(args.turn_config)  # once, as the Spring context loads it

    def config(self):
        return read_properties(self.args.properties, self.args.override)

    def hasura_cors_origins(self):
        """Hasura's HASURA_GRAPHQL_CORS_DOMAIN (package default, then the role's env file; later wins)."""
        value = read_properties(*self.args.graphql_server_env).get("HASURA_GRAPHQL_CORS_DOMAIN", "")
        return [origin.strip() for origin in value.strip().strip("'\"").split(",") if origin.strip()]

    def expire_unjoined(self, config):
        """akka-apps MeetingActor (meetingExpireIfNoUserJoinedInMinutes): a meeting nobody joined ends that many
        minutes after its create; bbb-web then drops it (MeetingService.processRemoveEndedMeeting)."""
        now = time.time()
        for meeting_id, meeting in list(self.meetings.items()):
            minutes = meeting.get("expireIfNoUserJoined", 5.0)
            if not meeting["attendees"] and now - meeting["created"] / 1000 > minutes * 60:
                del self.meetings[meeting_id]

    def make_present(self, token):
        """The user's client started: the user is in the meeting; with autoStartRecording the recording starts."""
        user = self.sessions.get(token)
        meeting = self.meetings.get(user["meeting"]) if user else None
        if meeting is None or user["present"] or user["attendee"]["guestStatus"] != "ALLOW":
            return
        user["present"] = True
        meeting["attendees"].append(user["attendee"])
        if meeting["record"] and meeting["autoStartRecording"]:
            meeting["marks"] = True  # a RecordStatusEvent (recording started)

    def family(self):
        """The release file's major.minor (2.x for the meteor releases); 3.0 where there is none."""
        try:
            with open(self.args.release_file, encoding="utf-8") as handle:
                found = re.search(r"BIGBLUEBUTTON_RELEASE=([0-9]+)\.([0-9]+)", handle.read())
        except OSError:
            return "3.0"
        if not found or found.group(1) == "2":
            return "2.x"
        return f"{found.group(1)}.{found.group(2)}"

    def graphql(self):
        """The React client's releases (3.0 on): graphql, its REST settings, the API root's graphql URLs."""
        return self.family() != "2.x"
