# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's bbb-web API double answers like bbb-web from the files the role writes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import pwd
import socket
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlencode

import pytest
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import PROXY, SECRET, STATES, load


@pytest.fixture
def node(bbb_web):
    """bbb-web doubles of room-a (tests/unit/conftest.py): node(family) starts one, returns its port."""
    return bbb_web


def get(port, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert SECRET not in body
    return response.status, dict(response.getheaders()), body


def api(port, call, secret=SECRET, algo="sha1", **params):
    query = urlencode(params)
    checksum = hashlib.new(algo, (call + query + secret).encode()).hexdigest()
    return get(port, f"/bigbluebutton/api/{call}?{query}&checksum={checksum}")


def test_checksums(node):
    port = node()
    assert "<returncode>SUCCESS</returncode>" in get(port, "/bigbluebutton/api")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "create", meetingID="m1")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "create", algo="sha256", meetingID="m2")[2]
    assert "checksumError" in api(port, "create", secret="package-default", meetingID="m3")[2]  # the override wins
    assert "checksumError" in get(port, "/bigbluebutton/api/create?meetingID=m4")[2]


def signed(call, query, algorithm, secret=SECRET):
    return f"/bigbluebutton/api/{call}?{query}&checksum={hashlib.new(algorithm, (call + query + secret).encode()).hexdigest()}"


def test_GetChecksumValidator_isValid_by_length_and_supportedChecksumAlgorithms(node):  # noqa: N802 - upstream's name
    """bbb-common-web GetChecksumValidator.isValid: 40/64/96/128 hex digits are SHA-1/256/384/512, each accepted only
    where supportedChecksumAlgorithms lists it (default all four); the digest's case does not matter."""
    port = node()
    for algorithm in ("sha1", "sha256", "sha384", "sha512"):
        assert "SUCCESS" in get(port, signed("getMeetings", "", algorithm))[2], algorithm
    digest = hashlib.sha256(f"getMeetings{SECRET}".encode()).hexdigest().upper()
    assert "SUCCESS" in get(port, f"/bigbluebutton/api/getMeetings?checksum={digest}")[2]
    assert "checksumError" in get(port, signed("getMeetings", "", "md5"))[2]  # 32 digits: no algorithm


def test_an_operator_who_dropped_sha1_gets_checksumError_for_it(node):  # noqa: N802 - its message key
    port = node(properties="supportedChecksumAlgorithms=sha256,sha512\n")
    answers = {a: get(port, signed("getMeetings", "", a))[2] for a in ("sha1", "sha256", "sha384", "sha512")}
    assert ["SUCCESS" in answers[a] for a in ("sha1", "sha256", "sha384", "sha512")] == [False, True, False, True]
    assert "<messageKey>checksumError</messageKey>" in answers["sha1"] and "Checksums do not match" in answers["sha1"]


def test_bbb_web_log_as_logback_writes_it(node, tmp_path):
    """bbb-web.log: logback's pattern, each call, the query without its checksum, a wrong checksum with both, and
    MeetingService's analytics lines of create and end that the log bundle finds a meeting by."""
    from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import line_time, meeting_events

    port = node()
    created = api(port, "create", meetingID="room-7", name="Room 7")[2]
    internal = created.split("<internalMeetingID>")[1].split("<")[0]
    api(port, "create", secret="wrong", meetingID="bad")
    api(port, "end", meetingID="room-7")
    lines = (tmp_path / "log/bbb-web.log").read_text().splitlines()
    assert SECRET not in "\n".join(lines)
    assert all(line_time(line) is not None for line in lines)
    assert any(" DEBUG o.b.w.controllers.ApiController - ApiController#create" in line for line in lines)
    assert any("query string after checksum removed: [meetingID=room-7&name=Room+7]" in line for line in lines)
    assert any("checksumError: query string checksum failed. our: [" in line for line in lines)
    assert any(" o.b.api.ParamsProcessorUtil - CHECKSUM=" in line and line.endswith(" length=40") for line in lines)
    (meeting,) = meeting_events(lines, "room-7")
    assert meeting["internal"] == internal and meeting["external"] == "room-7"
    assert meeting["created"] <= meeting["ended"] <= time.time()
    assert meeting_events(lines, internal[:12]) == [meeting]  # an internal id's prefix, as getMeeting matches


