# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double answers its API like bbb-web: checksums, create and join, getMeetings, CORS, bbb-web.log."""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import PROXY, SECRET
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import (
    ACK,
    api,
    get,
    graphql,
    session_of,
    signed,
    user_join,
    websocket,
)


def test_get_meeting_info_ftlx_lists_the_attendees_with_their_role(node):
    """bigbluebutton/bigbluebutton bigbluebutton-web src/main/webapp/WEB-INF/freemarker/get-meeting-info.ftlx: each
    user in the meeting an <attendee> with <fullName> and <role> (the join's role, MODERATOR or VIEWER); a guest in the
    lobby is none (the walk-through's learner step reads the roles there)."""
    port = node("3.0")
    api(port, "create", meetingID="a", guestPolicy="ASK_MODERATOR")
    for name, role in (("Teacher", "MODERATOR"), ("Learner", "VIEWER")):
        user_join(port, session_of(api(port, "join", meetingID="a", fullName=name, role=role)[1]))
    user_join(port, session_of(api(port, "join", meetingID="a", fullName="Guest", role="VIEWER", guest="true")[1]))
    root = ET.fromstring(api(port, "getMeetingInfo", meetingID="a")[2])
    attendees = {a.findtext("fullName"): a.findtext("role") for a in root.iter("attendee")}
    assert attendees == {"Teacher": "MODERATOR", "Learner": "VIEWER"}


def test_checksums(node):
    port = node()
    assert "<returncode>SUCCESS</returncode>" in get(port, "/bigbluebutton/api")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "create", meetingID="m1")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "create", algo="sha256", meetingID="m2")[2]
    assert "checksumError" in api(port, "create", secret="package-default", meetingID="m3")[2]  # the override wins
    assert "checksumError" in get(port, "/bigbluebutton/api/create?meetingID=m4")[2]


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
    # a guest in the lobby cannot let a guest in (test_bbb_web_graphql: the action is not in its schema); a moderator's
    # client in the meeting can (guestUsersSubmitApprovalStatus)
    assert "errors" in graphql(port3, guest, "mutation { guestUsersSubmitApprovalStatus }")[0]
    assert user_join(port3, teacher) == [{"data": {"userJoinMeeting": True}}]
    (waiting,) = graphql(
        port3, teacher, "subscription { user_guest(where: {isWaiting: {_eq: true}}) { userId user { name } } }"
    )
    (row,) = waiting["data"]["user_guest"]
    assert row == {"userId": row["userId"], "user": {"name": "G"}}
    approve = {"guests": [{"guest": row["userId"], "status": "ALLOW"}]}
    assert graphql(
        port3,
        teacher,
        "mutation ($guests: [GuestUserApprovalStatus]!) { guestUsersSubmitApprovalStatus }",
        approve,
    ) == [{"data": {"guestUsersSubmitApprovalStatus": True}}]
    # let in, the guest is in the meeting once its client joins (userJoinMeeting), as the teacher's did
    assert "<participantCount>1</participantCount>" in api(port3, "getMeetingInfo", meetingID="m")[2]
    assert user_join(port3, guest) == [{"data": {"userJoinMeeting": True}}]
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
