# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double's graphql websocket refuses and accepts as bbb-graphql-middleware does."""

from __future__ import annotations

import base64
import hashlib
import json
import socket

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import PROXY
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import (
    ACK,
    api,
    get,
    graphql,
    init_headers,
    read_message,
    session_of,
    token_of,
    user_join,
    websocket,
)

WAITING = "subscription { user_guest(where: {isWaiting: {_eq: true}}) { userId user { name } } }"
SUBMIT = "mutation ($guests: [GuestUserApprovalStatus]!) { guestUsersSubmitApprovalStatus(guests: $guests) }"


def a_class(port, meeting):
    """A meeting (ASK_MODERATOR) with a teacher and a learner in it, and a guest in its lobby: their sessions."""
    api(port, "create", meetingID=meeting, guestPolicy="ASK_MODERATOR")
    teacher = session_of(api(port, "join", meetingID=meeting, fullName="Teacher", role="MODERATOR")[1])
    learner = session_of(api(port, "join", meetingID=meeting, fullName="Learner", role="VIEWER")[1])
    guest = session_of(api(port, "join", meetingID=meeting, fullName="Guest", role="VIEWER", guest="true")[1])
    return teacher, learner, guest


def waiting(port, session):
    """The userIds of the guests the session's user_guest lists as waiting."""
    (answer,) = graphql(port, session, WAITING)
    return [row["userId"] for row in answer["data"]["user_guest"]]


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


def test_throwErrorIfNotModerator_refuses_a_viewers_guest_approval(node):  # noqa: N802 - upstream's name
    """bigbluebutton/bigbluebutton bbb-graphql-actions src/actions/guestUsersSubmitApprovalStatus.ts (buildRedisMessage
    calls throwErrorIfNotModerator first, src/imports/validation.ts: 'Permission Denied (not moderator).', 403) and
    src/index.ts (a ValidationError answers `${actionName}: ${error.message}`); Hasura passes a handler's 4xx on as an
    error with code unexpected (hasura/graphql-engine server/src-lib/Hasura/GraphQL/Execute/Action.hs, callWebhook).
    Refused, not ignored: nothing reaches akka-apps, so the guest still waits and the viewer stays in the meeting."""
    port = node("3.0")
    teacher, learner, guest = a_class(port, "v")
    for session in (teacher, learner):
        assert user_join(port, session) == [{"data": {"userJoinMeeting": True}}]
    (guest_id,) = waiting(port, teacher)
    assert waiting(port, learner) == []  # a viewer sees only its own row of user_guest
    approve = {"guests": [{"guest": guest_id, "status": "ALLOW"}]}
    assert graphql(port, learner, SUBMIT, approve) == [
        {
            "errors": [
                {
                    "message": "guestUsersSubmitApprovalStatus: Permission Denied (not moderator).",
                    "extensions": {"path": "$", "code": "unexpected"},
                }
            ]
        }
    ]
    assert waiting(port, teacher) == [guest_id]
    (current,) = graphql(port, guest, "query { user_current { guestStatus } }")
    assert current["data"]["user_current"][0]["guestStatus"] == "WAIT"
    info = api(port, "getMeetingInfo", meetingID="v")[2]
    assert "<participantCount>2</participantCount>" in info and "<fullName>Guest</fullName>" not in info
    assert "<fullName>Learner</fullName><role>VIEWER</role>" in info  # not ejected
    # the moderator's approval is taken
    assert graphql(port, teacher, SUBMIT, approve) == [{"data": {"guestUsersSubmitApprovalStatus": True}}]
    assert waiting(port, teacher) == []


def test_actions_yaml_grants_guestUsersSubmitApprovalStatus_to_bbb_client_only(node):  # noqa: N802 - upstream's name
    """bigbluebutton/bigbluebutton bbb-graphql-server metadata/actions.yaml: guestUsersSubmitApprovalStatus has the
    permission of role bbb_client only; akka-apps UserInfoService.generateResponseMap gives a session that is not in
    the meeting (before userJoinMeeting, a guest in the lobby) bbb_client_not_in_meeting, whose schema lacks the
    mutation: Hasura refuses it in validation, whatever the role of the join."""
    port = node("3.0")
    teacher, _learner, guest = a_class(port, "r")
    refused = {
        "errors": [
            {
                "message": "field 'guestUsersSubmitApprovalStatus' not found in type: 'mutation_root'",
                "extensions": {"path": "$.selectionSet.guestUsersSubmitApprovalStatus", "code": "validation-failed"},
            }
        ]
    }
    (guest_id,) = waiting(port, teacher)
    approve = {"guests": [{"guest": guest_id, "status": "ALLOW"}]}
    assert graphql(port, teacher, SUBMIT, approve) == [refused]  # a moderator whose client has not joined yet
    assert graphql(port, guest, SUBMIT, approve) == [refused]
    assert waiting(port, teacher) == [guest_id]
    assert user_join(port, teacher) == [{"data": {"userJoinMeeting": True}}]
    assert graphql(port, teacher, SUBMIT, approve) == [{"data": {"guestUsersSubmitApprovalStatus": True}}]


def test_graphql_websocket_without_the_setting_refuses_the_proxy(node):
    port = node("3.0", graphql_override="server:\n  listen_port: 8378\n")
    assert " 403 " in websocket(port, PROXY)[0]


def test_graphql_websocket_env_era_setting(node):
    port = node("3.0", graphql_override="", graphql_env="BBB_GRAPHQL_MIDDLEWARE_ORIGIN=proxy.lab.test\n")
    assert " 101 " in websocket(port, PROXY)[0]


def test_no_graphql_on_2x(node):
    port = node("2.x")
    assert get(port, "/graphql", {"Upgrade": "websocket", "Sec-WebSocket-Key": "x"})[0] == 404
