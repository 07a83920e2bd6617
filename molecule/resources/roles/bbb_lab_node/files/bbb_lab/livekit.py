# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""LiveKit's access tokens, as the lab's doubles make and check them.

What it mirrors (read, not copied):
- livekit/livekit pkg/service/auth.go, APIKeyAuthMiddleware: the token comes as ``access_token`` (or a Bearer
  header); a token that does not parse, whose API key (``iss``) the server does not know, or whose signature or
  expiry does not verify is answered 401; EnsureJoinPermission: the ``video`` grant must have ``roomJoin`` and names
  the room.
- livekit/protocol auth (AccessToken): a JWT, HS256 with the API key's secret; claims ``iss`` (the API key), ``sub``
  (the participant's identity), ``nbf``, ``exp`` and ``video`` {room, roomJoin}.
- The keys: ``keys:`` of /etc/bigbluebutton/livekit.yaml, which bbb-livekit's postinst creates and livekit-server
  merges over /usr/share/livekit-server/livekit.yaml (build/packages-template/bbb-livekit). In BigBlueButton,
  akka-apps signs each user's token with the same key (user_current.livekit.livekitToken); here the bbb-web double
  reads the file as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

DEFAULT_KEYS_FILE = "/etc/bigbluebutton/livekit.yaml"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret, header, body):
    """HS256 over the JWT's signing input."""
    return hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()


def read_keys(path=DEFAULT_KEYS_FILE):
    """{API key: secret} of a livekit.yaml's ``keys:`` map (``key: secret`` lines indented below it); {} without."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return {}
    block = re.search(r"^keys:\s*\n((?:[ \t]+\S.*\n?)+)", text, re.M)
    pairs = re.findall(r"^[ \t]+([^:#\s]+):[ \t]*(\S+)", block.group(1), re.M) if block else []
    return {key: secret.strip("'\"") for key, secret in pairs}


def make_token(keys, room, identity, ttl=6 * 3600, now=None):
    """A join token for ``room`` as ``identity``, signed with the first key of ``keys``; '' where there is none."""
    if not keys:
        return ""
    key, secret = next(iter(keys.items()))
    now = int(time.time() if now is None else now)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": key, "sub": identity, "nbf": now, "exp": now + ttl, "video": {"room": room, "roomJoin": True}}
    body = _b64(json.dumps(claims).encode())
    return f"{header}.{body}.{_b64(_signature(secret, header, body))}"


def check_token(keys, token, now=None):
    """(room, None) for a token livekit-server lets join, else (None, why) with its error text (auth.go)."""
    try:
        header, body, signature = token.split(".")
        claims = json.loads(_unb64(body))
        if json.loads(_unb64(header)).get("alg") != "HS256" or not isinstance(claims, dict):
            raise ValueError
    except ValueError:
        return None, "invalid authorization token"
    secret = keys.get(claims.get("iss", ""))
    if not secret:
        return None, f"invalid API key: {claims.get('iss', '')}"
    wanted = _signature(secret, header, body)
    now = int(time.time() if now is None else now)
    try:
        valid = hmac.compare_digest(_unb64(signature), wanted)
    except ValueError:
        valid = False
    if not valid or not claims.get("nbf", 0) <= now < claims.get("exp", 0):
        return None, "invalid token: signature or validity period"
    video = claims.get("video") or {}
    if not video.get("roomJoin") or not video.get("room"):
        return None, "permissions denied"
    return video["room"], None
