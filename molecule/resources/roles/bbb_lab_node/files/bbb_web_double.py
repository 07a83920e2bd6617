#!/usr/bin/python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for bbb-web's HTTP API in the Molecule lab (not BigBlueButton).

It reads, on every request, the files the bbb_node role writes - the package's
bigbluebutton.properties overridden by /etc/bigbluebutton/bbb-web.properties,
/etc/bigbluebutton/bbb-html5.yml, /etc/bigbluebutton/bbb-graphql-server.env - and
the CORS options from JDK_JAVA_OPTIONS in its own process environment (what
systemd really handed the process: a later drop-in or /etc/default/bbb-web that
overrides the role's value takes effect here as it does for the JVM).

Every behaviour acceptance, preflight, health or drift relies on mirrors upstream
BigBlueButton (bigbluebutton/bigbluebutton; findings in docs/upstream-behaviour.md)
and rejects what upstream rejects:

| behaviour | mirrors (upstream file: function) | rejects / refuses |
|---|---|---|
| API checksum: the hex digest of call + query without checksum + securitySalt, the algorithm told by its length (40 sha1, 64 sha256, 96 sha384, 128 sha512), compared without regard to case | bbb-common-web GetChecksumValidator: isValid; ParamsProcessorUtil: isChecksumSame | wrong or missing checksum, another length, or an algorithm that supportedChecksumAlgorithms (default sha1,sha256,sha384,sha512) does not list: FAILED checksumError "Checksums do not match" (HTTP 200) |
| create (GET or POST), duplicate meetingID answers duplicateWarning | ApiController.groovy: create; ParamsProcessorUtil: processCreateParams | no meetingID: FAILED missingParamMeetingID |
| create params record, autoStartRecording, allowStartStopRecording, allowRequestsWithoutSession, guestPolicy; property defaults autoStartRecording=false, allowRequestsWithoutSession=false | bigbluebutton.properties; ParamsProcessorUtil: processCreateParams | - |
| join: 302 to defaultHTML5ClientUrl?sessionToken= (2.x waiting guest: defaultGuestWaitURL) and a JSESSIONID cookie (Secure; SameSite from -Dserver.servlet.session.cookie.same-site) holding the token, or XML with redirect=false | ApiController.groovy: join (session[sessionToken] = sessionToken); application.yml server.servlet.session.cookie.secure | a join that fails validation (wrong checksum, unknown meeting), redirect=false or not: 302 to the logout URL (logoutURL param, else bigbluebutton.web.logoutURL, default serverURL) with errors=[{"key","message"}] (ApiController.groovy: invalid(key, msg, REDIRECT_RESPONSE), respondWithRedirect) |
| bbb-web.log (/var/log/bigbluebutton/bbb-web.log), logback pattern `%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{35} - %msg`: DEBUG `ApiController#<call>` at each API call, ERROR `<constraint message>` per failed validation, INFO ` --analytics-- data={..."logCode":"join_api"...}` per successful join | bigbluebutton-web grails-app/conf/logback.xml; ApiController.groovy: each call's `log.debug CONTROLLER_NAME + "#${API_CALL}"`, validateRequest (`log.error violation.getValue()`), join (analytics logData logCode join_api); bbb-common-web ChecksumConstraint "Checksums do not match", MeetingExistsConstraint "A meeting with that ID does not exist" | - |
| a registered user is not in the meeting: running and participantCount count only users whose client started; getMeetings lists every meeting bbb-web holds, one created that nobody joined too (running false), until it expires meetingExpireIfNoUserJoinedInMinutes (create param, else the property, 5) after its create (users never leave in the lab: meetingExpireWhenLastUserLeftInMinutes is not modelled) | akka-apps: the user joins when the client validates its token (2.x) or sends userJoinMeeting (3.0); ApiController.groovy: getMeetingsHandler (meetingService.getMeetings()); akka-apps MeetingActor: meetingExpireIfNoUserJoinedInMinutes | an API join alone does not make a meeting run |
| the client's start: 2.x GET /bigbluebutton/api/enter?sessionToken= with the JSESSIONID cookie (JSON: meetingID, internalUserID, authToken, customdata = userdata-*), then meteor's validateAuthToken with those, which lets the user join; 3.0 the graphql websocket's connection_init with payload.headers X-Session-Token | ApiController.groovy: enter (reject if !session[sessionToken]); bigbluebutton-html5 join-handler and validateAuthToken (2.x, via akka-apps); bbb-graphql-middleware connection_init (3.0) | enter without the session cookie: FAILED (JSON) unless allowRequestsWithoutSession; unknown token; a client that cannot read enter's answer (CORS) never validates |
| recording marks: a RecordStatusEvent exists only when recording started (autoStartRecording and a user in the meeting) | akka-apps; record-and-playback events.rb: get_start_and_stop_rec_events | - |
| end of a record=true meeting: status/recorded/<id>.done (bbb-web); without marks: status/archived/<id>.norecord, never published; with marks, when the publish delay is over and getRecordings asks: archived/<id>.done, sanity/<id>.done, processed/<id>-presentation.done (.fail for a name with fail-recording: the chain halts, the recording stays processing), published/<id>-presentation.done; getRecordings lists published and unpublished recordings only, unless state= (a list, or any) asks for others; there is no failed state | record-and-playback archive.rb: archive_has_recording_marks?; workers/archive_worker.rb (archived/<id>.done/.norecord/.fail), sanity_worker.rb (sanity/<id>.done), process_worker.rb (processed/<id>-<format>.done/.fail), publish_worker.rb (published/<id>-<format>.done) | getRecordings lists nothing (noRecordings) for a meeting without marks, forever; nor, without state=, one that is still processing or failed |
| GET /bigbluebutton/api/stuns?sessionToken=: the STUN/TURN servers of /etc/bigbluebutton/turn-stun-servers.xml (StunServer url; TurnServer secret, url, ttl; RemoteIceCandidate ip; the beans stunTurnService refers to), read once at startup, the packaged default (stun:stun.l.google.com:19302, no TURN) where the file is missing or the user bigbluebutton cannot read it; TURN credentials username <expiry>:<internalUserID>, password base64(HmacSHA1(secret, username)); Cache-Control: no-cache | ApiController.groovy: stuns; Stuns.java (UserSessionConstraint, MeetingExistsConstraint, MeetingEndedConstraint); grails-app/conf/spring/resources.groovy (turnConfigFile.canRead() else spring/turn-stun-servers.xml); bbb-common-web web/services/turn/StunTurnService.java, TurnServer.java: generatePasswordFor; bbb-web.service User=bigbluebutton | no or unknown sessionToken, an ended meeting, no JSESSIONID session holding the token (unless allowRequestsWithoutSession): JSON FAILED "Could not find conference." (HTTP 200); a file that is not XML: bbb-web does not start |
| GET /api/rest/clientSettings (and /meetingStaticData): token only from the x-session-token header, and the JSESSIONID session must hold it unless allowRequestsWithoutSession; 401 otherwise (nginx's page, the auth_request answer) | build/packages-template/bbb-graphql-middleware/graphql.nginx (auth_request); ConnectionController.groovy: checkGraphqlAuthorization | ?sessionToken= query parameter (401), no cookie (401), unknown token (401) |
| CORS of /api/rest/*: Hasura's, from HASURA_GRAPHQL_CORS_DOMAIN | bbb-graphql-server hasura-config.env / bbb-graphql-server.env | other origins: no Access-Control-Allow-Origin |
| CORS of /bigbluebutton/api: accessControlAllowOrigin; of the rest of /bigbluebutton: -Dgrails.cors.allowedOrigins in JDK_JAVA_OPTIONS | ApiController.groovy (response.addHeader Access-Control-Allow-Origin); grails CORS (application.yml grails.cors) | other origins (preflight 403) |
| 3.0 API root lists graphqlWebsocketUrl, graphqlApiUrl | ApiController.groovy: index | - |
| graphql websocket: same origin or server.authorized_cross_origin (env era: BBB_GRAPHQL_MIDDLEWARE_ORIGIN) | bbb-graphql-middleware websrv (origin check) | other origins: 403 |
| graphql connection_init: payload.headers X-Session-Token, X-ClientSessionUUID, X-ClientType, X-ClientIsMobile (each a string); at most 3 sockets per token; the token checked with bbb-web with the upgrade request's cookies (the join's JSESSIONID session must hold it unless allowRequestsWithoutSession); then connection_ack (Hasura's); what comes before connection_init is dropped | bbb-graphql-middleware internal/websrv/connhandler.go: connectionInitHandler, disconnectWithError; internal/bbb_web/client.go: BBBWebCheckAuthorization; ConnectionController.groovy: checkGraphqlAuthorization | a header missing or not a string (error message param_missing, then close 4403 "X-<Name> header missing on init connection"), a 4th socket (too_many_connections), an unknown token or no session cookie (check_authorization_error), no payload object (close 1011) |
| graphql operations over graphql-transport-ws (subscribe -> next + complete): user_current (authToken, guestStatus, joined, userMetadata = userdata-*), pres_page_curr (svgUrl), user_guest (waiting guests: a moderator the meeting's, anyone else their own row; columns of public_v_user_guest.yaml, the name under `user { name }`), mutation userJoinMeeting(authToken, clientType, clientIsMobile): only then is the user in the meeting (not at connection_init; an approved guest joins when its client sends it), mutation guestUsersSubmitApprovalStatus (moderators only) | bbb-graphql-server metadata (tables/views of those names), bbb-graphql-actions (userJoinMeeting, guestUsersSubmitApprovalStatus); akka-apps UserJoinMeetingReqMsgHdlr; bigbluebutton-html5 3.0 join: mutation UserJoin; lab simplification: a subscription answers once, the stand-in client polls | userJoinMeeting with another user's authToken; a viewer's approval; a selection of a column the role does not have (`user_guest { name }`: "field 'name' not found in type: 'user_guest'") |
| a waiting guest (ASK_MODERATOR) is in the meeting only once a moderator let them in | akka-apps GuestsWaitingApprovedMsgHdlr | - |
| create with a POST body <modules><module name="presentation"><document name="x.pdf">base64</document>: the slide is served at /bigbluebutton/presentation/<internal>/<internal>/<presId>/svg/1 | bigbluebutton-web ApiController.groovy: create (modules); PresentationController: showSvgImage | a document that is not a PDF (no %PDF header): no presentation |
| lab only, loopback: /bigbluebutton/lab/validate-auth-token and /bigbluebutton/lab/current-slide for the 2.x meteor stand-in (akka-apps' answer to validateAuthToken; what akka-apps publishes to meteor's collections) | none upstream: not reachable from outside the node | through nginx or from another address: 404 |
| log file: /var/log/bigbluebutton/bbb-web.log, lines `yyyy-MM-dd'T'HH:mm:ss.SSSXXX LEVEL logger - message`; each API call as `ApiController#<call>` (DEBUG), its query without the checksum, `CHECKSUM=<the client's> length=<n>` (and `SHA256 <ours>` for a 64-character one), a wrong checksum with ours and the client's; create and the end of a meeting as ` --analytics-- data={json}` with meetingId (internal), externalMeetingId, logCode create_meeting / meeting_removed_from_running | bigbluebutton-web grails-app/conf/logback.xml (FILE appender, logs/ -> /var/log/bigbluebutton); ApiController.groovy (log.debug CONTROLLER_NAME + "#${API_CALL}"); bbb-common-web ParamsProcessorUtil: isChecksumSame (and ChecksumValidator); MeetingService: handleCreateMeeting, processRemoveEndedMeeting | - |
| publish writes /var/bigbluebutton/published/presentation/<recordID>/metadata.xml, which the node's nginx serves at /presentation/<recordID>/: root <recording> with id, state published, published true, start_time (the record id's milliseconds), end_time, participants, <meeting id= externalId= name= breakout=/>, <meta> (the create call's meta_* params, names lowercased, with meetingId = external id, meetingName, isBreakout; sorted), <playback> (format presentation, link https://<serverURL host>/playback/presentation/2.3/<recordID>, processing_time and duration in ms) | record-and-playback presentation/scripts/process/presentation.rb (initial metadata.xml: id, state, published, start_time, end_time, participants, meeting, meta); presentation/scripts/publish/presentation.rb (state published, published true, playback format/link/processing_time/duration); bbb-common-web MeetingService: handleCreateMeeting (TreeMap of the metadata plus meetingId, meetingName, isBreakout); ParamsProcessorUtil: processMetaParam (meta_[a-zA-Z][a-zA-Z0-9-]*, lowercased); presentation.nginx | - |
| after a format's publish succeeded, each `*.rb` of the post_publish directory (--post-scripts-dir, default /usr/local/bigbluebutton/core/scripts/post_publish), sorted, with `-m <recordID> -f presentation`; a script's failure (exit status not 0, or no run at all) is a warning on stderr only, the recording stays published. Lab differences: upstream runs `ruby <script>`, the lab has no Ruby - the double runs the interpreter of the script's `#!` line; it runs them as the double's user (root), upstream as bbb-rap-resque-worker's (bigbluebutton); outside the double's lock, after the pipeline's round, each with a timeout (--post-script-timeout, default 300 s) | record-and-playback core/lib/recordandplayback/workers/publish_worker.rb: perform (run_post_scripts(@post_scripts_path) when step_succeeded; @post_scripts_path = scripts/post_publish); workers/base_worker.rb: run_post_scripts (Dir.glob('*.rb').sort, '-m', @meeting_id, '-f', @format_name; @logger.warn "Post publish script ... failed"), run_script (BigBlueButton.exec_ret('ruby', script, *args)) | - |

The secret is never logged or returned.
"""

from __future__ import annotations

import argparse
import base64
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlparse
from xml.sax.saxutils import escape

try:
    import yaml
except ImportError:  # pragma: no cover - the lab image has python3-yaml
    yaml = None

_REF = re.compile(r"\$\{([^}]+)\}")
_LOCK = threading.Lock()
_LOG_LOCK = threading.Lock()


def read_properties(*paths):
    values = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.lstrip().startswith(("#", "!")) or "=" not in line:
                continue
            key, _unused, value = line.partition("=")
            values[key.strip()] = value.strip()

    def resolve(value, depth=0):
        if depth > 10:
            return value
        return _REF.sub(lambda m: resolve(values.get(m.group(1), ""), depth + 1), value)

    return {key: resolve(value) for key, value in values.items()}


def merge(base, extra):
    """Maps merge, everything else replaces (as BBB merges bbb-html5.yml)."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return extra
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out.get(key), value) if key in out else value
    return out


def cors_origins(environ):
    options = environ.get("JDK_JAVA_OPTIONS", "")
    if "-Dgrails.cors.enabled=true" not in options.split():
        return []
    match = re.search(r"-Dgrails\.cors\.allowedOrigins=(\S+)", options)
    return match.group(1).split(",") if match else []


# bigbluebutton-web grails-app/conf/spring/resources.groovy: the Spring context imports
# /etc/bigbluebutton/turn-stun-servers.xml if bbb-web can read it (turnConfigFile.canRead(): as the user
# bbb-web.service runs as, User=bigbluebutton), else the packaged spring/turn-stun-servers.xml, whose only server is
# the bean stun1, stun:stun.l.google.com:19302. Read once, when the context starts (a change needs a restart).
PACKAGED_STUN_TURN = {"stun": ["stun:stun.l.google.com:19302"], "turn": [], "candidates": []}
BBB_WEB_USER = "bigbluebutton"  # build/packages-template/bbb-web/bbb-web.service: User=bigbluebutton


def readable_as(path, user):
    """Whether `user` may read `path` by its mode bits (the lab's double runs as root; bbb-web does not)."""
    try:
        info = os.stat(path)
        account = pwd.getpwnam(user)
    except KeyError:
        return os.access(path, os.R_OK)  # no such user here (unit tests): this process's view
    except OSError:
        return False
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    if info.st_uid == account.pw_uid:
        return bool(info.st_mode & stat.S_IRUSR)
    if info.st_gid in groups:
        return bool(info.st_mode & stat.S_IRGRP)
    return bool(info.st_mode & stat.S_IROTH)


def read_stun_turn(path, user=BBB_WEB_USER):
    """The STUN and TURN servers of the Spring beans file as bbb-web loads it (resources.groovy): the bean
    stunTurnService (class org.bigbluebutton.web.services.turn.StunTurnService) and the beans its properties
    stunServers, turnServers, remoteIceCandidates refer to: StunServer(url), TurnServer(secret, url, ttl),
    RemoteIceCandidate(ip) (bbb-common-web web/services/turn/*.java). A file that is not well-formed XML stops the
    context: bbb-web does not start (raised here)."""
    if not os.path.exists(path) or not readable_as(path, user):
        return dict(PACKAGED_STUN_TURN, source="packaged")
    beans = {}
    for bean in ET.parse(path).getroot().iter():
        if bean.tag.rsplit("}", 1)[-1] != "bean":
            continue
        args, props = {}, {}
        for position, child in enumerate(bean):
            name = child.tag.rsplit("}", 1)[-1]
            if name == "constructor-arg":
                args[int(child.get("index", position))] = child.get("value", "")
            elif name == "property":
                props[child.get("name", "")] = [ref.get("bean", "") for ref in child.iter() if ref.tag.endswith("ref")]
        beans[bean.get("id", "")] = (bean.get("class", ""), args, props)
    service = next((b for b in beans.values() if b[0].endswith(".StunTurnService")), None)
    if service is None:
        return {"stun": [], "turn": [], "candidates": [], "source": path}

    def referred(prop, kind):
        return [beans[ref][1] for ref in service[2].get(prop, []) if ref in beans and beans[ref][0].endswith(kind)]

    return {
        "stun": [args.get(0, "") for args in referred("stunServers", ".StunServer")],
        "turn": [
            {"secret": args.get(0, ""), "url": args.get(1, ""), "ttl": int(args.get(2, "86400") or 86400)}
            for args in referred("turnServers", ".TurnServer")
        ],
        "candidates": [args.get(0, "") for args in referred("remoteIceCandidates", ".RemoteIceCandidate")],
        "source": path,
    }


def turn_credentials(secret, user_id, ttl, now=None):
    """TurnServer.generatePasswordFor: username <expiry>:<userId>, password base64(HmacSHA1(secret, username))."""
    username = f"{int((time.time() if now is None else now) + ttl)}:{user_id}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, password


def graphql_authorized_origin(config_path, override_path, env_path):
    """The host bbb-graphql-middleware accepts cross-origin websockets from ('' for none)."""
    settings = {}
    for path in (config_path, override_path):
        if path and os.path.exists(path) and yaml is not None:
            with open(path, encoding="utf-8") as handle:
                settings = merge(settings, yaml.safe_load(handle) or {})
    origin = str((settings.get("server") or {}).get("authorized_cross_origin") or "")
    if not origin and env_path:
        origin = read_properties(env_path).get("BBB_GRAPHQL_MIDDLEWARE_ORIGIN", "")
    return origin.strip().strip("'\"")


# bbb-common-web GetChecksumValidator.isValid: the algorithm by the checksum's length; bigbluebutton.properties
# supportedChecksumAlgorithms=sha1,sha256,sha384,sha512 by default.
CHECKSUM_LENGTHS = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
DEFAULT_ALGORITHMS = "sha1,sha256,sha384,sha512"

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


# bbb-graphql-middleware internal/websrv/connhandler.go, connectionInitHandler: payload.headers must hold these, each a
# JSON string (Go's `.(string)` ok-form: another type counts as missing), checked in this order.
GRAPHQL_INIT_HEADERS = ("X-Session-Token", "X-ClientSessionUUID", "X-ClientType", "X-ClientIsMobile")
GRAPHQL_MAX_CONNECTIONS_PER_TOKEN = 3  # config.yml server.max_connections_per_session_token


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


def xml(**fields):
    def render(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "".join(render(item) for item in value)
        if isinstance(value, dict):
            return "".join(f"<{k}>{render(v)}</{k}>" for k, v in value.items())
        return escape(str(value))

    return f"<response>{render(fields)}</response>"


class State:
    def __init__(self, args):
        self.args = args
        self.meetings = {}
        self.sessions = {}  # sessionToken -> the user registered by join
        self.graphql_connections = {}  # sessionToken -> open graphql websockets of it
        self.http_sessions = {}  # JSESSIONID -> the sessionTokens that servlet session holds
        os.makedirs(args.state_dir, exist_ok=True)
        self.recordings_file = os.path.join(args.state_dir, "recordings.json")
        self.post_publish_due = []  # (recordID, format) published in this round: publish_worker's run_post_scripts
        self.stun_turn = read_stun_turn(args.turn_config)  # once, as the Spring context loads it

    def config(self):
        return read_properties(self.args.properties, self.args.override)

    def hasura_cors_origins(self):
        """Hasura's HASURA_GRAPHQL_CORS_DOMAIN (package default, then the role's env file; later wins)."""
        value = read_properties(*self.args.graphql_server_env).get("HASURA_GRAPHQL_CORS_DOMAIN", "")
        return [origin.strip() for origin in value.strip().strip("'\"").split(",") if origin.strip()]

    def expire_unjoined(self, config):
        """akka-apps MeetingActor (meetingExpireIfNoUserJoinedInMinutes): a meeting nobody joined ends that many
        minutes after its create; bbb-web then drops it (MeetingService.processRemoveEndedMeeting)."""
        now = time.time()
        for meeting_id, meeting in list(self.meetings.items()):
            minutes = meeting.get("expireIfNoUserJoined", 5.0)
            if not meeting["attendees"] and now - meeting["created"] / 1000 > minutes * 60:
                del self.meetings[meeting_id]

    def make_present(self, token):
        """The user's client started: the user is in the meeting; with autoStartRecording the recording starts."""
        user = self.sessions.get(token)
        meeting = self.meetings.get(user["meeting"]) if user else None
        if meeting is None or user["present"] or user["attendee"]["guestStatus"] != "ALLOW":
            return
        user["present"] = True
        meeting["attendees"].append(user["attendee"])
        if meeting["record"] and meeting["autoStartRecording"]:
            meeting["marks"] = True  # a RecordStatusEvent (recording started)

    def family(self):
        try:
            with open(self.args.release_file, encoding="utf-8") as handle:
                return "3.0" if "BIGBLUEBUTTON_RELEASE=3." in handle.read() else "2.x"
        except OSError:
            return "3.0"

    def recordings(self):
        try:
            with open(self.recordings_file, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def save_recordings(self, recordings):
        tmp = self.recordings_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(recordings, handle, indent=2)
        os.replace(tmp, self.recordings_file)

    def rap_running(self, unit):
        """Whether a recording unit runs (systemd's view in the lab; --rap-units none: always, for unit tests)."""
        if self.args.rap_units == "none":
            return True
        done = subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False)  # noqa: S603, S607
        return done.returncode == 0

    def publish_due(self):
        """Move recordings through the pipeline, with BBB's status markers, as far as the recording units run:
        rap-starter.rb (bbb-rap-starter) makes raw/<id>/ and deletes recorded/<id>.done as soon as it queued the
        archive job; the workers of bbb-rap-resque-worker archive and check at once, then, after the processing time
        (--publish-delay), process and publish - or fail the process step (a meeting named with fail-recording):
        processed/<id>-presentation.fail, the chain halts (base_worker.rb), the recording stays processing."""
        recordings = self.recordings()
        status = os.path.join(self.args.recording_dir, "recording", "status")
        changed = False

        def touch(target):
            os.makedirs(os.path.join(status, os.path.dirname(target)), exist_ok=True)
            with open(os.path.join(status, target), "w", encoding="utf-8"):
                pass

        starter = worker = None
        for record_id, rec in recordings.items():
            if rec["state"] != "processing" or rec.get("failed"):
                continue
            stage = rec.get("stage", "archived")  # a recording of an earlier double: archived
            if stage == "recorded":
                starter = self.rap_running("bbb-rap-starter.service") if starter is None else starter
                if not starter:
                    continue
                os.makedirs(os.path.join(self.args.recording_dir, "recording", "raw", record_id), exist_ok=True)
                try:
                    os.remove(os.path.join(status, "recorded", record_id + ".done"))
                except OSError:
                    pass
                rec["stage"] = stage = "queued"
                changed = True
            worker = self.rap_running("bbb-rap-resque-worker.service") if worker is None else worker
            if not worker:
                continue
            if stage == "queued":
                touch(f"archived/{record_id}.done")  # archive_worker.rb
                touch(f"sanity/{record_id}.done")  # sanity_worker.rb
                rec["stage"] = stage = "archived"
                changed = True
            if stage == "archived" and time.time() >= rec["ended"] + self.args.publish_delay:
                failed = "fail-recording" in rec["name"]
                touch(f"processed/{record_id}-presentation." + ("fail" if failed else "done"))  # process_worker.rb
                rec["failed"] = failed
                if not failed:
                    published = os.path.join(self.args.recording_dir, "published", "presentation", record_id)
                    os.makedirs(published, exist_ok=True)
                    with open(os.path.join(published, "metadata.xml"), "w", encoding="utf-8") as handle:
                        handle.write(self.metadata_xml(record_id, rec))  # publish/presentation.rb
                    touch(f"published/{record_id}-presentation.done")  # publish_worker.rb
                    rec["state"] = "published"
                    self.post_publish_due.append((record_id, "presentation"))  # run_post_scripts, after the lock
                rec["stage"] = "done"
                changed = True
        if changed:
            self.save_recordings(recordings)
        return recordings

    def metadata_xml(self, record_id, rec):
        """metadata.xml of a published presentation: the process script's (id, state, published, start_time,
        end_time, participants, the events' <meeting>, meta) as the publish script leaves it (state published,
        published true, <playback> added). A recording of an earlier double lacks start, participants and meta."""
        root = ET.Element("recording")
        start = int(rec.get("start") or record_id.rsplit("-", 1)[-1] or 0)  # the record id's milliseconds
        end = int(rec["ended"] * 1000)
        for key, value in (
            ("id", record_id),
            ("state", "published"),
            ("published", "true"),
            ("start_time", start),
            ("end_time", end),
            ("participants", rec.get("participants", 0)),
        ):
            ET.SubElement(root, key).text = str(value)
        ET.SubElement(root, "meeting", id=record_id, externalId=rec["meetingID"], name=rec["name"], breakout="false")
        meta = ET.SubElement(root, "meta")
        # MeetingService.handleCreateMeeting: a TreeMap of the meta params and meetingId, meetingName, isBreakout
        values = {**rec.get("meta", {}), "meetingId": rec["meetingID"], "meetingName": rec["name"]}
        values["isBreakout"] = "false"
        for key in sorted(values):
            ET.SubElement(meta, key).text = values[key]
        playback = ET.SubElement(root, "playback")
        host = urlparse(self.config().get("bigbluebutton.web.serverURL", "")).hostname or "localhost"
        for key, value in (
            ("format", "presentation"),
            ("link", f"https://{host}/playback/presentation/2.3/{record_id}"),  # playback_protocol://playback_host
            ("processing_time", int(max(time.time() - rec["ended"], 0) * 1000)),
            ("duration", max(end - start, 0)),  # events.rb get_recording_length: the recorded time
        ):
            ET.SubElement(playback, key).text = str(value)
        return ET.tostring(root, encoding="unicode") + "\n"

    def pipeline_step(self):
        """One round of the recording units: the pipeline under the lock, then, outside it, publish_worker's
        run_post_scripts for each format published in the round (a script may take its time: a tar, a transfer)."""
        with _LOCK:
            try:
                self.publish_due()
            except OSError as error:
                sys.stderr.write(f"bbb-web-double: recording pipeline: {error}\n")
            due, self.post_publish_due = self.post_publish_due, []
        for record_id, format_name in due:
            self.run_post_scripts(record_id, format_name)

    def run_post_scripts(self, record_id, format_name):
        """base_worker.rb run_post_scripts: every *.rb of the directory, sorted, `-m <id> -f <format>`; a script
        that fails is logged as a warning and the next one runs. Upstream runs `ruby <script>`; the lab has no Ruby,
        so the double runs the interpreter the script's #! line names."""
        directory = self.args.post_scripts_dir
        try:
            scripts = sorted(n for n in os.listdir(directory) if n.endswith(".rb") and not n.startswith("."))  # glob
        except OSError:
            return  # Dir.glob of a missing directory: nothing to run
        for name in scripts:
            script = os.path.join(directory, name)
            post_type = name[: -len(".rb")]
            sys.stderr.write(f"bbb-web-double: Running post publish script {post_type}\n")
            try:
                with open(script, "rb") as handle:
                    first = handle.readline().decode(errors="replace")
                if not first.startswith("#!") or not first[2:].split():
                    raise OSError("no #! line (upstream runs it with ruby, which the lab has not)")
                command = first[2:].split() + [script, "-m", record_id, "-f", format_name]
                done = subprocess.run(  # noqa: S603 - the node's own post_publish scripts, as the rap worker runs them
                    command,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.args.post_script_timeout,
                    check=False,
                )
                output = (done.stdout + done.stderr).decode(errors="replace")
                succeeded = done.returncode == 0
            except (OSError, subprocess.SubprocessError) as error:
                output, succeeded = f"{error}\n", False
            for line in output.splitlines():
                sys.stderr.write(f"bbb-web-double: {post_type}: {line}\n")
            if not succeeded:
                sys.stderr.write(f"bbb-web-double: WARN Post publish script {script}/{post_type} failed\n")


def logback_line(level, logger, message, now=None):
    """One line of bbb-web's logback pattern %d{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX"} %-5level %logger{35} - %msg%n."""
    now = time.time() if now is None else now
    local = time.localtime(now)
    offset = local.tm_gmtoff
    zone = (
        "Z" if offset == 0 else f"{'-' if offset < 0 else '+'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", local) + f".{int(now % 1 * 1000):03d}" + zone
    return f"{stamp} {level:<5} {logger} - {message}\n"


def analytics(meeting, log_code, description):
    """MeetingService's ' --analytics-- data={}' line of a meeting (Gson of a HashMap)."""
    data = {
        "meetingId": meeting["internal"],
        "externalMeetingId": meeting["id"],
        "name": meeting["name"],
        "record": meeting["record"],
        "logCode": log_code,
        "description": description,
    }
    return " --analytics-- data=" + json.dumps(data, separators=(",", ":"))


class Handler(BaseHTTPRequestHandler):
    state: State

    def bbb_log(self, level, logger, message):
        """Append to bbb-web's log file as logback does (never the secret: callers pass no secret)."""
        path = self.state.args.log_file
        if not path:
            return
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with _LOG_LOCK, open(path, "a", encoding="utf-8") as handle:
                handle.write(logback_line(level, logger, message))
        except OSError:
            pass

    def api_failed(self, call, params, config, key, message):
        """ApiController: validateRequest logs the violation; join redirects to the logout URL with errors=."""
        self.bbb_log("ERROR", "o.b.w.controllers.ApiController", message)
        if call != "join":
            self.send(200, xml(returncode="FAILED", messageKey=key, message=message))
            return
        logout = params.get("logoutURL") or config.get("bigbluebutton.web.logoutURL", "default")
        if logout == "default":
            logout = config.get("bigbluebutton.web.serverURL", "")
        errors = json.dumps([{"key": key, "message": message}], separators=(",", ":"))
        target = logout + ("&" if "?" in logout else "?") + "errors=" + quote(errors, safe=":,")
        self.send(302, "", "text/plain", {"Location": target})

    def log_message(self, fmt, *args):
        line = re.sub(r"checksum=[0-9a-fA-F]+", "checksum=***", fmt % args)
        sys.stderr.write(f"bbb-web-double: {line}\n")

    def send(self, status, body, content_type="text/xml", headers=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        origin = self.headers.get("Origin")
        if origin and origin in self.allowed_origins():
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def allowed_origins(self):
        """The API answers with accessControlAllowOrigin (bbb-web's API controller); everything else under
        /bigbluebutton (presentation upload, ...) with grails' CORS origins from JDK_JAVA_OPTIONS."""
        path = urlparse(self.path).path
        if path.startswith("/api/rest/"):
            return self.state.hasura_cors_origins()
        if path.startswith("/bigbluebutton/api"):
            return list(filter(None, [self.state.config().get("accessControlAllowOrigin", "")]))
        return cors_origins(os.environ)

    def jsessionid(self):
        """The request's JSESSIONID cookie, if it names a servlet session bbb-web knows (else None)."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "JSESSIONID" and value in self.state.http_sessions:
                return value
        return None

    def session_tokens(self):
        """The sessionTokens of the servlet session named by the request's JSESSIONID cookie."""
        return self.state.http_sessions.get(self.jsessionid(), set())

    def allow_without_session(self, token):
        """MeetingService.getAllowRequestsWithoutSession: the meeting's create param, else the property."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        return bool(meeting and meeting["allowRequestsWithoutSession"])

    def do_OPTIONS(self):  # noqa: N802 (http.server API)
        origin = self.headers.get("Origin")
        if not origin or origin not in self.allowed_origins():
            self.send(403, "", "text/plain")
            return
        requested = self.headers.get("Access-Control-Request-Headers", "")
        self.send(
            200,
            "",
            "text/plain",
            {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": requested},
        )

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def do_POST(self):  # noqa: N802
        self.do_GET()

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        path = url.path.rstrip("/")
        if path == "/graphql" and self.state.family() == "3.0":
            self.graphql_websocket()
            return
        with _LOCK:
            if path == "/bigbluebutton/api":
                self.send(200, self.api_root())
            elif path == "/bigbluebutton/api/stuns":
                self.stuns(dict(parse_qsl(url.query)).get("sessionToken", "").strip())
            elif path.startswith("/bigbluebutton/lab/") and (
                self.client_address[0] != "127.0.0.1" or self.headers.get("X-Forwarded-For")
            ):
                self.send(404, "not found", "text/plain")  # lab-only endpoints: from the node's own meteor only
            elif path == "/bigbluebutton/lab/current-slide":
                self.current_slide(dict(parse_qsl(url.query)).get("sessionToken", ""))
            elif path == "/bigbluebutton/lab/validate-auth-token":
                self.validate_auth_token(dict(parse_qsl(url.query)))
            elif path.startswith("/bigbluebutton/presentation/") and "/svg/" in path:
                self.slide(path)
            elif path == "/bigbluebutton/api/enter":
                self.enter(dict(parse_qsl(url.query)).get("sessionToken", "").strip())
            elif path.startswith("/bigbluebutton/api/"):
                self.api(path.rsplit("/", 1)[1], url.query)
            elif path in ("/api/rest/clientSettings", "/api/rest/meetingStaticData") and self.state.family() == "3.0":
                # nginx's auth_request to checkGraphqlAuthorization: the token comes from the header only
                self.client_settings(self.headers.get("x-session-token", ""), path.rsplit("/", 1)[1])
            else:
                self.send(404, "not found", "text/plain")

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
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket_accept(self.headers["Sec-WebSocket-Key"]))
        if "graphql-transport-ws" in self.headers.get("Sec-WebSocket-Protocol", ""):
            self.send_header("Sec-WebSocket-Protocol", "graphql-transport-ws")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.graphql_token = None
        try:
            self.graphql_messages()
        finally:
            if self.graphql_token is not None:
                with _LOCK:
                    self.state.graphql_connections[self.graphql_token] -= 1

    def graphql_messages(self):
        """The messages of one graphql websocket, after the upgrade."""
        token = None
        while True:
            opcode, payload = read_websocket_frame(self.rfile)
            if opcode is None or opcode == 0x8:
                return
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
                with _LOCK:
                    data, errors = self.graphql_operation(token, message.get("payload") or {})
                answer = {"data": data} if errors is None else {"errors": [{"message": errors}]}
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
                with _LOCK:
                    if self.state.graphql_connections.get(headers[name], 0) >= GRAPHQL_MAX_CONNECTIONS_PER_TOKEN:
                        return "too_many_connections", "too many connections", 4403
        token = headers["X-Session-Token"]
        with _LOCK:
            if token not in self.state.sessions or (
                token not in self.session_tokens() and not self.allow_without_session(token)
            ):
                return "check_authorization_error", "error on trying to check authorization", 4403
            self.state.graphql_connections[token] = self.state.graphql_connections.get(token, 0) + 1
            self.graphql_token = token
        return None

    def graphql_operation(self, token, payload):
        """(data, None) or (None, error) for the few operations the stand-in client uses."""
        user = self.state.sessions.get(token or "")
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        if meeting is None:
            return None, "not authorized: connection_init without a valid X-Session-Token"
        query = payload.get("query") or ""
        moderator = user["attendee"]["role"] == "MODERATOR"
        guests = [u for u in self.state.sessions.values() if u["meeting"] == meeting["id"] and u["attendee"]["isGuest"]]
        if "guestUsersSubmitApprovalStatus" in query:
            if not moderator:
                return None, "guestUsersSubmitApprovalStatus: the user is not a moderator"
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
            }
            return {"user_current": [current]}, None
        if "pres_page_curr" in query:
            base = self.state.config().get("bigbluebutton.web.serverURL", "")
            pres = meeting.get("presentation") or "default"
            url = f"{base}/bigbluebutton/presentation/{meeting['internal']}/{meeting['internal']}/{pres}/svg/1"
            return {"pres_page_curr": [{"presentationId": pres, "num": 1, "svgUrl": url}]}, None
        return None, "unsupported operation in the lab double"

    def validate_auth_token(self, query):
        """Lab only, on loopback: meteor's validateAuthToken (2.x), which akka-apps answers by letting the user join."""
        token = next(
            (
                t
                for t, u in self.state.sessions.items()
                if u["internalUserID"] == query.get("userId")
                and u["authToken"] == query.get("authToken")
                and self.state.meetings.get(u["meeting"], {}).get("internal") == query.get("meetingId")
            ),
            None,
        )
        if token is None:
            self.send(200, json.dumps({"valid": False}), "application/json")
            return
        self.state.make_present(token)
        self.send(200, json.dumps({"valid": True}), "application/json")

    def current_slide(self, token):
        """Lab only, on loopback: the current slide of the user's meeting, as akka-apps publishes it to meteor (2.x)."""
        data, error = self.graphql_operation(token, {"query": "pres_page_curr"})
        if error:
            self.send(404, json.dumps({"error": error}), "application/json")
            return
        self.send(200, json.dumps(data["pres_page_curr"][0]), "application/json")

    def slide(self, path):
        """PresentationController.showSvgImage: /bigbluebutton/presentation/<conference>/<room>/<pres>/svg/<page>."""
        parts = path.split("/")
        meeting = next((m for m in self.state.meetings.values() if m["internal"] == parts[3]), None)
        if meeting is None or parts[5] != (meeting.get("presentation") or "default") or parts[7] != "1":
            self.send(404, "not found", "text/plain")
            return
        label = escape(meeting.get("presentation_name") or "default.pdf")
        body = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><text x="20" y="40">{label}</text></svg>'
        )
        self.send(200, body, "image/svg+xml")

    def api_root(self):
        """BBB 3.0's API root also tells the client where graphql is (graphqlWebsocketUrl, graphqlApiUrl)."""
        fields = {"returncode": "SUCCESS", "version": "2.0"}
        if self.state.family() == "3.0":
            config = self.state.config()
            for key in ("graphqlWebsocketUrl", "graphqlApiUrl"):
                if key in config:
                    fields[key] = config[key]
        return xml(**fields)

    def unauthorized(self):
        """nginx's own 401 page: auth_request passes a 401 of the subrequest to the client."""
        self.send(
            401,
            "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
            "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            "text/html",
        )

    def enter(self, token):
        """2.x client start (join-handler): needs the JSESSIONID session that join created (ApiController.enter)."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        if meeting is None or (token not in self.session_tokens() and not self.allow_without_session(token)):
            body = {"returncode": "FAILED", "message": "Could not find conference.", "logoutURL": "/"}
            self.send(200, json.dumps({"response": body}), "application/json")
            return
        attendee = user["attendee"]
        body = {
            "returncode": "SUCCESS",
            "fullname": attendee["fullName"],
            "confname": meeting["name"],
            "meetingID": meeting["internal"],
            "externMeetingID": meeting["id"],
            "internalUserID": user["internalUserID"],
            "authToken": user["authToken"],
            "role": attendee["role"],
            "guest": str(attendee["isGuest"]).lower(),
            "guestStatus": attendee["guestStatus"],
            "customdata": [{key: value} for key, value in user["userdata"].items()],
        }
        self.send(200, json.dumps({"response": body}), "application/json")

    def stuns(self, token):
        """ApiController.stuns: the session's user (Stuns: UserSessionConstraint, MeetingExistsConstraint,
        MeetingEndedConstraint) and hasValidSession; the servers of the file read at startup; TURN credentials per
        user (StunTurnService.getStunAndTurnServersFor)."""
        user = self.state.sessions.get(token)
        meeting = self.state.meetings.get(user["meeting"]) if user else None
        headers = {"Cache-Control": "no-cache"}
        if meeting is None or (token not in self.session_tokens() and not self.allow_without_session(token)):
            logout = self.state.config().get("bigbluebutton.web.logoutURL", "default")
            body = {"returncode": "FAILED", "message": "Could not find conference.", "logoutURL": logout}
            self.send(200, json.dumps(body), "application/json", headers)
            return
        servers = self.state.stun_turn
        turns = []
        for turn in servers["turn"]:
            username, password = turn_credentials(turn["secret"], user["internalUserID"], turn["ttl"])
            turns.append({"username": username, "password": password, "url": turn["url"], "ttl": turn["ttl"]})
        body = {
            "stunServers": [{"url": url} for url in servers["stun"]],
            "turnServers": turns,
            "remoteIceCandidates": [{"ip": ip} for ip in servers["candidates"]],
        }
        self.send(200, json.dumps(body), "application/json", headers)

    def client_settings(self, token, endpoint="clientSettings"):
        if token not in self.state.sessions or (
            token not in self.session_tokens() and not self.allow_without_session(token)
        ):
            self.unauthorized()
            return
        settings = {}
        for path in (self.state.args.html5_defaults, self.state.args.html5_override):
            if path and os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    settings = merge(settings, yaml.safe_load(handle) or {})
        if endpoint == "meetingStaticData":
            body = {"meeting": [{"clientSettings": {"clientSettingsJson": settings}}]}
        else:
            body = {"meeting_clientSettings": [{"clientSettingsJson": settings}]}
        self.send(200, json.dumps(body), "application/json")

    def api(self, call, query):
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if self.command == "POST" and length else b""
        config = self.state.config()
        params = dict(parse_qsl(query, keep_blank_values=True))
        unsigned = "&".join(part for part in query.split("&") if not part.startswith("checksum="))
        given = params.get("checksum", "")
        # GetChecksumValidator.isValid / ParamsProcessorUtil.isChecksumSame: the length tells the algorithm, which
        # must be one supportedChecksumAlgorithms lists; the hex digest is compared without regard to case.
        algorithm = CHECKSUM_LENGTHS.get(len(given), "")
        supported = [
            a.strip().lower() for a in config.get("supportedChecksumAlgorithms", DEFAULT_ALGORITHMS).split(",")
        ]
        ours = ""
        if algorithm in supported:
            ours = hashlib.new(algorithm, (call + unsigned + config.get("securitySalt", "")).encode()).hexdigest()
        self.bbb_log("DEBUG", "o.b.w.controllers.ApiController", f"ApiController#{call}")
        self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"query string after checksum removed: [{unsigned}]")
        self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"CHECKSUM={given} length={len(given)}")
        if algorithm == "sha256" and ours:
            self.bbb_log("INFO", "o.b.api.ParamsProcessorUtil", f"SHA256 {ours}")
        if not ours or ours != given.lower():
            self.bbb_log(
                "INFO",
                "o.b.api.ParamsProcessorUtil",
                f"checksumError: query string checksum failed. our: [{ours}], client: [{given}]",
            )
            self.api_failed(call, params, config, "checksumError", "Checksums do not match")
            return
        self.state.expire_unjoined(config)
        handler = getattr(self, "call_" + call, None)
        if handler is None:
            self.send(
                200, xml(returncode="FAILED", messageKey="unsupportedRequest", message="This request is not supported.")
            )
            return
        handler(params, config)

    def meeting_or_fail(self, params, call="", config=None):
        meeting = self.state.meetings.get(params.get("meetingID", ""))
        if meeting is None:
            self.api_failed(call, params, config or {}, "notFound", "A meeting with that ID does not exist")
        return meeting

    @staticmethod
    def meeting_xml(meeting):
        return {
            "meetingName": meeting["name"],
            "meetingID": meeting["id"],
            "internalMeetingID": meeting["internal"],
            "createTime": meeting["created"],
            "running": bool(meeting["attendees"]),
            "recording": meeting["record"],
            "participantCount": len(meeting["attendees"]),
            "moderatorCount": sum(1 for a in meeting["attendees"] if a["role"] == "MODERATOR"),
            "attendees": [{"attendee": a} for a in meeting["attendees"]],
        }

    def call_create(self, params, config):
        meeting_id = params.get("meetingID")
        if not meeting_id:
            self.send(
                200,
                xml(returncode="FAILED", messageKey="missingParamMeetingID", message="You must specify a meeting ID"),
            )
            return
        existing = self.state.meetings.get(meeting_id)
        if existing:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    meetingID=meeting_id,
                    internalMeetingID=existing["internal"],
                    messageKey="duplicateWarning",
                ),
            )
            return

        def flag(name):
            """A create param when given (Boolean.parseBoolean), else the property."""
            return (params.get(name) or config.get(name, "false")).strip().lower() == "true"

        meeting = {
            "id": meeting_id,
            "name": params.get("name", meeting_id),
            "internal": secrets.token_hex(20),
            "created": int(time.time() * 1000),
            # create param, else the property (bigbluebutton.properties: 5)
            "expireIfNoUserJoined": float(
                params.get("meetingExpireIfNoUserJoinedInMinutes")
                or config.get("meetingExpireIfNoUserJoinedInMinutes", "5")
            ),
            "record": params.get("record", "false") == "true",
            "autoStartRecording": flag("autoStartRecording"),
            "allowRequestsWithoutSession": flag("allowRequestsWithoutSession"),
            "marks": False,
            # ParamsProcessorUtil.processMetaParam: meta_[a-zA-Z][a-zA-Z0-9-]* params, the name lowercased
            "meta": {
                key[len("meta_") :].lower(): value
                for key, value in params.items()
                if re.fullmatch(r"meta_[a-zA-Z][a-zA-Z0-9-]*", key)
            },
            **self.presentation_from(getattr(self, "body", b"")),
            "guestPolicy": params.get("guestPolicy", config.get("defaultGuestPolicy", "ALWAYS_ACCEPT")),
            "attendees": [],
        }
        self.state.meetings[meeting_id] = meeting
        self.bbb_log("INFO", "o.b.api.MeetingService", analytics(meeting, "create_meeting", "Create meeting."))
        self.send(
            200,
            xml(
                returncode="SUCCESS",
                meetingID=meeting_id,
                internalMeetingID=meeting["internal"],
                createTime=meeting["created"],
                hasBeenForciblyEnded=False,
            ),
        )

    @staticmethod
    def presentation_from(body):
        """The first PDF document of <modules><module name="presentation"> in a create POST body (inline base64)."""
        if not body:
            return {}
        try:
            root = ET.fromstring(body)  # noqa: S314 - the lab's own requests
        except ET.ParseError:
            return {}
        for document in root.findall("./module[@name='presentation']/document"):
            try:
                data = base64.b64decode((document.text or "").strip(), validate=True)
            except ValueError:
                continue
            if data.startswith(b"%PDF"):
                digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - an id, as bbb-web's
                return {
                    "presentation": f"{digest}-{int(time.time() * 1000)}",
                    "presentation_name": document.get("name", ""),
                }
        return {}

    def call_join(self, params, config):
        meeting = self.meeting_or_fail(params, "join", config)
        if meeting is None:
            return
        role = params.get("role", "VIEWER").upper()
        guest = params.get("guest", "false") == "true"
        waiting = guest and meeting["guestPolicy"] == "ASK_MODERATOR"
        token = secrets.token_hex(8)
        self.state.sessions[token] = {
            "meeting": meeting["id"],
            "present": False,
            "internalUserID": "w_" + secrets.token_hex(6),
            "authToken": secrets.token_hex(6),
            "userdata": {
                key[len("userdata-") :]: value for key, value in params.items() if key.startswith("userdata-")
            },
            "attendee": {
                "fullName": params.get("fullName", ""),
                "role": role,
                "isGuest": guest,
                "guestStatus": "WAIT" if waiting else "ALLOW",
            },
        }
        # the servlet session of this client (its JSESSIONID cookie, if bbb-web knows it) holds the token
        jsessionid = self.jsessionid()
        cookie = {}
        if jsessionid is None:
            jsessionid = secrets.token_hex(16).upper()
            same_site = re.search(
                r"-Dserver\.servlet\.session\.cookie\.same-site=(\w+)", os.environ.get("JDK_JAVA_OPTIONS", "")
            )
            cookie = {
                "Set-Cookie": f"JSESSIONID={jsessionid}; Path=/; Secure; HttpOnly"
                + (f"; SameSite={same_site.group(1).capitalize()}" if same_site else "")
            }
        self.state.http_sessions.setdefault(jsessionid, set()).add(token)
        base = config.get("defaultHTML5ClientUrl", "")
        if waiting and self.state.family() == "2.x":
            base = config.get("defaultGuestWaitURL", base)
        target = base + ("&" if "?" in base else "?") + "sessionToken=" + token
        analytics = {"meetingid": meeting["internal"], "extMeetingid": meeting["id"], "logCode": "join_api"}
        self.bbb_log(
            "INFO",
            "o.b.w.controllers.ApiController",
            " --analytics-- data=" + json.dumps(analytics, separators=(",", ":")),
        )
        if params.get("redirect", "true") == "true":
            self.send(302, "", "text/plain", {"Location": target, **cookie})
        else:
            self.send(
                200,
                xml(returncode="SUCCESS", session_token=token, url=target, guestStatus="WAIT" if waiting else "ALLOW"),
                headers=cookie,
            )

    def call_getMeetings(self, params, config):  # noqa: N802 (BBB API name)
        # ApiController.getMeetingsHandler: meetingService.getMeetings(), every meeting bbb-web holds, also one
        # created that nobody joined yet (running false) until it expires
        running = list(self.state.meetings.values())
        if not running:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    meetings="",
                    messageKey="noMeetings",
                    message="no meetings were found on this server",
                ),
            )
            return
        self.send(200, xml(returncode="SUCCESS", meetings=[{"meeting": self.meeting_xml(m)} for m in running]))

    def call_getMeetingInfo(self, params, config):  # noqa: N802
        meeting = self.meeting_or_fail(params)
        if meeting is not None:
            self.send(200, xml(returncode="SUCCESS", **self.meeting_xml(meeting)))

    def call_isMeetingRunning(self, params, config):  # noqa: N802
        meeting = self.state.meetings.get(params.get("meetingID", ""))
        self.send(200, xml(returncode="SUCCESS", running=bool(meeting and meeting["attendees"])))

    def call_end(self, params, config):
        meeting = self.meeting_or_fail(params)
        if meeting is None:
            return
        del self.state.meetings[meeting["id"]]
        self.bbb_log(
            "INFO",
            "o.b.api.MeetingService",
            analytics(meeting, "meeting_removed_from_running", "Meeting removed from list of running meetings."),
        )
        record_id = f"{meeting['internal']}-{meeting['created']}"
        if meeting["record"] and not meeting["marks"]:
            # archive.rb: no recording marks -> status/archived/<id>.norecord, the pipeline halts, nothing published
            status = os.path.join(self.state.args.recording_dir, "recording", "status", "archived")
            os.makedirs(status, exist_ok=True)
            with open(os.path.join(status, record_id + ".norecord"), "w", encoding="utf-8"):
                pass
        elif meeting["record"]:
            recordings = self.state.recordings()
            recordings[record_id] = {
                "meetingID": meeting["id"],
                "name": meeting["name"],
                "ended": time.time(),
                "state": "processing",
                "stage": "recorded",
                "start": meeting["created"],
                "participants": len(meeting["attendees"]),  # events.rb get_num_participants: the users who joined
                "meta": meeting.get("meta", {}),
            }
            self.state.save_recordings(recordings)
            status = os.path.join(self.state.args.recording_dir, "recording", "status", "recorded")
            os.makedirs(status, exist_ok=True)
            with open(os.path.join(status, record_id + ".done"), "w", encoding="utf-8"):
                pass
        self.send(
            200,
            xml(
                returncode="SUCCESS",
                messageKey="sentEndMeetingRequest",
                message="A request to end the meeting was sent.",
            ),
        )

    def call_getRecordings(self, params, config):  # noqa: N802
        host = urlparse(config.get("bigbluebutton.web.serverURL", "")).hostname
        wanted_meetings = set(filter(None, params.get("meetingID", "").split(",")))
        wanted_records = set(filter(None, params.get("recordID", "").split(",")))
        # RecordingController.getRecordingsHandler, RecordingService.shouldIncludeState: without state=, only published
        # and unpublished recordings; state=any adds the others (processing, processed, deleted)
        states = {s.strip() for s in params.get("state", "").split(",") if s.strip()} or {"published", "unpublished"}
        items = []
        for record_id, rec in sorted(self.state.publish_due().items()):
            if (wanted_meetings and rec["meetingID"] not in wanted_meetings) or (
                wanted_records and record_id not in wanted_records
            ):
                continue
            if "any" not in states and rec["state"] not in states:
                continue
            item = {
                "recordID": record_id,
                "meetingID": rec["meetingID"],
                "name": rec["name"],
                "published": rec["state"] == "published",
                "state": rec["state"],
            }
            if rec["state"] == "published":
                item["playback"] = {
                    "format": {"type": "presentation", "url": f"https://{host}/playback/presentation/2.3/{record_id}"}
                }
            items.append({"recording": item})
        if not items:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    recordings="",
                    messageKey="noRecordings",
                    message="There are no recordings for the meeting(s).",
                ),
            )
            return
        self.send(200, xml(returncode="SUCCESS", recordings=items))


def make_server(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--state-dir", default="/var/lib/bbb-web-double")
    parser.add_argument("--properties", default="/usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties")
    parser.add_argument("--override", default="/etc/bigbluebutton/bbb-web.properties")
    parser.add_argument("--release-file", default="/etc/bigbluebutton/bigbluebutton-release")
    parser.add_argument("--turn-config", default="/etc/bigbluebutton/turn-stun-servers.xml")
    parser.add_argument("--html5-defaults", default="")
    parser.add_argument("--html5-override", default="/etc/bigbluebutton/bbb-html5.yml")
    parser.add_argument("--recording-dir", default="/var/bigbluebutton")
    parser.add_argument("--publish-delay", type=float, default=5.0)
    parser.add_argument(
        "--post-scripts-dir",
        default="/usr/local/bigbluebutton/core/scripts/post_publish",
        help="publish_worker.rb's post_publish directory: its *.rb run after a format is published",
    )
    parser.add_argument("--post-script-timeout", type=float, default=300.0, help="post_publish script time limit")
    parser.add_argument(
        "--rap-units",
        choices=["systemd", "none"],
        default="systemd" if os.path.isdir("/run/systemd/system") else "none",
        help="whether bbb-rap-starter and bbb-rap-resque-worker run: ask systemd, or take them as running",
    )
    parser.add_argument("--log-file", default="/var/log/bigbluebutton/bbb-web.log", help="'' for none")
    parser.add_argument("--graphql-config", default="/usr/share/bbb-graphql-middleware/config.yml")
    parser.add_argument("--graphql-override", default="/etc/bigbluebutton/bbb-graphql-middleware.yml")
    parser.add_argument("--graphql-env", default="/etc/default/bbb-graphql-middleware")
    parser.add_argument(
        "--graphql-server-env",
        nargs="+",
        default=["/etc/default/bbb-graphql-server", "/etc/bigbluebutton/bbb-graphql-server.env"],
    )
    args = parser.parse_args(argv)
    handler = type("BoundHandler", (Handler,), {"state": State(args)})
    return ThreadingHTTPServer((args.listen, args.port), handler)


def main(argv=None):
    server = make_server(argv)

    def pipeline():  # the recording units work whether or not anyone asks bbb-web
        while True:
            time.sleep(1)
            server.RequestHandlerClass.state.pipeline_step()

    threading.Thread(target=pipeline, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
