# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A browser's and a client's side of the bbb-web double (tests/unit/lab_doubles/bbb_web.py starts it): signed API
calls, the join's session, 2.x's enter and validateAuthToken, 3.0's graphql websocket."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import socket
from urllib.parse import urlencode

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import SECRET


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


def signed(call, query, algorithm, secret=SECRET):
    return f"/bigbluebutton/api/{call}?{query}&checksum={hashlib.new(algorithm, (call + query + secret).encode()).hexdigest()}"


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