def test_join_redirects_to_the_configured_client_url_per_version(node):
    port3 = node("3.0")
    api(port3, "create", meetingID="m", guestPolicy="ASK_MODERATOR")
    status, headers, _unused = api(port3, "join", meetingID="m", fullName="T", role="MODERATOR")
    assert status == 302 and headers["Location"].startswith(f"{PROXY}/room-a/html5client/?sessionToken=")
    status, headers, _unused = api(port3, "join", meetingID="m", fullName="G", role="VIEWER", guest="true")
    assert headers["Location"].startswith(
        f"{PROXY}/room-a/html5client/?sessionToken="
    )  # the 3.0 client shows the lobby
    guest = session_of(headers)
    teacher = session_of(api(port3, "join", meetingID="m", fullName="T2", role="MODERATOR")[1])
    # registered by the API, but nobody is in the meeting until a client starts (akka-apps)
    info = api(port3, "getMeetingInfo", meetingID="m")[2]
    assert "<participantCount>0</participantCount>" in info and "<running>false</running>" in info
    assert websocket(port3, PROXY, session=guest)[2] == ACK  # the lobby's client is let in (not in the meeting)
    assert "<participantCount>0</participantCount>" in api(port3, "getMeetingInfo", meetingID="m")[2]  # in the lobby
    assert (
        graphql(port3, guest, "query { user_current { guestStatus } }")[0]["data"]["user_current"][0]["guestStatus"]
        == "WAIT"
    )
    # a viewer cannot let a guest in; a moderator's client can (guestUsersSubmitApprovalStatus)
    assert "errors" in graphql(port3, guest, "mutation { guestUsersSubmitApprovalStatus }")[0]
    (waiting,) = graphql(
        port3, teacher, "subscription { user_guest(where: {isWaiting: {_eq: true}}) { userId user { name } } }"
    )
    (row,) = waiting["data"]["user_guest"]
    assert row == {"userId": row["userId"], "user": {"name": "G"}}
    approve = {"guests": [{"guest": row["userId"], "status": "ALLOW"}]}
    graphql(
        port3,
        teacher,
        "mutation ($guests: [GuestUserApprovalStatus]!) { guestUsersSubmitApprovalStatus }",
        approve,
    )
    # let in, the guest is in the meeting once its client joins (userJoinMeeting), as the teacher's did
    assert "<participantCount>0</participantCount>" in api(port3, "getMeetingInfo", meetingID="m")[2]
    for session in (teacher, guest):
        assert user_join(port3, session) == [{"data": {"userJoinMeeting": True}}]
    info = api(port3, "getMeetingInfo", meetingID="m")[2]
    assert "<fullName>G</fullName>" in info and "<participantCount>2</participantCount>" in info
    # a failed join redirects to the logout URL with the errors (ApiController.groovy: invalid, respondWithRedirect)
    status, headers, _unused = api(port3, "join", meetingID="nope", fullName="x")
    assert status == 302 and headers["Location"].startswith("https://room-a.lab.test?errors=")
    assert "notFound" in unquote(headers["Location"])


def test_join_on_2x_uses_join_and_the_guest_wait_url(node, tmp_path):
    port = node("2.x")
    api(port, "create", meetingID="m", guestPolicy="ASK_MODERATOR")
    _unused, headers, _unused = api(port, "join", meetingID="m", fullName="L", role="VIEWER")
    assert headers["Location"].startswith(f"{PROXY}/room-a/html5client/join?sessionToken=")
    _unused, headers, _unused = api(port, "join", meetingID="m", fullName="G", guest="true")
    assert headers["Location"].startswith("https://room-a.lab.test/room-a/html5client/guestWait?sessionToken=")
    status, _unused, body = api(port, "join", meetingID="m", fullName="X", redirect="false")
    assert (
        status == 200 and "<session_token>" in body and "<url>https://proxy.lab.test/room-a/html5client/join?" in body
    )


def token_of(location):
    return location.rsplit("sessionToken=", 1)[1]


def session_of(headers):
    """(sessionToken, JSESSIONID cookie) a browser holds after a join's redirect."""
    return token_of(headers["Location"]), cookie_of(headers)


ACK = [{"type": "connection_ack"}]


def cookie_of(headers):
    """The JSESSIONID cookie a browser keeps from a join response."""
    return headers["Set-Cookie"].split(";")[0]


def enter(port, headers):
    """2.x join-handler: bbb-web's enter with the session cookie of the join; its answer."""
    body = get(
        port, f"/bigbluebutton/api/enter?sessionToken={token_of(headers['Location'])}", {"Cookie": cookie_of(headers)}
    )[2]
    answer = json.loads(body)["response"]
    assert answer["returncode"] == "SUCCESS", body
    return answer


def validate(port, entered):
    """meteor's validateAuthToken with enter's answer (the lab's loopback stand-in for akka-apps)."""
    query = urlencode(
        {"meetingId": entered["meetingID"], "userId": entered["internalUserID"], "authToken": entered["authToken"]}
    )
    return json.loads(get(port, f"/bigbluebutton/lab/validate-auth-token?{query}")[2])["valid"]


def start_client(port, family, **params):
    """Join as a browser does and start the client: 2.x calls enter with the cookie, 3.0 opens graphql."""
    _unused, headers, _unused = api(port, "join", **params)
    if family == "2.x":
        validate(port, enter(port, headers))
    else:
        assert user_join(port, session_of(headers)) == [{"data": {"userJoinMeeting": True}}]
    return headers


USER_JOIN = (
    "mutation UserJoin($authToken: String!, $clientType: String!, $clientIsMobile: Boolean!) "
    "{ userJoinMeeting(authToken: $authToken, clientType: $clientType, clientIsMobile: $clientIsMobile) }"
)


def user_join(port, session, auth_token=None):
    """The 3.0 client's join: user_current's authToken, then mutation userJoinMeeting (bigbluebutton-html5 3.0)."""
    if auth_token is None:
        (current,) = graphql(port, session, "subscription { user_current { authToken joined } }")
        auth_token = current["data"]["user_current"][0]["authToken"]
    variables = {"authToken": auth_token, "clientType": "HTML5", "clientIsMobile": False}
    return graphql(port, session, USER_JOIN, variables)


