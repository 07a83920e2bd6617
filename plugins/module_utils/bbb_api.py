# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Calls of a BigBlueButton node's API and of its graphql websocket, from the node itself (module node_ready).

Upstream (bigbluebutton/bigbluebutton):

- The API checksum is ``hex(hash(<call name> + <query string without checksum> + <shared secret>))``
  (bbb-common-web ``ParamsProcessorUtil.isChecksumSame``); bbb-web tells the algorithm by the checksum's length (40 hex
  digits SHA-1, 64 SHA-256, 96 SHA-384, 128 SHA-512) and accepts only those in ``supportedChecksumAlgorithms``.
- Every API answer is XML: ``<response><returncode>SUCCESS|FAILED</returncode>...<messageKey/><message/></response>``
  (bbb-web ``ApiController``, ``responseBuilder``); ``join`` with ``redirect=false`` answers ``session_token`` in it.
- 3.0's graphql websocket (bbb-graphql-middleware, ``internal/websrv/connhandler.go``) speaks
  ``graphql-transport-ws``: the client's first message is ``connection_init`` whose ``payload.headers`` carry the
  session (``X-Session-Token``, ``X-ClientSessionUUID``, ``X-ClientType``, ``X-ClientIsMobile``); the middleware
  answers ``connection_ack``, or closes the socket (4403) where the session is not authorized.

Runs on the managed node: Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# What the collection signs with unless bbb_cluster_checksum_algorithm says otherwise: accepted by bbb-web's default
# supportedChecksumAlgorithms (sha1,sha256,sha384,sha512) and Scalelite's default LOADBALANCER_CHECKSUM_ALGORITHM
# (SHA1:SHA256:SHA512), and not SHA-1.
DEFAULT_ALGORITHM = "sha256"


class ApiAnswerError(ValueError):
    """An API answer that is not the XML document upstream answers."""


def checksum(call, query, secret, algorithm=DEFAULT_ALGORITHM):
    """The checksum of ``call`` with ``query`` (the query string as sent, without checksum)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported checksum algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})")
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def call_url(api_url, call, params, secret, algorithm=DEFAULT_ALGORITHM):
    """The URL of ``call`` on the API at ``api_url`` (``https://host/bigbluebutton/api``), signed."""
    query = urlencode(params or {})
    signed = checksum(call, query, secret, algorithm)
    return f"{api_url.rstrip('/')}/{call}?{query}{'&' if query else ''}checksum={signed}"


def parse_answer(text):
    """``{returncode, messageKey, message, <other top-level elements' text>}`` of an API answer.

    Raises ApiAnswerError where the text is not XML or not a ``<response>`` with a ``<returncode>``."""
    if "<!DOCTYPE" in (text or "") or "<!ENTITY" in (text or ""):
        raise ApiAnswerError("a document type declaration, which BigBlueButton's answers never have")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        start = " ".join((text or "").split())[:120]
        raise ApiAnswerError(f"not XML ({exc}): {start!r}") from None
    if root.tag != "response" or root.find("returncode") is None:
        raise ApiAnswerError(f"XML without <response><returncode> (root <{root.tag}>)")
    answer = {child.tag: (child.text or "").strip() for child in root if len(child) == 0}
    answer.setdefault("messageKey", "")
    answer.setdefault("message", "")
    meetings = root.find("meetings")
    answer["meetings"] = [
        {field.tag: (field.text or "").strip() for field in meeting if len(field) == 0}
        for meeting in (meetings if meetings is not None else [])
        if meeting.tag == "meeting"
    ]
    return answer


# --- graphql-transport-ws over a websocket (RFC 6455), the client side -------------------------------------------


def _frame(payload, opcode=0x1):
    """A masked client frame (RFC 6455 5.2: a client masks every frame)."""
    data = payload.encode() if isinstance(payload, str) else payload
    head = bytes([0x80 | opcode])
    length = len(data)
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _read_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def _read_frame(sock):
    """(opcode, payload bytes) of the next frame (a server does not mask; fragments are not used by the middleware)."""
    first, second = _read_exact(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exact(sock, 8))[0]
    mask = _read_exact(sock, 4) if second & 0x80 else b""
    payload = _read_exact(sock, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return first & 0x0F, payload


def graphql_connection_init(url, session_token, origin, cookie="", timeout=10.0, context=None):
    """Open the graphql websocket at ``url`` (``wss://host/graphql``) and send a session's ``connection_init``.

    Returns ``(answer, detail)``: ``("connection_ack", "")``; ``("closed", "<code> <reason>")`` where the server closed
    the socket; ``("http", "<status line>")`` where it refused the upgrade; ``("other", <first message>)``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    raw = socket.create_connection((parts.hostname, port), timeout=timeout)
    try:
        sock = raw
        if parts.scheme == "wss":
            sock = (context or ssl.create_default_context()).wrap_socket(raw, server_hostname=parts.hostname)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: graphql-transport-ws",
            f"Origin: {origin}",
        ]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
            if len(head) > 65536:
                break
        status = head.split(b"\r\n", 1)[0].decode("latin-1").strip()
        if " 101 " not in f"{status} ":
            return "http", status or "no answer"
        init = {
            "type": "connection_init",
            "payload": {
                "headers": {
                    "X-Session-Token": session_token,
                    "X-ClientSessionUUID": str(uuid.uuid4()),
                    "X-ClientType": "HTML5",
                    "X-ClientIsMobile": "false",
                }
            },
        }
        sock.sendall(_frame(json.dumps(init)))
        refused = ""
        while True:
            opcode, payload = _read_frame(sock)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                detail = f"{code} {payload[2:].decode('utf-8', 'replace')}".strip()
                return "closed", f"{detail} ({refused})" if refused else detail
            if opcode == 0x9:  # ping: answer pong
                sock.sendall(_frame(payload, opcode=0xA))
                continue
            if opcode != 0x1:
                continue
            try:
                message = json.loads(payload)
            except ValueError:
                return "other", payload[:200].decode("utf-8", "replace")
            if message.get("type") == "connection_ack":
                try:
                    sock.sendall(_frame(struct.pack("!H", 1000), opcode=0x8))
                except OSError:
                    pass
                return "connection_ack", ""
            if message.get("type") == "error" and message.get("id") == "-1":
                # disconnectWithError sends the reason as a message first (browsers cannot read a close reason)
                errors = message.get("payload") if isinstance(message.get("payload"), list) else []
                refused = ", ".join(str(e.get("messageId", "")) for e in errors if isinstance(e, dict))
                continue
            if message.get("type") == "ping":
                sock.sendall(_frame(json.dumps({"type": "pong"})))
                continue
            return "other", json.dumps(message)[:200]
    finally:
        try:
            raw.close()
        except OSError:
            pass
