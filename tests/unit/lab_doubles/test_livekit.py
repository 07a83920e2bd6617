# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's LiveKit: tokens as livekit-server checks them (pkg/service/auth.go), its signalling stand-in, and the
bbb-web double's meeting bridges and per-user token (what the client's livekit/component.tsx reads)."""

from __future__ import annotations

import base64
import json
import socket

import pytest
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import api, get, graphql, session_of
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.programs import NODE_FILES, load, serve

KEYS = {"room-a-lab-key": "room-a-lab-livekit-secret"}


@pytest.fixture
def livekit_module():
    load(NODE_FILES / "livekit_server_double.py")  # puts the lab's package directory on sys.path
    from bbb_lab import livekit  # pylint: disable=import-outside-toplevel

    return livekit


def test_a_token_verifies_only_with_its_key_within_its_time(livekit_module):
    token = livekit_module.make_token(KEYS, "room-1", "user-1", ttl=60, now=1000)
    assert livekit_module.check_token(KEYS, token, now=1030) == ("room-1", None)
    assert livekit_module.check_token(KEYS, token, now=1060)[1] == "invalid token: signature or validity period"
    assert livekit_module.check_token({"room-a-lab-key": "another"}, token, now=1030)[1].startswith("invalid token")
    assert livekit_module.check_token({"other": "x"}, token, now=1030)[1] == "invalid API key: room-a-lab-key"
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["video"]["room"] = "room-2"  # a token made for another room does not verify
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert livekit_module.check_token(KEYS, f"{header}.{forged}.{signature}", now=1030)[0] is None
    assert livekit_module.check_token(KEYS, "not-a-jwt", now=1030)[1] == "invalid authorization token"
    assert livekit_module.make_token({}, "room-1", "user-1") == ""


def test_the_keys_are_read_from_livekit_yaml(livekit_module, tmp_path):
    path = tmp_path / "livekit.yaml"
    path.write_text("port: 7880\nkeys:\n  key-1: 'secret-1'\n  key-2: secret-2\nrtc:\n  tcp_port: 7881\n")
    assert livekit_module.read_keys(str(path)) == {"key-1": "secret-1", "key-2": "secret-2"}
    assert livekit_module.read_keys(str(tmp_path / "none.yaml")) == {}


@pytest.fixture
def livekit_server(tmp_path):
    keys = tmp_path / "livekit.yaml"
    keys.write_text("keys:\n  room-a-lab-key: room-a-lab-livekit-secret\n")
    started = []
    port = serve(load(NODE_FILES / "livekit_server_double.py").make_server(
        ["--port", "0", "--keys-file", str(keys)]), started)  # fmt: skip
    yield port
    for server in started:
        server.shutdown()
        server.server_close()


def status_of(port, path):
    """(status, body) of a GET (bbb_web_client.get)."""
    status, _headers, body = get(port, path)
    return status, body


def upgrade(port, path):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: room-a.lab.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: eA==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    stream = sock.makefile("rb")
    status = stream.readline().decode()
    while stream.readline() not in (b"\r\n", b""):
        pass
    first = stream.read(2)
    data = stream.read(first[1] & 0x7F) if len(first) == 2 and " 101 " in status else b""
    sock.close()
    return status, data


def test_the_signalling_stand_in_answers_as_livekit_server(livekit_module, livekit_server):
    token = livekit_module.make_token(KEYS, "room-1", "user-1")
    assert status_of(livekit_server, "/") == (200, "OK")
    assert status_of(livekit_server, "/rtc") == (401, "permissions denied")
    assert status_of(livekit_server, "/rtc?access_token=x.y.z")[0] == 401
    assert status_of(livekit_server, f"/rtc/validate?access_token={token}") == (200, "success")
    status, data = upgrade(livekit_server, f"/rtc?access_token={token}&auto_subscribe=1&sdk=js")
    assert " 101 " in status and json.loads(data) == {"join": {"room": {"name": "room-1"}}}
    wrong = livekit_module.make_token({"room-a-lab-key": "not-the-node-s"}, "room-1", "user-1")
    assert " 401 " in upgrade(livekit_server, f"/rtc?access_token={wrong}")[0]
    assert status_of(livekit_server, "/bigbluebutton/api") == (200, "OK")  # server.go: "/" is the health check


def test_a_meeting_s_bridges_reach_the_client_with_a_token_only_where_livekit_is_used(node, livekit_module):
    port = node("3.0")
    api(port, "create", meetingID="lk", audioBridge="livekit")
    api(port, "create", meetingID="sfu")
    for meeting, bridges in (
        ("lk", {"audioBridge": "livekit", "cameraBridge": "bbb-webrtc-sfu", "screenShareBridge": "bbb-webrtc-sfu"}),
        ("sfu", dict.fromkeys(("audioBridge", "cameraBridge", "screenShareBridge"), "bbb-webrtc-sfu")),
    ):
        session = session_of(api(port, "join", meetingID=meeting, fullName="T", role="MODERATOR")[1])
        query = "subscription { meeting { audioBridge cameraBridge screenShareBridge } }"
        assert graphql(port, session, query) == [{"data": {"meeting": [bridges]}}]
        (answer,) = graphql(port, session, "subscription { user_current { userId livekit { livekitToken } } }")
        current = answer["data"]["user_current"][0]
        if meeting == "lk":
            room, error = livekit_module.check_token(KEYS, current["livekit"]["livekitToken"])
            assert error is None and room  # the meeting's LiveKit room, signed with the node's key
        else:
            assert current["livekit"] is None
    (answer,) = graphql(port, session, "subscription { meeting { bridges } }")
    assert answer == {"errors": [{"message": "field 'bridges' not found in type: 'meeting'"}]}
