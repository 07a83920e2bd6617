# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double lets a client start as bbb-web does: enter (2.x), userJoinMeeting (3.0), clientSettings,
the presentation's slide."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from urllib.parse import urlencode

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import PROXY, SECRET
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import (
    ACK,
    api,
    cookie_of,
    enter,
    get,
    graphql,
    session_of,
    token_of,
    user_join,
    validate,
    websocket,
)


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


def test_4_0_serves_the_settings_as_meeting_static_data_only(node):
    """4.0's graphql.nginx has no /api/rest/clientSettings (PR #24829); the client reads meetingStaticData
    (bigbluebutton-html5 imports/ui/components/settings-loader/component.tsx)."""
    port = node("4.0")
    api(port, "create", meetingID="m")
    headers = api(port, "join", meetingID="m", fullName="T", role="MODERATOR")[1]
    browser = {"x-session-token": token_of(headers["Location"]), "Cookie": cookie_of(headers), "Origin": PROXY}
    assert get(port, "/api/rest/clientSettings/", browser)[0] == 404
    status, _answer, body = get(port, "/api/rest/meetingStaticData/", browser)
    assert status == 200
    assert json.loads(body)["meeting"][0]["clientSettings"]["clientSettingsJson"]["public"]["app"]["basename"] == (
        "/room-a/html5client"
    )


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
