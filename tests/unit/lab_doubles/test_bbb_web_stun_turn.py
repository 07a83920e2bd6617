# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double answers stuns from the node's turn-stun-servers.xml as bbb-web does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pwd
import time

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import load
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import (
    api,
    get,
    session_of,
)

# /etc/bigbluebutton/turn-stun-servers.xml as bbb-install's configure_coturn writes it with -c turn.lab.test:<secret>
# (one TURN server shared by the cluster; bbb-install v3.0.x-release bbb-install.sh)
SHARED_TURN = """<?xml version="1.0" encoding="UTF-8"?>
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans
                           http://www.springframework.org/schema/beans/spring-beans-2.5.xsd">
    <bean id="turn0" class="org.bigbluebutton.web.services.turn.TurnServer">
        <constructor-arg index="0" value="turn-secret-of-the-lab"/>
        <constructor-arg index="1" value="turn:turn.lab.test:3478"/>
        <constructor-arg index="2" value="86400"/>
    </bean>
    <bean id="turn1" class="org.bigbluebutton.web.services.turn.TurnServer">
        <constructor-arg index="0" value="turn-secret-of-the-lab"/>
        <constructor-arg index="1" value="turns:turn.lab.test:443?transport=tcp"/>
        <constructor-arg index="2" value="86400"/>
    </bean>
    <bean id="unused" class="org.bigbluebutton.web.services.turn.StunServer">
        <constructor-arg index="0" value="stun:not-referred.lab.test"/>
    </bean>
    <bean id="stunTurnService" class="org.bigbluebutton.web.services.turn.StunTurnService">
        <property name="stunServers"><set></set></property>
        <property name="turnServers"><set><ref bean="turn0"/><ref bean="turn1"/></set></property>
    </bean>
</beans>
"""


def stuns(port, token="", cookie=""):
    return json.loads(
        get(port, f"/bigbluebutton/api/stuns?sessionToken={token}", {"Cookie": cookie} if cookie else {})[2]
    )


def joined(port):
    """(sessionToken, JSESSIONID cookie) of a user who joined a new meeting."""
    api(port, "create", meetingID="ice")
    return session_of(api(port, "join", meetingID="ice", fullName="T", role="MODERATOR")[1])


def test_stuns_answers_the_servers_of_the_nodes_turn_file(bbb_web):
    """ApiController.stuns with StunTurnService.getStunAndTurnServersFor: the beans the service refers to, TURN
    credentials per user (TurnServer.generatePasswordFor: <expiry>:<userId>, base64 HMAC-SHA1 with the secret)."""
    port = bbb_web(turn_config=SHARED_TURN)
    token, cookie = joined(port)
    answer = stuns(port, token, cookie)
    assert answer["stunServers"] == [] and answer["remoteIceCandidates"] == []
    assert [t["url"] for t in answer["turnServers"]] == [
        "turn:turn.lab.test:3478",
        "turns:turn.lab.test:443?transport=tcp",
    ]
    turn = answer["turnServers"][0]
    expiry, _sep, user_id = turn["username"].partition(":")
    assert turn["ttl"] == 86400 and abs(int(expiry) - time.time() - 86400) < 60 and user_id.startswith("w_")
    digest = hmac.new(b"turn-secret-of-the-lab", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["password"] == base64.b64encode(digest).decode()
    assert "turn-secret-of-the-lab" not in json.dumps(answer)


def test_stuns_rejects_a_request_without_the_users_session(bbb_web):
    """Stuns (UserSessionConstraint, MeetingExists/MeetingEnded) and hasValidSession: no token, an unknown one, no
    JSESSIONID session, or an ended meeting: FAILED "Could not find conference." (HTTP 200, JSON)."""
    port = bbb_web(turn_config=SHARED_TURN)
    token, cookie = joined(port)
    for answer in (stuns(port), stuns(port, "unknown", cookie), stuns(port, token)):
        assert answer["returncode"] == "FAILED" and answer["message"] == "Could not find conference.", answer
    api(port, "end", meetingID="ice")
    assert stuns(port, token, cookie)["returncode"] == "FAILED"


def test_stuns_falls_back_to_the_packaged_file_where_bbb_web_cannot_read_the_nodes(bbb_web, tmp_path):
    """resources.groovy: no readable /etc/bigbluebutton/turn-stun-servers.xml -> the packaged spring file (Google's
    STUN server, no TURN); the file is read once, when the context starts."""
    port = bbb_web()
    token, cookie = joined(port)
    assert stuns(port, token, cookie) == {
        "stunServers": [{"url": "stun:stun.l.google.com:19302"}],
        "turnServers": [],
        "remoteIceCandidates": [],
    }
    (tmp_path / "turn-stun-servers.xml").write_text(SHARED_TURN)  # written after the start: not read until a restart
    assert stuns(port, token, cookie)["turnServers"] == []


def test_stuns_file_readable_by_the_bbb_web_user_only_by_its_mode(tmp_path):
    """bbb-web.service runs as User=bigbluebutton: a file it cannot read (root 0600) counts as missing."""
    double = load()
    path = tmp_path / "turn.xml"
    path.write_text(SHARED_TURN)
    path.chmod(0o600)
    me = pwd.getpwuid(os.getuid()).pw_name
    assert double.read_stun_turn(str(path), me)["source"] == str(path)
    others = [u.pw_name for u in pwd.getpwall() if u.pw_uid != os.getuid() and u.pw_gid != os.getgid()]
    assert double.read_stun_turn(str(path), others[0])["source"] == "packaged"
    path.chmod(0o644)
    assert double.read_stun_turn(str(path), others[0])["source"] == str(path)