def test_getMeetingsHandler_lists_a_meeting_nobody_joined_until_it_expires(node):  # noqa: N802 - upstream's name
    """ApiController.getMeetingsHandler lists meetingService.getMeetings(): a created meeting nobody joined is there
    (running false) until akka-apps ends it, meetingExpireIfNoUserJoinedInMinutes after its create."""
    port = node("3.0")
    api(port, "create", meetingID="empty")
    api(port, "create", meetingID="brief", meetingExpireIfNoUserJoinedInMinutes="0.005")  # 0.3 s
    listed = api(port, "getMeetings")[2]
    assert listed.count("<running>false</running>") == 2 and "<meetingID>brief</meetingID>" in listed
    time.sleep(0.5)
    listed = api(port, "getMeetings")[2]
    assert "<meetingID>empty</meetingID>" in listed and "<meetingID>brief</meetingID>" not in listed
    assert "notFound" in api(port, "getMeetingInfo", meetingID="brief")[2]


def test_userJoinMeeting_not_connection_init_puts_the_user_in_the_meeting(node):  # noqa: N802 - upstream's name
    """akka-apps UserJoinMeetingReqMsgHdlr: the user joins on the client's mutation userJoinMeeting with the user's
    authToken (bbb-graphql-actions), not when its websocket is let in (connection_ack)."""
    port = node("3.0")
    api(port, "create", meetingID="j")
    session = session_of(api(port, "join", meetingID="j", fullName="T", role="MODERATOR")[1])
    assert websocket(port, PROXY, session=session)[2] == ACK
    assert "<participantCount>0</participantCount>" in api(port, "getMeetingInfo", meetingID="j")[2]
    assert "errors" in user_join(port, session, auth_token="not-the-users")[0]
    assert "<participantCount>0</participantCount>" in api(port, "getMeetingInfo", meetingID="j")[2]
    assert user_join(port, session) == [{"data": {"userJoinMeeting": True}}]
    assert "<participantCount>1</participantCount>" in api(port, "getMeetingInfo", meetingID="j")[2]


@pytest.mark.parametrize("family", ["3.0", "2.x"])
def test_meetings_end_and_recordings_publish_after_processing(node, tmp_path, family):
    port = node(family)
    assert "noMeetings" in api(port, "getMeetings")[2]
    api(port, "create", meetingID="rec", name="Lesson", record="true", autoStartRecording="true")
    api(port, "join", meetingID="rec", fullName="Registered only", role="VIEWER")
    listed = api(port, "getMeetings")[2]  # listed, but a join alone does not make the meeting run
    assert "<meetingID>rec</meetingID>" in listed and "<running>false</running>" in listed
    start_client(port, family, meetingID="rec", fullName="T", role="MODERATOR")
    assert "<running>true</running>" in api(port, "getMeetings")[2]
    assert "<running>true</running>" in api(port, "isMeetingRunning", meetingID="rec")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "end", meetingID="rec")[2]
    assert "<running>false</running>" in api(port, "isMeetingRunning", meetingID="rec")[2]
    # RecordingService.shouldIncludeState: without state=, a recording still processing is not listed
    assert "<messageKey>noRecordings</messageKey>" in api(port, "getRecordings", meetingID="rec")[2]
    body = api(port, "getRecordings", meetingID="rec", state="any")[2]
    assert "<state>processing</state>" in body and "<published>false</published>" in body
    assert "<state>processing</state>" in api(port, "getRecordings", meetingID="rec", state="processing,published")[2]
    time.sleep(0.4)
    body = api(port, "getRecordings", meetingID="rec")[2]
    assert "<state>published</state>" in body
    assert "<url>https://room-a.lab.test/playback/presentation/2.3/" in body
    status_dir = tmp_path / "var/recording/status"
    assert len(list((status_dir / "published").glob("*-presentation.done"))) == 1
    assert len(list((tmp_path / "var/published/presentation").glob("*/metadata.xml"))) == 1  # nginx serves it
    # rap-starter.rb took it: raw/<id>/ made, recorded/<id>.done (bbb-web's) deleted as soon as it was queued
    assert not list((status_dir / "recorded").glob("*.done"))
    assert len(list((tmp_path / "var/recording/raw").iterdir())) == 1
    # a marker per step of the pipeline, as the record-and-playback workers write them
    for step in ("archived", "sanity"):
        assert len(list((status_dir / step).glob("*.done"))) == 1
    assert len(list((status_dir / "processed").glob("*-presentation.done"))) == 1
    # recordings survive a restart of the service
    port2 = node(family)
    assert "<state>published</state>" in api(port2, "getRecordings")[2]


@pytest.mark.parametrize(
    ("create", "client"),
    [
        ({}, True),  # autoStartRecording=false (the package default): nobody pressed record
        ({"autoStartRecording": "true"}, False),  # nobody's client ever started
    ],
)
def test_a_recorded_meeting_without_recording_marks_is_never_published(node, tmp_path, create, client):
    """archive.rb archive_has_recording_marks?: no RecordStatusEvent -> .norecord, the pipeline halts."""
    port = node()
    api(port, "create", meetingID="quiet", record="true", **create)
    if client:
        start_client(port, "3.0", meetingID="quiet", fullName="T", role="MODERATOR")
    else:
        api(port, "join", meetingID="quiet", fullName="T", role="MODERATOR")
    assert "<returncode>SUCCESS</returncode>" in api(port, "end", meetingID="quiet")[2]
    time.sleep(0.4)
    body = api(port, "getRecordings", meetingID="quiet")[2]
    assert "<messageKey>noRecordings</messageKey>" in body and "<recording>" not in body
    assert len(list((tmp_path / "var/recording/status/archived").glob("*.norecord"))) == 1
    assert not (tmp_path / "var/recording/status/published").exists()


