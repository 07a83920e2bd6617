# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalelite talking to the BBB nodes: signed calls (api_helper.rb) and the poller (lib/tasks/poll.rake)."""

from __future__ import annotations

import hashlib
import http.client
import ssl
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from scalelite_lab.errors import BBBError
from scalelite_lab.ruby import www_form

LOAD_MIN_USER_COUNT = 15  # config/application.rb
LOAD_JOIN_BUFFER_TIME = 15 * 60
HEALTHY_THRESHOLD = 1  # SERVER_HEALTHY_THRESHOLD
UNHEALTHY_THRESHOLD = 2  # SERVER_UNHEALTHY_THRESHOLD


class NodeCalls:
    """The Lab's calls to its servers."""

    # --- talking to the nodes (api_helper.rb encode_bbb_uri, get_post_req) ---------------------------------
    def node_request(self, server, action, pairs, body=None):
        """Signed call to a node; returns the parsed <response>. Raises BBBError for a FAILED answer, OSError etc."""
        query = www_form(pairs)
        checksum = hashlib.sha256((action + query + server["secret"]).encode()).hexdigest()
        target = urlsplit(server["url"] + "/" + action)
        path = target.path + "?" + www_form(list(pairs) + [("checksum", checksum)])
        timeout = 5.0 if server["online"] else 1.0  # bbb_req_timeout clamps offline servers to short timeouts
        if target.scheme == "https":
            context = ssl.create_default_context(cafile=self.args.ca_file or None)
            conn = http.client.HTTPSConnection(target.hostname, target.port or 443, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=timeout)
        try:
            if body:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/xml"})
            else:
                conn.request("GET", path)
            data = conn.getresponse().read()
        finally:
            conn.close()
        try:
            doc = ET.fromstring(data)
        except ET.ParseError as exc:
            raise ValueError("not XML") from exc
        returncode = doc.find("returncode") if doc.tag == "response" else None
        if returncode is None:
            raise BBBError("internalError", "Response did not include returncode")
        if returncode.text != "SUCCESS":
            raise BBBError(doc.findtext("messageKey") or "", doc.findtext("message") or "")
        return doc

    # --- lib/tasks/poll.rake ----------------------------------------------------------------------------------
    def poll(self):
        self.last_poll = time.time()
        for server in self.servers.values():
            self.poll_server(server)
        for meeting_id, meeting in list(self.meetings.items()):
            server = self.servers.get(meeting["server"])
            if server is None:
                continue
            try:
                self.node_request(server, "getMeetingInfo", [("meetingID", meeting_id)])
            except BBBError as exc:
                if exc.key == "notFound":
                    self.destroy_meeting(meeting_id)
            except Exception:  # noqa: BLE001 - the poller logs and goes on
                pass
        for server in self.servers.values():
            try:
                server["bbb_version"] = self.node_request(server, "", []).findtext("bbbVersion") or ""
            except Exception:  # noqa: BLE001
                pass
        self.save()

    def poll_server(self, server):
        try:
            doc = self.node_request(server, "getMeetings", [])
        except Exception:  # noqa: BLE001 - any failure counts as unhealthy
            server["healthy"] = 0
            if not server["online"]:
                return
            server["unhealthy"] += 1
            if server["unhealthy"] < UNHEALTHY_THRESHOLD:
                return
            sys.stderr.write(f"scalelite-double: server {server['id']} is unhealthy, setting it offline\n")
            for meeting_id, meeting in list(self.meetings.items()):
                if meeting["server"] == server["id"]:
                    self.destroy_meeting(meeting_id)
                    try:
                        self.node_request(
                            server, "end", [("meetingID", meeting_id), ("password", meeting["moderator_pw"])]
                        )
                    except Exception:  # noqa: BLE001
                        pass
            server.update(healthy=0, unhealthy=0, load=None, online=False)
            return
        total = 0
        for meeting in doc.iter("meeting"):
            if (meeting.findtext("isBreakout") or "") == "true":
                continue
            attendees = int(meeting.findtext("participantCount") or 0) + int(meeting.findtext("moderatorCount") or 0)
            created = int(meeting.findtext("createTime") or 0) / 1000
            total += max(attendees, LOAD_MIN_USER_COUNT) if created > time.time() - LOAD_JOIN_BUFFER_TIME else attendees
        server["unhealthy"] = 0
        if not server["online"]:
            server["healthy"] += 1
            if server["healthy"] < HEALTHY_THRESHOLD:
                return
            server.update(healthy=0, unhealthy=0, online=True)
        server["load"] = total * server["load_multiplier"]
        if server["state"] == "cordoned" and not server["load"]:
            self.set_state(server, "disabled")
        if server["state"] == "disabled":
            server["load"] = None

    def maybe_poll(self):
        interval = self.args.poll_interval
        if interval > 0 and time.time() - self.last_poll >= interval:
            self.poll()
