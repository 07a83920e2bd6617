# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bbb-graphql-middleware's websocket (3.0): the origin check, connection_init, and the few graphql operations the
lab's client and the walk-through use (answered as bbb-graphql-server and bbb-graphql-actions would, Hasura's errors
as Hasura shapes them: a field outside the session's role, an action handler's refusal)."""

from __future__ import annotations

import json
import re
import sys
from urllib.parse import urlparse

from bbb_lab.livekit import make_token, read_keys
from bbb_lab.websocket import read_frames, upgrade, websocket_frame

from bbb_web_lab import LOCK
from bbb_web_lab.config import graphql_authorized_origin

# bbb-graphql-server metadata/databases/BigBlueButton/tables/public_v_user_guest.yaml: what role bbb_client may select
# of user_guest (view v_user_guest); the guest's name is reached through the relationship `user` (v_user_ref).
USER_GUEST_COLUMNS = (
    "guestLobbyMessage",
    "guestStatus",
    "isAllowed",
    "isDenied",
    "isWaiting",
    "positionInWaitingQueue",
    "userId",
    "user",
)


def selection(query, field):
    """The top-level names selected under ``field`` in a GraphQL document (arguments and nested selections skipped)."""
    at = query.find(field)
    if at < 0:
        return []
    at += len(field)
    parens = 0
    while at < len(query) and (parens or query[at] in " \t\r\n("):
        parens += {"(": 1, ")": -1}.get(query[at], 0)
        at += 1
    if query[at : at + 1] != "{":
        return []
    names, depth, parens, word = [], 0, 0, ""
    for char in query[at + 1 :]:
        if char == "(":
            parens += 1
        elif char == ")":
            parens -= 1
        elif parens:
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (char.isalnum() or char == "_"):
            word += char
            continue
        if word and depth <= 1:
            names.append(word)
        word = ""
    if word:
        names.append(word)
    return list(dict.fromkeys(names))


# What of v_meeting the lab's client selects (the bridges of bbb-graphql-server's meeting table, 3.0 with LiveKit).
MEETING_COLUMNS = ("meetingId", "name", "audioBridge", "cameraBridge", "screenShareBridge")

# bbb-graphql-middleware internal/websrv/connhandler.go, connectionInitHandler: payload.headers must hold these, each a
# JSON string (Go's `.(string)` ok-form: another type counts as missing), checked in this order.
GRAPHQL_INIT_HEADERS = ("X-Session-Token", "X-ClientSessionUUID", "X-ClientType", "X-ClientIsMobile")
GRAPHQL_MAX_CONNECTIONS_PER_TOKEN = 3  # config.yml server.max_connections_per_session_token


def not_in_schema(field, root="mutation_root"):
    """Hasura's answer to a field its role's schema lacks (validation, before anything runs): bbb-graphql-server
    metadata/actions.yaml grants each action to the roles it lists, and a session's role comes from akka-apps
    UserInfoService.generateResponseMap (bbb_client in the meeting, bbb_client_not_in_meeting before userJoinMeeting)."""
    return {
        "message": f"field '{field}' not found in type: '{root}'",
        "extensions": {"path": f"$.selectionSet.{field}", "code": "validation-failed"},
    }


def action_refused(action, message):
    """An action whose handler (bbb-graphql-actions) answered 4xx: src/index.ts sends a ValidationError as
    ``{message: `${actionName}: ${error.message}`}`` with its status, and Hasura (graphql-engine
    server/src-lib/Hasura/GraphQL/Execute/Action.hs, callWebhook: statusIsClientError) passes the message on with the
    code ``unexpected`` (none given); nothing is published to akka-apps."""
    return {"message": f"{action}: {message}", "extensions": {"path": "$", "code": "unexpected"}}


class Graphql:
    """The Handler's /graphql websocket."""

    def graphql_websocket(self):
        """bbb-graphql-middleware's websocket: same-origin, or the authorized cross origin (host only)."""
        if self.headers.get("Upgrade", "").lower() != "websocket" or not self.headers.get("Sec-WebSocket-Key"):
            self.send(400, "websocket only", "text/plain")
            return
        origin_host = urlparse(self.headers.get("Origin", "")).hostname or ""
        request_host = (self.headers.get("Host") or "").split(":")[0]
        authorized = graphql_authorized_origin(
            self.state.args.graphql_config, self.state.args.graphql_override, self.state.args.graphql_env
        )
        if origin_host and origin_host not in (request_host, authorized):
            sys.stderr.write(f"bbb-web-double: graphql websocket refused for origin {origin_host}\n")
            self.send(403, "origin not allowed", "text/plain")
            return
        upgrade(self, protocol="graphql-transport-ws")
        self.wfile.flush()
        self.graphql_token = None
        try:
            self.graphql_messages()
        finally:
            if self.graphql_token is not None:
                with LOCK:
                    self.state.graphql_connections[self.graphql_token] -= 1

    def graphql_messages(self):
        """The messages of one graphql websocket, after the upgrade."""
        token = None
        for opcode, payload in read_frames(self.rfile):
            try:
                message = json.loads(payload) if opcode == 0x1 else {}
            except ValueError:
                message = {}
            if token is None and message.get("type") != "connection_init":
                continue  # the middleware reads and drops what comes before connection_init
            if message.get("type") == "connection_init" and token is None:
                refused = self.graphql_connection_init(message)
                if refused:
                    message_id, text, code = refused
                    if (
                        code == 4403
                    ):  # disconnectWithError: an error message first (browsers cannot read a close reason)
                        error = [{"messageId": message_id, "message": text}]
                        self.ws_send({"id": "-1", "type": "error", "payload": error})
                    self.wfile.write(websocket_frame(code.to_bytes(2, "big") + text.encode(), opcode=0x8))
                    self.wfile.flush()
                    return
                token = message["payload"]["headers"]["X-Session-Token"]
                self.ws_send({"type": "connection_ack"})  # the user is not in the meeting before userJoinMeeting
            elif message.get("type") == "ping":
                self.ws_send({"type": "pong"})
            elif message.get("type") == "subscribe":
                with LOCK:
                    data, errors = self.graphql_operation(token, message.get("payload") or {})
                if errors is None:
                    answer = {"data": data}
                else:  # a message, or Hasura's whole error object
                    answer = {"errors": [errors if isinstance(errors, dict) else {"message": errors}]}
                self.ws_send({"id": message.get("id"), "type": "next", "payload": answer})
                self.ws_send({"id": message.get("id"), "type": "complete"})

    def ws_send(self, message):
        self.wfile.write(websocket_frame(json.dumps(message)))
        self.wfile.flush()

    def graphql_connection_init(self, message):
        """None where bbb-graphql-middleware lets the session in, else (messageId, message, close code).

        connhandler.go connectionInitHandler: the four headers (strings), at most 3 connections per token; then
        bbb_web/client.go BBBWebCheckAuthorization: checkGraphqlAuthorization with the x-session-token header and the
        browser's cookies (ConnectionController.groovy: the JSESSIONID session must hold the token unless
        allowRequestsWithoutSession). A payload or headers that is not an object makes the handler panic: 1011."""
        payload = message.get("payload")
        headers = payload.get("headers") if isinstance(payload, dict) else None
        if not isinstance(headers, dict):
            return "internal_error", "closing websocket connection as the function ended", 1011
        for name in GRAPHQL_INIT_HEADERS:
            if not isinstance(headers.get(name), str):
                return "param_missing", f"{name} header missing on init connection", 4403
            if name == "X-Session-Token":
                with LOCK:
                    if self.state.graphql_connections.get(headers[name], 0) >= GRAPHQL_MAX_CONNECTIONS_PER_TOKEN:
                        return "too_many_connections", "too many connections", 4403
        token = headers["X-Session-Token"]
        with LOCK:
            if token not in self.state.sessions or (
                token not in self.session_tokens() and not self.allow_without_session(token)
            ):
                return "check_authorization_error", "error on trying to check authorization", 4403
            self.state.graphql_connections[token] = self.state.graphql_connections.get(token, 0) + 1
            self.graphql_token = token
        return None

    def graphql_operation(self, token, payload):
        """(data, None) or (None, error) for the few operations the stand-in client uses; the error is a message or
        Hasura's whole error object."""
        user = self.state.sessions.get(token or "")
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        if meeting is None:
            return None, "not authorized: connection_init without a valid X-Session-Token"
        query = payload.get("query") or ""
        moderator = user["attendee"]["role"] == "MODERATOR"
        guests = [u for u in self.state.sessions.values() if u["meeting"] == meeting["id"] and u["attendee"]["isGuest"]]
        if "guestUsersSubmitApprovalStatus" in query:
            # bbb-graphql-server metadata/actions.yaml: the action is granted to role bbb_client only, the role of a
            # session in the meeting (akka-apps UserInfoService.generateResponseMap: currentlyInMeeting), so a client
            # before userJoinMeeting (a guest in the lobby too) does not even have it in its schema
            if not user["present"]:
                return None, not_in_schema("guestUsersSubmitApprovalStatus")
            # bbb-graphql-actions src/actions/guestUsersSubmitApprovalStatus.ts, buildRedisMessage: first
            # throwErrorIfNotModerator (src/imports/validation.ts: x-hasura-moderatorinmeeting empty -> ValidationError
            # 'Permission Denied (not moderator).', 403). That session variable is the meeting id for a moderator of
            # the join, else empty (bbb-web ConnectionController.groovy checkGraphqlAuthorization; later akka-apps
            # UserInfoService.generateResponseMap). So a viewer's approval is refused with an error, not ignored: no
            # GuestsWaitingApprovedMsg reaches akka-apps (whose own check, GuestsWaitingApprovedMsgHdlr
            # handleGuestsWaitingApprovedMsg, would eject the sender), the guest waits on, the viewer stays.
            if not moderator:
                return None, action_refused("guestUsersSubmitApprovalStatus", "Permission Denied (not moderator).")
            decided = {g.get("guest"): g.get("status") for g in (payload.get("variables") or {}).get("guests") or []}
            for guest in guests:
                if guest["internalUserID"] in decided and decided[guest["internalUserID"]] in ("ALLOW", "DENY"):
                    guest["attendee"]["guestStatus"] = decided[guest["internalUserID"]]  # its client then joins
            return {"guestUsersSubmitApprovalStatus": True}, None
        if "userJoinMeeting" in query:
            # bbb-graphql-actions userJoinMeeting -> akka-apps UserJoinMeetingReqMsgHdlr.userJoinMeeting: the user of
            # that authToken joins (a waiting guest does not: its client sends it once let in)
            variables = payload.get("variables") or {}
            if variables.get("authToken") != user["authToken"] or not isinstance(variables.get("clientType"), str):
                return None, "userJoinMeeting: authToken and clientType of the session's user are required"
            self.state.make_present(token)
            return {"userJoinMeeting": True}, None
        if "user_guest" in query:
            fields = selection(query, "user_guest")
            unknown = [f for f in fields if f not in USER_GUEST_COLUMNS]
            if unknown:  # Hasura validates the selection against the role's columns before it runs anything
                return None, f"field '{unknown[0]}' not found in type: 'user_guest'"
            # the filter: a moderator sees the meeting's waiting guests, anyone else only their own row
            waiting = [g for g in guests if g["attendee"]["guestStatus"] == "WAIT" and (moderator or g is user)]
            rows = []
            for position, guest in enumerate(waiting, start=1):
                row = {
                    "userId": guest["internalUserID"],
                    "guestStatus": "WAIT",
                    "isWaiting": True,
                    "isAllowed": False,
                    "isDenied": False,
                    "positionInWaitingQueue": position,
                    "guestLobbyMessage": "",
                    "user": {"name": guest["attendee"]["fullName"]},  # v_user_ref, as far as the lab selects it
                }
                rows.append({field: row[field] for field in fields})
            return {"user_guest": rows}, None
        if "user_current" in query:
            attendee = user["attendee"]
            current = {
                "userId": user["internalUserID"],
                "authToken": user["authToken"],
                "name": attendee["fullName"],
                "isModerator": moderator,
                "guestStatus": attendee["guestStatus"],
                "joined": user["present"],
                "userMetadata": user["userdata"],
                # v_user_current's livekit (user_livekit): the token akka-apps signs for a meeting whose bridges use
                # LiveKit, null otherwise (imports/ui/components/livekit/component.tsx reads u.livekit.livekitToken)
                "livekit": {
                    "livekitToken": make_token(
                        read_keys(self.state.args.livekit_keys), meeting["internal"], user["internalUserID"]
                    )
                }
                if "livekit" in meeting["bridges"].values()
                else None,
            }
            return {"user_current": [current]}, None
        if "pres_page_curr" in query:
            base = self.state.config().get("bigbluebutton.web.serverURL", "")
            pres = meeting.get("presentation") or "default"
            url = f"{base}/bigbluebutton/presentation/{meeting['internal']}/{meeting['internal']}/{pres}/svg/1"
            return {"pres_page_curr": [{"presentationId": pres, "num": 1, "svgUrl": url}]}, None
        if re.search(r"\bmeeting\s*[({]", query):
            # v_meeting's bridges, as the client's useMeeting selects them (livekit/component.tsx)
            fields = selection(query, "meeting")
            unknown = [f for f in fields if f not in MEETING_COLUMNS]
            if unknown:
                return None, f"field '{unknown[0]}' not found in type: 'meeting'"
            row = {"meetingId": meeting["internal"], "name": meeting["name"], **meeting["bridges"]}
            return {"meeting": [{field: row[field] for field in fields}]}, None
        return None, "unsupported operation in the lab double"