def test_failed_processing_leaves_a_fail_marker_and_the_recording_processing(node, tmp_path):
    """process_worker.rb touches processed/<id>-<format>.fail and the chain halts (base_worker.rb): nothing is
    published, getRecordings has no failed state - the recording stays processing, listed only with state=."""
    port = node()
    api(port, "create", meetingID="bad", name="fail-recording demo", record="true", autoStartRecording="true")
    start_client(port, "3.0", meetingID="bad", fullName="T", role="MODERATOR")
    api(port, "end", meetingID="bad")
    time.sleep(0.4)
    assert "<messageKey>noRecordings</messageKey>" in api(port, "getRecordings")[2]
    body = api(port, "getRecordings", state="any")[2]
    assert "<state>processing</state>" in body and "failed" not in body
    assert list((tmp_path / "var/recording/status/processed").glob("*-presentation.fail"))
    assert not (tmp_path / "var/recording/status/published").exists()


def test_client_settings_merge_the_override(node):
    port = node()
    api(port, "create", meetingID="m")
    headers = api(port, "join", meetingID="m", fullName="T", role="MODERATOR")[1]
    assert headers["Set-Cookie"].startswith("JSESSIONID=") and "; Secure" in headers["Set-Cookie"]
    browser = {"x-session-token": token_of(headers["Location"]), "Cookie": cookie_of(headers), "Origin": PROXY}
    status, answer, body = get(port, "/api/rest/clientSettings/", browser)
    assert status == 200, body
    settings = json.loads(body)["meeting_clientSettings"][0]["clientSettingsJson"]
    assert settings["public"]["app"] == {"basename": "/room-a/html5client", "appName": "BBB"}
    assert settings["public"]["kurento"]["wsUrl"] == "wss://room-a.lab.test/bbb-webrtc-sfu"
    # Hasura's CORS (HASURA_GRAPHQL_CORS_DOMAIN), with credentials
    assert answer["Access-Control-Allow-Origin"] == PROXY and answer["Access-Control-Allow-Credentials"] == "true"
    static = json.loads(get(port, "/api/rest/meetingStaticData", browser)[2])
    assert static["meeting"][0]["clientSettings"]["clientSettingsJson"] == settings
    status, answer, _unused = get(
        port,
        "/api/rest/clientSettings",
        {"Origin": PROXY, "Access-Control-Request-Headers": "x-session-token"},
        "OPTIONS",
    )
    assert status == 200 and answer["Access-Control-Allow-Headers"] == "x-session-token"
    assert (
        "Access-Control-Allow-Origin"
        not in get(port, "/api/rest/clientSettings", {**browser, "Origin": "https://x.example"})[1]
    )


def test_client_settings_refuse_what_checkGraphqlAuthorization_refuses(node):  # noqa: N802 (upstream's name)
    port = node()
    api(port, "create", meetingID="m")
    headers = api(port, "join", meetingID="m", fullName="T", role="MODERATOR")[1]
    token, cookie = token_of(headers["Location"]), cookie_of(headers)
    assert get(port, f"/api/rest/clientSettings/?sessionToken={token}", {"Cookie": cookie})[0] == 401  # query param
    assert get(port, "/api/rest/clientSettings/", {"x-session-token": token})[0] == 401  # no JSESSIONID
    assert get(port, "/api/rest/clientSettings/", {"x-session-token": "wrong", "Cookie": cookie})[0] == 401
    other = cookie_of(api(port, "join", meetingID="m", fullName="L")[1])  # another browser's session
    assert get(port, "/api/rest/clientSettings/", {"x-session-token": token, "Cookie": other})[0] == 401
    status, _unused, body = get(port, "/api/rest/clientSettings/", {"x-session-token": token, "Cookie": cookie})
    assert status == 200 and "clientSettingsJson" in body
    # allowRequestsWithoutSession (create param): the session cookie is not needed
    api(port, "create", meetingID="open", allowRequestsWithoutSession="true")
    token = token_of(api(port, "join", meetingID="open", fullName="T")[1]["Location"])
    assert get(port, "/api/rest/clientSettings/", {"x-session-token": token})[0] == 200
    assert get(port, "/api/rest/clientSettings/", {"x-session-token": "wrong"})[0] == 401
    # not on 2.x (no graphql)
    assert get(node("2.x"), "/api/rest/clientSettings/", {"x-session-token": token})[0] == 404


def test_enter_needs_the_session_of_the_join(node):
    """ApiController.enter rejects a token whose servlet session (JSESSIONID) does not hold it."""
    port = node("2.x")
    api(port, "create", meetingID="m")
    headers = api(
        port, "join", meetingID="m", fullName="T", role="MODERATOR", **{"userdata-bbb_auto_join_audio": "true"}
    )[1]
    token = token_of(headers["Location"])
    refused = json.loads(get(port, f"/bigbluebutton/api/enter?sessionToken={token}")[2])["response"]
    assert refused["returncode"] == "FAILED"
    assert "<participantCount>0</participantCount>" in api(port, "getMeetingInfo", meetingID="m")[2]
    entered = enter(port, headers)
    assert entered["customdata"] == [{"bbb_auto_join_audio": "true"}]
    assert "<participantCount>0</participantCount>" in api(port, "getMeetingInfo", meetingID="m")[2]  # not yet
    assert validate(port, {**entered, "authToken": "forged"}) is False
    assert validate(port, entered) is True  # meteor's validateAuthToken: now the user is in the meeting
    assert "<participantCount>1</participantCount>" in api(port, "getMeetingInfo", meetingID="m")[2]
    # the lab-only endpoints answer the node's own meteor only, never through nginx
    assert get(port, "/bigbluebutton/lab/validate-auth-token", {"X-Forwarded-For": "203.0.113.9"})[0] == 404


