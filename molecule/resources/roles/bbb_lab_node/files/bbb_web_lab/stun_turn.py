# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GET /bigbluebutton/api/stuns: the STUN/TURN servers of /etc/bigbluebutton/turn-stun-servers.xml as bbb-web loads
them, and the TURN credentials it hands each user."""

from __future__ import annotations

import base64
import grp
import hashlib
import hmac
import json
import os
import pwd
import stat
import time
import xml.etree.ElementTree as ET

# bigbluebutton-web grails-app/conf/spring/resources.groovy: the Spring context imports
# /etc/bigbluebutton/turn-stun-servers.xml if bbb-web can read it (turnConfigFile.canRead(): as the user
# bbb-web.service runs as, User=bigbluebutton), else the packaged spring/turn-stun-servers.xml, whose only server is
# the bean stun1, stun:stun.l.google.com:19302. Read once, when the context starts (a change needs a restart).
PACKAGED_STUN_TURN = {"stun": ["stun:stun.l.google.com:19302"], "turn": [], "candidates": []}
BBB_WEB_USER = "bigbluebutton"  # build/packages-template/bbb-web/bbb-web.service: User=bigbluebutton


def readable_as(path, user):
    """Whether `user` may read `path` by its mode bits (the lab's double runs as root; bbb-web does not)."""
    try:
        info = os.stat(path)
        account = pwd.getpwnam(user)
    except KeyError:
        return os.access(path, os.R_OK)  # no such user here (unit tests): this process's view
    except OSError:
        return False
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    if info.st_uid == account.pw_uid:
        return bool(info.st_mode & stat.S_IRUSR)
    if info.st_gid in groups:
        return bool(info.st_mode & stat.S_IRGRP)
    return bool(info.st_mode & stat.S_IROTH)


def read_stun_turn(path, user=BBB_WEB_USER):
    """The STUN and TURN servers of the Spring beans file as bbb-web loads it (resources.groovy): the bean
    stunTurnService (class org.bigbluebutton.web.services.turn.StunTurnService) and the beans its properties
    stunServers, turnServers, remoteIceCandidates refer to: StunServer(url), TurnServer(secret, url, ttl),
    RemoteIceCandidate(ip) (bbb-common-web web/services/turn/*.java). A file that is not well-formed XML stops the
    context: bbb-web does not start (raised here)."""
    if not os.path.exists(path) or not readable_as(path, user):
        return dict(PACKAGED_STUN_TURN, source="packaged")
    beans = {}
    for bean in ET.parse(path).getroot().iter():
        if bean.tag.rsplit("}", 1)[-1] != "bean":
            continue
        args, props = {}, {}
        for position, child in enumerate(bean):
            name = child.tag.rsplit("}", 1)[-1]
            if name == "constructor-arg":
                args[int(child.get("index", position))] = child.get("value", "")
            elif name == "property":
                props[child.get("name", "")] = [ref.get("bean", "") for ref in child.iter() if ref.tag.endswith("ref")]
        beans[bean.get("id", "")] = (bean.get("class", ""), args, props)
    service = next((b for b in beans.values() if b[0].endswith(".StunTurnService")), None)
    if service is None:
        return {"stun": [], "turn": [], "candidates": [], "source": path}

    def referred(prop, kind):
        return [beans[ref][1] for ref in service[2].get(prop, []) if ref in beans and beans[ref][0].endswith(kind)]

    return {
        "stun": [args.get(0, "") for args in referred("stunServers", ".StunServer")],
        "turn": [
            {"secret": args.get(0, ""), "url": args.get(1, ""), "ttl": int(args.get(2, "86400") or 86400)}
            for args in referred("turnServers", ".TurnServer")
        ],
        "candidates": [args.get(0, "") for args in referred("remoteIceCandidates", ".RemoteIceCandidate")],
        "source": path,
    }


def turn_credentials(secret, user_id, ttl, now=None):
    """TurnServer.generatePasswordFor: username <expiry>:<userId>, password base64(HmacSHA1(secret, username))."""
    username = f"{int((time.time() if now is None else now) + ttl)}:{user_id}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, password


class StunTurn:
    """The Handler's stuns endpoint."""

    def stuns(self, token):
        """ApiController.stuns: the session's user (Stuns: UserSessionConstraint, MeetingExistsConstraint,
        MeetingEndedConstraint) and hasValidSession; the servers of the file read at startup; TURN credentials per
        user (StunTurnService.getStunAndTurnServersFor)."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        headers = {"Cache-Control": "no-cache"}
        if meeting is None or (token not in self.session_tokens() and not self.allow_without_session(token)):
            logout = self.state.config().get("bigbluebutton.web.logoutURL", "default")
            body = {"returncode": "FAILED", "message": "Could not find conference.", "logoutURL": logout}
            self.send(200, json.dumps(body), "application/json", headers)
            return
        servers = self.state.stun_turn
        turns = []
        for turn in servers["turn"]:
            username, password = turn_credentials(turn["secret"], user["internalUserID"], turn["ttl"])
            turns.append({"username": username, "password": password, "url": turn["url"], "ttl": turn["ttl"]})
        body = {
            "stunServers": [{"url": url} for url in servers["stun"]],
            "turnServers": turns,
            "remoteIceCandidates": [{"ip": ip} for ip in servers["candidates"]],
        }
        self.send(200, json.dumps(body), "application/json", headers)
