# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 6455 framing of the lab's websockets: bbb-web double's graphql (bbb-graphql-middleware) and the meteor
stand-in's sockjs (bbb-html5-double). Server side only: the opening handshake, unmasked frames out, masked in."""

from __future__ import annotations

import base64
import hashlib


def websocket_accept(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455, 4.2.2)."""
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()  # noqa: S324 - RFC 6455
    return base64.b64encode(digest).decode()


def websocket_frame(text, opcode=0x1):
    """One unmasked server frame (text by default)."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) < 126:
        header = bytes([0x80 | opcode, len(data)])
    else:
        header = bytes([0x80 | opcode, 126]) + len(data).to_bytes(2, "big")
    return header + data


def read_websocket_frame(stream):
    """(opcode, payload) of one masked client frame, or (None, b'') at the end of the stream."""
    head = stream.read(2)
    if len(head) < 2:
        return None, b""
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(stream.read(2), "big")
    elif length == 127:
        length = int.from_bytes(stream.read(8), "big")
    mask = stream.read(4) if head[1] & 0x80 else b"\0\0\0\0"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(stream.read(length)))
    return head[0] & 0x0F, payload


def read_frames(stream):
    """(opcode, payload) of each client frame, until the stream ends or the client sends a close frame."""
    while True:
        opcode, payload = read_websocket_frame(stream)
        if opcode is None or opcode == 0x8:
            return
        yield opcode, payload


def upgrade(handler, protocol=""):
    """101 Switching Protocols to the request's websocket (RFC 6455, 4.2.2), with `protocol` as its subprotocol where
    the client offered it; the connection is the caller's from here, and closes when the handler returns."""
    handler.send_response(101)
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", websocket_accept(handler.headers["Sec-WebSocket-Key"]))
    if protocol and protocol in handler.headers.get("Sec-WebSocket-Protocol", ""):
        handler.send_header("Sec-WebSocket-Protocol", protocol)
    handler.end_headers()
    handler.close_connection = True