def test_cors_only_for_the_configured_origins(node, monkeypatch, tmp_path):
    port = node()
    upload = "/bigbluebutton/presentation/upload"
    for path in ("/bigbluebutton/api", upload):
        _unused, headers, _unused = get(port, path, {"Origin": PROXY})
        assert headers["Access-Control-Allow-Origin"] == PROXY and headers["Access-Control-Allow-Credentials"] == "true"
        _unused, headers, _unused = get(port, path, {"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in headers
        status, headers, _unused = get(
            port, path, {"Origin": PROXY, "Access-Control-Request-Headers": "x-a"}, "OPTIONS"
        )
        assert status == 200 and headers["Access-Control-Allow-Headers"] == "x-a"
        assert get(port, path, {"Origin": "https://evil.example"}, "OPTIONS")[0] == 403
    # the upload follows grails' CORS (the drop-in), the API accessControlAllowOrigin (bbb-web.properties)
    monkeypatch.setenv("JDK_JAVA_OPTIONS", "")
    assert "Access-Control-Allow-Origin" not in get(port, upload, {"Origin": PROXY})[1]
    assert get(port, "/bigbluebutton/api", {"Origin": PROXY})[1]["Access-Control-Allow-Origin"] == PROXY
    override = tmp_path / "bbb-web.properties"
    override.write_text(
        override.read_text().replace(
            f"accessControlAllowOrigin={PROXY}", "accessControlAllowOrigin=https://room-a.lab.test"
        )
    )
    assert "Access-Control-Allow-Origin" not in get(port, "/bigbluebutton/api", {"Origin": PROXY})[1]


def test_api_root_names_graphql_on_30_only(node):
    body = get(node("3.0"), "/bigbluebutton/api")[2]
    assert "<graphqlWebsocketUrl>wss://room-a.lab.test/graphql</graphqlWebsocketUrl>" in body
    assert "graphql" not in get(node("2.x"), "/bigbluebutton/api")[2]


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


def init_headers(token):
    """connection_init's payload.headers as bigbluebutton-html5 3.0 sends them (connection-manager/component.tsx)."""
    return {
        "X-Session-Token": token,
        "X-ClientSessionUUID": "7d1c9a8e-lab",
        "X-ClientType": "HTML5",
        "X-ClientIsMobile": "false",
    }


def read_message(stream):
    """The next server frame: a text frame's JSON, or {"close": code, "reason": text} for a close frame."""
    head = stream.read(2)
    if len(head) < 2:
        return None
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(stream.read(2), "big")
    data = stream.read(length)
    if head[0] & 0x0F == 0x8:
        return {"close": int.from_bytes(data[:2], "big"), "reason": data[2:].decode()}
    return json.loads(data)


def graphql(port, session, query, variables=None):
    """connection_init with the session (token, JSESSIONID cookie), then one subscribe; the payloads of its answers."""
    token, cookie = session
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(b"0123456789abcdef").decode()
    sock.sendall(
        (
            "GET /graphql HTTP/1.1\r\nHost: room-a.lab.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"
            f"Cookie: {cookie}\r\n\r\n"
        ).encode()
    )
    stream = sock.makefile("rb")
    assert b" 101 " in stream.readline()
    while stream.readline() != b"\r\n":
        pass

    def send(message):
        data = json.dumps(message).encode()
        mask = b"\x01\x02\x03\x04"
        head = (
            bytes([0x81, 0x80 | len(data)])
            if len(data) < 126
            else bytes([0x81, 0x80 | 126]) + len(data).to_bytes(2, "big")
        )
        sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    send({"type": "connection_init", "payload": {"headers": init_headers(token)}})
    assert read_message(stream) == {"type": "connection_ack"}
    send({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
    payloads = []
    while (message := read_message(stream))["type"] != "complete":
        payloads.append(message["payload"])
    sock.close()
    return payloads


def test_a_presentation_uploaded_at_create_is_the_current_slide(node):
    port = node()
    pdf = base64.b64encode(b"%PDF-1.4 lab").decode()
    body = f'<modules><module name="presentation"><document name="lesson.pdf">{pdf}</document></module></modules>'
    query = urlencode({"meetingID": "p"})
    checksum = hashlib.sha1(("create" + query + SECRET).encode()).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(
        "POST", f"/bigbluebutton/api/create?{query}&checksum={checksum}", body, {"Content-Type": "application/xml"}
    )
    assert "SUCCESS" in conn.getresponse().read().decode()
    token = session_of(api(port, "join", meetingID="p", fullName="T", role="MODERATOR")[1])
    (page,) = graphql(port, token, "subscription { pres_page_curr { svgUrl } }")
    url = page["data"]["pres_page_curr"][0]["svgUrl"]
    assert url.startswith("https://room-a.lab.test/bigbluebutton/presentation/") and url.endswith("/svg/1")
    status, headers, svg = get(port, url.split("room-a.lab.test", 1)[1])
    assert status == 200 and headers["Content-Type"] == "image/svg+xml" and "lesson.pdf" in svg
    assert get(port, url.split("room-a.lab.test", 1)[1].replace("/svg/1", "/svg/2"))[0] == 404
    # not a PDF: no presentation of it (the default one stays)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    query = urlencode({"meetingID": "q"})
    checksum = hashlib.sha1(("create" + query + SECRET).encode()).hexdigest()
    body = body.replace(pdf, base64.b64encode(b"MZ not a pdf").decode())
    conn.request(
        "POST", f"/bigbluebutton/api/create?{query}&checksum={checksum}", body, {"Content-Type": "application/xml"}
    )
    conn.getresponse().read()
    token = session_of(api(port, "join", meetingID="q", fullName="T", role="MODERATOR")[1])
    assert (
        graphql(port, token, "subscription { pres_page_curr { svgUrl } }")[0]["data"]["pres_page_curr"][0][
            "presentationId"
        ]
        == "default"
    )


def websocket(port, origin, host="room-a.lab.test", session=None, init=None):
    """Open /graphql as a browser does (with the session's cookie); send connection_init (``init``, or the client's
    with the session's token); return (status line, headers, the server's messages until it closes or acks)."""
    key = base64.b64encode(b"0123456789abcdef").decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    cookie = f"Cookie: {session[1]}\r\n" if session else ""
    sock.sendall(
        (
            f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n{cookie}"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode()
    )
    stream = sock.makefile("rb")
    status = stream.readline().decode().strip()
    headers = {}
    for line in iter(stream.readline, b"\r\n"):
        name, _sep, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    replies = []
    if " 101 " in status:
        if init is None:
            init = {"type": "connection_init", "payload": {"headers": init_headers(session[0] if session else "")}}
        payload = json.dumps(init).encode()
        mask = b"\x01\x02\x03\x04"
        head = (
            bytes([0x81, 0x80 | len(payload)])
            if len(payload) < 126
            else bytes([0x81, 0xFE]) + len(payload).to_bytes(2, "big")
        )
        sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while (reply := read_message(stream)) is not None:
            replies.append(reply)
            if reply.get("type") == "connection_ack" or "close" in reply:
                break
        sock.sendall(bytes([0x88, 0x80]) + mask)
    sock.close()
    return status, headers, replies


def test_graphql_websocket_accepts_the_authorized_cross_origin_only(node):
    port = node("3.0")
    api(port, "create", meetingID="o")
    session = session_of(api(port, "join", meetingID="o", fullName="T", role="MODERATOR")[1])
    status, headers, replies = websocket(port, PROXY, session=session)
    assert " 101 " in status
    key = base64.b64encode(b"0123456789abcdef").decode()
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert headers["sec-websocket-accept"] == expected.decode()
    assert headers["sec-websocket-protocol"] == "graphql-transport-ws"
    assert replies == ACK
    assert " 403 " in websocket(port, "https://evil.example")[0]
    assert " 101 " in websocket(port, "https://room-a.lab.test")[0]  # same origin needs no setting


def refused(message_id, text):
    """disconnectWithError: the error message, then the close frame with 4403 and the same text."""
    return [
        {"id": "-1", "type": "error", "payload": [{"messageId": message_id, "message": text}]},
        {"close": 4403, "reason": text},
    ]


def test_connectionInitHandler_requires_the_four_headers_as_strings(node):  # noqa: N802 - upstream's name
    """bbb-graphql-middleware connhandler.go, connectionInitHandler: each header missing or not a string, in order."""
    port = node("3.0")
    api(port, "create", meetingID="h")
    session = session_of(api(port, "join", meetingID="h", fullName="T", role="MODERATOR")[1])
    for name in ("X-Session-Token", "X-ClientSessionUUID", "X-ClientType", "X-ClientIsMobile"):
        for value in (None, False):  # absent, or a JSON boolean (Go's .(string) ok-form fails on it)
            headers = init_headers(session[0])
            if value is None:
                del headers[name]
            else:
                headers[name] = value
            init = {"type": "connection_init", "payload": {"headers": headers}}
            replies = websocket(port, PROXY, session=session, init=init)[2]
            assert replies == refused("param_missing", f"{name} header missing on init connection"), (name, value)
    # no payload object: the handler's type assertion panics, its deferred close says 1011
    assert websocket(port, PROXY, session=session, init={"type": "connection_init"})[2] == [
        {"close": 1011, "reason": "closing websocket connection as the function ended"}
    ]
    # the token of an unknown session: bbb-web's checkGraphqlAuthorization says unauthorized
    bad = (session[0] + "x", session[1])
    assert websocket(port, PROXY, session=bad)[2] == refused(
        "check_authorization_error", "error on trying to check authorization"
    )


def test_BBBWebCheckAuthorization_needs_the_session_cookie_of_the_join(node):  # noqa: N802 - upstream's name
    """bbb_web/client.go passes the browser's cookies; ConnectionController.checkGraphqlAuthorization accepts a token
    only from the JSESSIONID session that holds it, unless the meeting allows requests without session."""
    port = node("3.0")
    api(port, "create", meetingID="c")
    token, cookie = session_of(api(port, "join", meetingID="c", fullName="T", role="MODERATOR")[1])
    assert websocket(port, PROXY, session=(token, "JSESSIONID=unknown"))[2] == refused(
        "check_authorization_error", "error on trying to check authorization"
    )
    assert websocket(port, PROXY, session=(token, cookie))[2] == ACK
    api(port, "create", meetingID="w", allowRequestsWithoutSession="true")
    token = token_of(api(port, "join", meetingID="w", fullName="T", role="MODERATOR")[1]["Location"])
    assert websocket(port, PROXY, session=(token, "JSESSIONID=unknown"))[2] == ACK


def test_connectionInitHandler_allows_three_connections_per_session_token(node):  # noqa: N802 - upstream's name
    """config.yml server.max_connections_per_session_token: 3; the fourth open socket of a token is refused."""
    port = node("3.0")
    api(port, "create", meetingID="n")
    token, cookie = session_of(api(port, "join", meetingID="n", fullName="T", role="MODERATOR")[1])
    held = []
    for _attempt in range(3):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(
            (
                "GET /graphql HTTP/1.1\r\nHost: room-a.lab.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: eA==\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        stream = sock.makefile("rb")
        while stream.readline() != b"\r\n":
            pass
        data = json.dumps({"type": "connection_init", "payload": {"headers": init_headers(token)}}).encode()
        sock.sendall(bytes([0x81, 0x80 | 126]) + len(data).to_bytes(2, "big") + b"\0\0\0\0" + data)
        assert read_message(stream) == {"type": "connection_ack"}
        held.append(sock)
    assert websocket(port, PROXY, session=(token, cookie))[2] == refused("too_many_connections", "too many connections")
    for sock in held:
        sock.close()


def test_user_guest_exposes_no_name_column(node):
    """bbb-graphql-server public_v_user_guest.yaml: bbb_client selects userId, guestStatus, ... and the relationship
    user; a name column does not exist (Hasura refuses the selection)."""
    port = node("3.0")
    api(port, "create", meetingID="g", guestPolicy="ASK_MODERATOR")
    teacher = session_of(api(port, "join", meetingID="g", fullName="T", role="MODERATOR")[1])
    api(port, "join", meetingID="g", fullName="G", role="VIEWER", guest="true")
    (answer,) = graphql(port, teacher, "query { user_guest { userId name } }")
    assert answer == {"errors": [{"message": "field 'name' not found in type: 'user_guest'"}]}


def test_graphql_websocket_without_the_setting_refuses_the_proxy(node):
    port = node("3.0", graphql_override="server:\n  listen_port: 8378\n")
    assert " 403 " in websocket(port, PROXY)[0]


def test_graphql_websocket_env_era_setting(node):
    port = node("3.0", graphql_override="", graphql_env="BBB_GRAPHQL_MIDDLEWARE_ORIGIN=proxy.lab.test\n")
    assert " 101 " in websocket(port, PROXY)[0]


def test_no_graphql_on_2x(node):
    port = node("2.x")
    assert get(port, "/graphql", {"Upgrade": "websocket", "Sec-WebSocket-Key": "x"})[0] == 404


def test_bbb_web_log_and_failed_joins_as_upstream(node, tmp_path):
    """bbb-web.log lines (logback pattern) per call, per failed validation, per successful join; a failed join is a
    302 to the logout URL with errors=, with redirect=false too (ApiController.groovy: invalid(..., REDIRECT_RESPONSE))."""
    port = node()
    api(port, "create", meetingID="m")
    status, headers, _unused = api(port, "join", meetingID="m", fullName="A", role="VIEWER")
    assert status == 302 and "sessionToken=" in headers["Location"]
    status, headers, _unused = api(port, "join", secret="wrong", meetingID="m", fullName="B", redirect="false")
    location = unquote(headers["Location"])
    assert status == 302 and location.startswith("https://room-a.lab.test?errors=") and "checksumError" in location
    status, headers, _unused = api(port, "join", meetingID="gone", fullName="C", logoutURL="https://lms.example/x?a=1")
    assert status == 302 and unquote(headers["Location"]).startswith(
        'https://lms.example/x?a=1&errors=[{"key":"notFound"'
    )
    assert "checksumError" in api(port, "getMeetings", secret="wrong")[2]
    everything = (tmp_path / "log/bbb-web.log").read_text().splitlines()
    lines = [line for line in everything if line.split(" - ", 1)[0].endswith("ApiController")]  # as the metrics read
    messages = [line.split(" - ", 1)[1] for line in lines]
    assert [line.split()[1] for line in lines] == [
        "DEBUG",
        "DEBUG",
        "INFO",
        "DEBUG",
        "ERROR",
        "DEBUG",
        "ERROR",
        "DEBUG",
        "ERROR",
    ]
    assert messages[:2] == ["ApiController#create", "ApiController#join"]
    assert messages[2].startswith(" --analytics-- data=") and '"logCode":"join_api"' in messages[2]
    assert messages[4] == "Checksums do not match" and messages[6] == "A meeting with that ID does not exist"
    assert all(SECRET not in line for line in everything)


def published_recording(port, **create):
    """A record=true meeting with a moderator's client in it, ended, past the processing time; then a round of the
    recording units (the pipeline, then the post_publish scripts, as the double's own thread runs it). Its id."""
    api(port, "create", meetingID="pub", name="Lesson", record="true", autoStartRecording="true", **create)
    start_client(port, "3.0", meetingID="pub", fullName="T", role="MODERATOR")
    api(port, "end", meetingID="pub")
    time.sleep(0.4)
    STATES[port].pipeline_step()
    body = api(port, "getRecordings", meetingID="pub")[2]
    assert "<state>published</state>" in body
    return body.split("<recordID>")[1].split("</recordID>")[0]


def test_publish_presentation_rb_writes_the_metadata_xml_that_scalelite_reads(node, tmp_path):
    """process/presentation.rb's metadata.xml (id, state, published, start_time, end_time, participants, the events'
    <meeting>, meta) as publish/presentation.rb leaves it (published, <playback> added); meta is MeetingService's
    TreeMap: the create call's meta_* (ParamsProcessorUtil.processMetaParam: lowercased, no '_' in the name) and
    meetingId, meetingName, isBreakout. Scalelite's create_from_metadata_xml reads these fields."""
    port = node()
    meta = {"meta_bbb-origin": "Greenlight", "meta_Course-Name": "Math", "meta_not_valid": "dropped"}
    record_id = published_recording(port, **meta)
    root = ET.parse(tmp_path / f"var/published/presentation/{record_id}/metadata.xml").getroot()
    assert root.tag == "recording"
    assert [child.tag for child in root] == [
        "id", "state", "published", "start_time", "end_time", "participants", "meeting", "meta", "playback",
    ]  # fmt: skip
    assert (root.findtext("id"), root.findtext("state"), root.findtext("published")) == (record_id, "published", "true")
    start, end = int(root.findtext("start_time")), int(root.findtext("end_time"))
    assert start == int(record_id.rsplit("-", 1)[1]) and end >= start  # the record id's milliseconds
    assert root.findtext("participants") == "1"
    assert root.find("meeting").attrib == {"id": record_id, "externalId": "pub", "name": "Lesson", "breakout": "false"}
    assert [(m.tag, m.text) for m in root.find("meta")] == [
        ("bbb-origin", "Greenlight"),
        ("course-name", "Math"),
        ("isBreakout", "false"),
        ("meetingId", "pub"),
        ("meetingName", "Lesson"),
    ]
    playback = root.find("playback")
    assert [child.tag for child in playback] == ["format", "link", "processing_time", "duration"]
    assert playback.findtext("format") == "presentation"
    assert playback.findtext("link") == f"https://room-a.lab.test/playback/presentation/2.3/{record_id}"
    assert int(playback.findtext("duration")) == end - start and int(playback.findtext("processing_time")) >= 0


POST_SCRIPT = """#!{python}
import sys, urllib.request
answer = urllib.request.urlopen("http://127.0.0.1:{port}/bigbluebutton/api", timeout=5).status
with open({log!r}, "a") as log:
    log.write(" ".join([{name!r}, *sys.argv[1:], str(answer)]) + "\\n")
"""


def test_run_post_scripts_runs_every_rb_of_post_publish_sorted_with_m_and_f(node, tmp_path):
    """publish_worker.rb runs run_post_scripts after the format's publish succeeded: each *.rb of post_publish,
    sorted, with -m <id> -f <format> (base_worker.rb). The script can call bbb-web meanwhile: the double does not
    hold its lock while a script runs."""
    port = node()
    scripts, log = tmp_path / "post_publish", tmp_path / "post.log"
    scripts.mkdir()
    for name in ("b.rb", "a.rb", "c.txt"):
        (scripts / name).write_text(POST_SCRIPT.format(python=sys.executable, port=port, log=str(log), name=name))
    record_id = published_recording(port)
    ran = [f"a.rb -m {record_id} -f presentation 200", f"b.rb -m {record_id} -f presentation 200"]
    assert log.read_text().splitlines() == ran
    STATES[port].pipeline_step()  # once per publish
    assert log.read_text().splitlines() == ran


def test_run_post_scripts_a_failing_script_is_only_a_warning(node, tmp_path, capsys):
    """base_worker.rb run_post_scripts: a script that fails is logged (@logger.warn "Post publish script ...
    failed") and the next one runs; the publish stays a success. A script without #! cannot run in the lab (upstream
    runs it with ruby)."""
    port = node()
    scripts, log = tmp_path / "post_publish", tmp_path / "post.log"
    scripts.mkdir()
    (scripts / "1-fails.rb").write_text(f"#!{sys.executable}\nimport sys\nsys.exit(3)\n")
    (scripts / "2-ruby.rb").write_text("puts 'a Ruby script'\n")
    (scripts / "3-ok.rb").write_text(POST_SCRIPT.format(python=sys.executable, port=port, log=str(log), name="3-ok"))
    record_id = published_recording(port)
    assert log.read_text().splitlines() == [f"3-ok -m {record_id} -f presentation 200"]
    errors = capsys.readouterr().err
    assert f"WARN Post publish script {scripts / '1-fails.rb'}/1-fails failed" in errors
    assert f"WARN Post publish script {scripts / '2-ruby.rb'}/2-ruby failed" in errors
    assert "3-ok failed" not in errors
    assert "<state>published</state>" in api(port, "getRecordings", meetingID="pub")[2]
    status = tmp_path / "var/recording/status/published"
    assert sorted(p.name for p in status.iterdir()) == [f"{record_id}-presentation.done"]
