#!/usr/bin/python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for Scalelite v1.8.5 in the Molecule lab (not Scalelite; no Redis, no database, no poller process).

Every behaviour below was read from blindsidenetworks/scalelite at tag v1.8.5 (7498a81); none of its code is
copied. Paths are relative to that repository.

| behaviour | upstream file and function (scalelite v1.8.5) | what the double rejects |
|---|---|---|
| API root `GET/POST /bigbluebutton/api` | bigbluebutton_api_controller.rb `index` | nothing (no checksum, as upstream) |
| checksum of BBB calls: sha1/sha256/sha512 (by length) of action + query without checksum + LOADBALANCER_SECRET, the algorithm one of LOADBALANCER_CHECKSUM_ALGORITHM (config "checksum_algorithm", default SHA1:SHA256:SHA512, case-sensitive) | concerns/api_helper.rb `verify_checksum`, `query_string_remove_checksum`, `guess_checksum_digest_algorithm`; config/application.rb `loadbalancer_checksum_algorithm` | missing, wrong-length (sha384), wrong or node-secret checksums, an algorithm the list does not name: HTTP 200 FAILED checksumError |
| POST content types | api_helper.rb `verify_content_type`, `verify_create_content_type` | a POST body that is not form data (create: form data or XML): FAILED unsupportedContentType |
| create: existing meetingID sticks to its server; on a cordoned server, re-placed if no longer running there | bigbluebutton_api_controller.rb `create`, `meeting_running_on_server?` | - |
| create placement: lowest load of the `server_load` set (enabled servers with a load), ties by id; +1 x load_multiplier | models/server.rb `Server.find_available`, `#increment_load` | cordoned, disabled, offline and not-yet-polled servers get no new meeting; none left: FAILED internalError "Could not find any available servers." |
| create forwarding: params passed through (not checksum), moderatorPW generated when absent, voiceBridge allocated by the LB, meta_server-tag / recording-ready meta dropped, XML body POSTed as application/xml, re-signed with the node's secret (SHA256) | `create`, api_helper.rb `encode_bbb_uri`, `get_post_req`, models/meeting.rb `allocate_voice_bridge`, handlers/recording_ready_event_handler.rb | node FAILED answers are re-rendered as FAILED with the node's messageKey/message; unreachable node: FAILED internalError |
| join: 302 to `<server url>/join?<params>&checksum=` (node secret), +1 load (enabled servers only) | `join`, `encode_bbb_uri` | unknown meeting: 200 FAILED notFound; meeting on an offline or disabled server: HTTP 500 (upstream raises the undefined `ServerDisabledError`, a NameError) |
| getMeetings: every server except offline or disabled ones; meetings with a tenant-id dropped | `get_meetings`, `no_meetings_response` | - |
| getMeetingInfo / end: routed to the meeting's server with meetingID (end: + password) only | `get_meeting_info`, `end` | unknown meeting: FAILED notFound |
| isMeetingRunning | `is_meeting_running`, `not_running_response` | unknown meeting: SUCCESS running=false |
| getRecordings from the LB's own store (imported published recordings), playback URL = request protocol + host:port + stored path | `get_recordings`, views/bigbluebutton_api/get_recordings.xml.builder, models/recording.rb `create_from_metadata_xml`, `with_recording_id_prefixes` | none: SUCCESS noRecordings "There are not recordings for the meetings" |
| playback: `/<format>/<record_id>(/*resource)` and `/recording/<id>/<format>`; player `/playback/presentation/2.3/*` | config/routes.rb, playback_controller.rb `resource`, `play`; nginx/playback/playback.nginx | unknown or unpublished recording: 404 "Recording Not Found" |
| admin API getServers / getServerInfo / updateServer | controllers/api/servers_controller.rb, api/scalelite_api_controller.rb, services/server_update_service.rb | non-JSON POST body: FAILED unsupportedContentType; checksum not over LOADBALANCER_SECRET: FAILED checksumError; unknown id: 404 JSON; bad state / zero multiplier / no server: 400 JSON |
| server states enabled / cordoned / disabled, load kept or dropped on change | models/server.rb `#save!`, `handle_*_state` | - |
| poller: online/offline (1 success / 2 failures), load = attendees x multiplier (at least 15 per meeting younger than 15 min), cordoned with load 0 -> disabled, ended meetings dropped, offline -> meetings ended | lib/tasks/poll.rake `poll:servers`, `poll:meetings`, `poll:versions` | - |
| unknown paths | config/routes.rb `*any` -> errors_controller.rb `unsupported_request` | HTTP 200 FAILED unsupportedRequest |

Differences, on purpose: getServers/getServerInfo/updateServer return `"secret"` (upstream returns each node's
secret in clear); the double returns the key with the fixed value "<redacted by the lab double>" so that no secret
leaves it. The poller is run lazily (before a request, when --poll-interval seconds have passed; 0 = only when
called). Recording import (upstream: the node's post_publish script transfers the recording) is modelled by
reading each reachable node's getRecordings and keeping the published ones. Not implemented (HTTP 501, never a
silent success): publishRecordings, updateRecordings, deleteRecordings, insertDocument, analytics_callback,
addServer, deleteServer, panicServer, the tenants API. No multitenancy, no protected recordings, no callbacks.

Config (JSON, --config): {"secret": LOADBALANCER_SECRET, "servers": [{"id", "url", "secret", "state",
"load_multiplier"}]}. A server's "state" is applied when it first appears or when the configured value changes
(as an operator's `rake servers:cordon`); otherwise the state kept in <state-dir>/state.json wins, as Redis would.
Admin calls are appended to <state-dir>/calls.log (JSON lines, no secrets, no checksums).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import ssl
import string
import sys
import threading
import time
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

REDACTED = "<redacted by the lab double>"
ALGORITHMS = {40: "sha1", 64: "sha256", 128: "sha512"}  # api_helper.rb guess_checksum_digest_algorithm
PLAYBACK_FORMATS = ["presentation", "video", "screenshare", "podcast", "notes", "capture"]  # RECORDING_PLAYBACK_FORMATS
LOAD_MIN_USER_COUNT = 15  # config/application.rb
LOAD_JOIN_BUFFER_TIME = 15 * 60
HEALTHY_THRESHOLD = 1  # SERVER_HEALTHY_THRESHOLD
UNHEALTHY_THRESHOLD = 2  # SERVER_UNHEALTHY_THRESHOLD
VOICE_BRIDGE_LEN = 9
BBB_CALLS = {  # route -> (controller action, methods); config/routes.rb scope 'bigbluebutton/api'
    "isMeetingRunning": ("is_meeting_running", {"GET", "POST"}),
    "getMeetingInfo": ("get_meeting_info", {"GET", "POST"}),
    "getMeetings": ("get_meetings", {"GET", "POST"}),
    "create": ("create", {"GET", "POST"}),
    "end": ("end", {"GET", "POST"}),
    "join": ("join", {"GET"}),
    "analytics_callback": (None, {"POST"}),
    "insertDocument": (None, {"POST"}),
    "getRecordings": ("get_recordings", {"GET", "POST"}),
    "publishRecordings": (None, {"GET"}),
    "updateRecordings": (None, {"GET", "POST"}),
    "deleteRecordings": (None, {"GET"}),
}
ADMIN_CALLS = {  # scope 'scalelite/api'
    "getServers": ("get_servers", "GET"),
    "getServerInfo": ("get_server_info", "GET"),
    "updateServer": ("update_server", "POST"),
    "addServer": (None, "POST"),
    "deleteServer": (None, "POST"),
    "panicServer": (None, "POST"),
    "getTenants": (None, "GET"),
    "getTenantInfo": (None, "GET"),
    "addTenant": (None, "POST"),
    "updateTenant": (None, "POST"),
    "deleteTenant": (None, "POST"),
}
_LOCK = threading.RLock()


class BBBError(Exception):
    """concerns/bbb_errors.rb: rendered as HTTP 200 FAILED (application_controller.rb rescue_from BBBError)."""

    def __init__(self, key, message):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def checksum_error():
    return BBBError("checksumError", "You did not pass the checksum security check")


def not_found_error():
    return BBBError(
        "notFound", "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?"
    )


class ServerError500(Exception):
    """The uncaught NameError of upstream's join (ServerDisabledError is not defined)."""


def www_form(pairs):
    """Ruby's URI.encode_www_form: only *-._ and alphanumerics stay, space is '+', a nil value gives the key alone."""

    def component(text):
        out = []
        for byte in str(text).encode():
            char = chr(byte)
            if char.isascii() and (char.isalnum() or char in "*-._"):
                out.append(char)
            elif char == " ":
                out.append("+")
            else:
                out.append(f"%{byte:02X}")
        return "".join(out)

    return "&".join(component(k) if v is None else f"{component(k)}={component(v)}" for k, v in pairs)


def render_xml(fields):
    """<response> with the fields in order (Nokogiri builder as upstream renders it)."""
    root = ET.Element("response")
    for key, value in fields:
        child = ET.SubElement(root, key)
        if isinstance(value, ET.Element):
            child.extend(list(value))
        elif value is not None:
            child.text = str(value)
    return serialize(root)


def serialize(root):
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def decimal_text(value):
    """A BigDecimal as ActiveSupport puts it in JSON: a string such as "1.0" or "2.5"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." in text else text + ".0"


class Lab:
    """The data Scalelite keeps in Redis and PostgreSQL, kept in state.json."""

    def __init__(self, args):
        self.args = args
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
        self.secret = str(config["secret"])
        # config/application.rb: ENV.fetch('LOADBALANCER_CHECKSUM_ALGORITHM', 'SHA1:SHA256:SHA512').split(':'),
        # compared as written (a lowercase 'sha256' names no algorithm)
        self.checksum_algorithms = str(config.get("checksum_algorithm") or "SHA1:SHA256:SHA512").split(":")
        if not self.secret:
            raise SystemExit("scalelite-double: an empty LOADBALANCER_SECRET is refused")
        os.makedirs(args.state_dir, exist_ok=True)
        self.state_file = os.path.join(args.state_dir, "state.json")
        self.calls_log = os.path.join(args.state_dir, "calls.log")
        self.last_poll = 0.0
        data = self.load()
        servers = {}
        for entry in config.get("servers", []):
            url = str(entry["url"]).rstrip("/")
            if not args.allow_http and not url.startswith("https://"):
                raise SystemExit(f"scalelite-double: server {entry['id']} must have an https:// URL in the lab")
            configured_state = entry.get("state", "enabled")
            if configured_state not in ("enabled", "cordoned", "disabled"):
                raise SystemExit(f"scalelite-double: server {entry['id']} has an unknown state {configured_state}")
            kept = data["servers"].get(entry["id"])
            server = {
                "id": str(entry["id"]),
                "url": url,
                "secret": str(entry["secret"]),
                "load_multiplier": float(entry.get("load_multiplier", 1.0)),
                "tag": None,
                "configured_state": configured_state,
                "state": "disabled",  # servers:add adds a server disabled
                "load": None,
                "online": False,
                "healthy": 0,
                "unhealthy": 0,
                "bbb_version": "",
            }
            if kept:
                server.update(
                    {
                        k: kept[k]
                        for k in ("state", "load", "online", "healthy", "unhealthy", "bbb_version", "tag")
                        if k in kept
                    }
                )
                for key in ("secret", "load_multiplier"):  # set by updateServer, kept as in Redis
                    if f"{key}_updated" in kept:
                        server[key], server[f"{key}_updated"] = kept[f"{key}_updated"], kept[f"{key}_updated"]
            if not kept or kept.get("configured_state") != configured_state:
                self.set_state(server, configured_state)
            servers[server["id"]] = server
        self.servers = servers
        self.meetings = {k: v for k, v in data["meetings"].items()}
        self.recordings = data["recordings"]
        self.save()

    def load(self):
        try:
            with open(self.state_file, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            data = {}
        return {
            "servers": data.get("servers", {}),
            "meetings": data.get("meetings", {}),
            "recordings": data.get("recordings", {}),
        }

    def save(self):
        tmp = self.state_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(
                {"servers": self.servers, "meetings": self.meetings, "recordings": self.recordings}, handle, indent=2
            )
        os.replace(tmp, self.state_file)

    def record_call(self, entry):
        fd = os.open(self.calls_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")

    # --- models/server.rb -------------------------------------------------------------------------------------
    @staticmethod
    def set_state(server, state):
        """Server#save! with a state change: cordon/enable keep the load; disable drops it (off every set)."""
        if state == server["state"]:
            return
        server["state"] = state
        if state == "disabled":
            server["load"] = None

    @staticmethod
    def available(server):
        """Member of the 'server_load' zset: enabled and with a load (the poller sets it once the server is online)."""
        return server["state"] == "enabled" and server["load"] is not None

    def find_available(self, tags_arg):
        tags_arg = tags_arg or None
        required = False
        if tags_arg and tags_arg.endswith("!"):
            tags_arg = tags_arg[:-1] or None
            required = tags_arg is not None
        pool = sorted((s for s in self.servers.values() if self.available(s)), key=lambda s: (s["load"], s["id"]))
        if not pool:
            raise BBBError("internalError", "Could not find any available servers.")
        tagged = []
        if tags_arg:
            for tag in tags_arg.split(";"):
                tagged += [s for s in pool if (s["tag"] or "none") == tag]
            tagged.sort(key=lambda s: s["load"])
        if not tagged:
            if required:
                raise BBBError(
                    "serverTagUnavailable", f"There is no available server with the required tag={tags_arg}."
                )
            tagged = [s for s in pool if s["tag"] is None]
        if not tagged:
            raise BBBError("internalError", "Could not find any available servers.")
        return tagged[0]

    @staticmethod
    def increment_load(server, amount=1):
        """ZADD server_load XX INCR: only a server in the set (enabled, with a load) is bumped."""
        if Lab.available(server):
            server["load"] += amount * server["load_multiplier"]

    # --- talking to the nodes (api_helper.rb encode_bbb_uri, get_post_req) ---------------------------------
    def node_request(self, server, action, pairs, body=None):
        """Signed call to a node; returns the parsed <response>. Raises BBBError for a FAILED answer, OSError etc."""
        query = www_form(pairs)
        checksum = hashlib.sha256((action + query + server["secret"]).encode()).hexdigest()
        target = urlsplit(server["url"] + "/" + action)
        path = target.path + "?" + www_form(list(pairs) + [("checksum", checksum)])
        timeout = 5.0 if server["online"] else 1.0  # bbb_req_timeout clamps offline servers to short timeouts
        if target.scheme == "https":
            context = ssl.create_default_context(cafile=self.args.ca_file or None)
            conn = http.client.HTTPSConnection(target.hostname, target.port or 443, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=timeout)
        try:
            if body:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/xml"})
            else:
                conn.request("GET", path)
            data = conn.getresponse().read()
        finally:
            conn.close()
        try:
            doc = ET.fromstring(data)
        except ET.ParseError as exc:
            raise ValueError("not XML") from exc
        returncode = doc.find("returncode") if doc.tag == "response" else None
        if returncode is None:
            raise BBBError("internalError", "Response did not include returncode")
        if returncode.text != "SUCCESS":
            raise BBBError(doc.findtext("messageKey") or "", doc.findtext("message") or "")
        return doc

    # --- lib/tasks/poll.rake ----------------------------------------------------------------------------------
    def poll(self):
        self.last_poll = time.time()
        for server in self.servers.values():
            self.poll_server(server)
        for meeting_id, meeting in list(self.meetings.items()):
            server = self.servers.get(meeting["server"])
            if server is None:
                continue
            try:
                self.node_request(server, "getMeetingInfo", [("meetingID", meeting_id)])
            except BBBError as exc:
                if exc.key == "notFound":
                    self.destroy_meeting(meeting_id)
            except Exception:  # noqa: BLE001 - the poller logs and goes on
                pass
        for server in self.servers.values():
            try:
                server["bbb_version"] = self.node_request(server, "", []).findtext("bbbVersion") or ""
            except Exception:  # noqa: BLE001
                pass
        self.save()

    def poll_server(self, server):
        try:
            doc = self.node_request(server, "getMeetings", [])
        except Exception:  # noqa: BLE001 - any failure counts as unhealthy
            server["healthy"] = 0
            if not server["online"]:
                return
            server["unhealthy"] += 1
            if server["unhealthy"] < UNHEALTHY_THRESHOLD:
                return
            sys.stderr.write(f"scalelite-double: server {server['id']} is unhealthy, setting it offline\n")
            for meeting_id, meeting in list(self.meetings.items()):
                if meeting["server"] == server["id"]:
                    self.destroy_meeting(meeting_id)
                    try:
                        self.node_request(
                            server, "end", [("meetingID", meeting_id), ("password", meeting["moderator_pw"])]
                        )
                    except Exception:  # noqa: BLE001
                        pass
            server.update(healthy=0, unhealthy=0, load=None, online=False)
            return
        total = 0
        for meeting in doc.iter("meeting"):
            if (meeting.findtext("isBreakout") or "") == "true":
                continue
            attendees = int(meeting.findtext("participantCount") or 0) + int(meeting.findtext("moderatorCount") or 0)
            created = int(meeting.findtext("createTime") or 0) / 1000
            total += max(attendees, LOAD_MIN_USER_COUNT) if created > time.time() - LOAD_JOIN_BUFFER_TIME else attendees
        server["unhealthy"] = 0
        if not server["online"]:
            server["healthy"] += 1
            if server["healthy"] < HEALTHY_THRESHOLD:
                return
            server.update(healthy=0, unhealthy=0, online=True)
        server["load"] = total * server["load_multiplier"]
        if server["state"] == "cordoned" and not server["load"]:
            self.set_state(server, "disabled")
        if server["state"] == "disabled":
            server["load"] = None

    def maybe_poll(self):
        interval = self.args.poll_interval
        if interval > 0 and time.time() - self.last_poll >= interval:
            self.poll()

    def destroy_meeting(self, meeting_id):
        self.meetings.pop(meeting_id, None)

    def voice_bridge(self, meeting_id):
        """models/meeting.rb allocate_voice_bridge: VOICE_BRIDGE_LEN digits, first not 0, seeded by the meeting id."""
        prng = random.Random(hashlib.sha256(meeting_id.encode()).digest()[:16])
        used = {m["voice_bridge"] for k, m in self.meetings.items() if k != meeting_id}
        for _unused in range(10):
            number = str(prng.randint(1, 9)) + "".join(str(prng.randint(0, 9)) for _i in range(VOICE_BRIDGE_LEN - 1))
            if number != "99999" and number not in used:
                return number
        raise BBBError("internalError", f"Failed to allocate conference number for meeting {meeting_id} after 10 tries")

    # --- recording import (scalelite_post_publish.rb + recording_importer.rb, modelled) ---------------------
    def import_recordings(self):
        changed = False
        for server in self.servers.values():
            try:
                doc = self.node_request(server, "getRecordings", [])
            except Exception:  # noqa: BLE001 - a node that does not answer transfers nothing
                continue
            for rec in doc.iter("recording"):
                record_id = rec.findtext("recordID") or ""
                if not record_id or record_id in self.recordings or (rec.findtext("state") or "") != "published":
                    continue
                formats = []
                for fmt in rec.iter("format"):
                    link = (fmt.findtext("url") or "").strip()
                    parts = urlsplit(link)
                    formats.append(
                        {
                            "type": fmt.findtext("type") or "",
                            "url": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),  # URI#request_uri
                            "length": fmt.findtext("length") or "",
                            "processingTime": fmt.findtext("processingTime"),
                        }
                    )
                metadata = rec.find("metadata")
                self.recordings[record_id] = {
                    "recordID": record_id,
                    "meetingID": rec.findtext("meetingID") or "",
                    "name": rec.findtext("name") or "",
                    "published": True,
                    "state": "published",
                    "startTime": int(rec.findtext("startTime") or 0),
                    "endTime": int(rec.findtext("endTime") or 0),
                    "participants": rec.findtext("participants"),
                    "metadata": [
                        [m.tag, m.text or ""]
                        for m in (list(metadata) if metadata is not None else [])
                        if m.tag not in ("isBreakout", "meetingId", "meetingName")
                    ],
                    "formats": formats,
                }
                changed = True
        if changed:
            self.save()


class Handler(BaseHTTPRequestHandler):
    lab: Lab
    server_version = "scalelite-double"
    sys_version = ""

    def log_message(self, fmt, *args):
        line = re.sub(r"(checksum|[^&?\s]*secret[^=&\s]*)=[^&\s\"]*", r"\1=***", fmt % args, flags=re.IGNORECASE)
        sys.stderr.write(f"scalelite-double: {line}\n")

    # --- plumbing ---------------------------------------------------------------------------------------------
    def send(self, status, body, content_type="application/xml; charset=utf-8", headers=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_xml(self, fields):
        self.send(200, render_xml(fields))

    def send_failed(self, error):
        self.send_xml([("returncode", "FAILED"), ("messageKey", error.key), ("message", error.message)])

    def send_json(self, status, value):
        self.send(status, json.dumps(value), "application/json; charset=utf-8")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def mime(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def do_HEAD(self):  # noqa: N802 (http.server API)
        self.do_GET()

    def do_POST(self):  # noqa: N802
        self.do_GET()

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        path = url.path
        self.body = self.read_body() if self.command == "POST" else b""
        with _LOCK:
            self.lab.maybe_poll()
            try:
                self.route(path.rstrip("/") if path != "/" else path, url.query)
            except BBBError as error:
                self.send_failed(error)
            except ServerError500:
                self.send(
                    500,
                    '<?xml version="1.0" encoding="UTF-8"?>\n<hash>\n  <status type="integer">500</status>\n'
                    "  <error>Internal Server Error</error>\n</hash>\n",
                )

    def route(self, path, query):
        if path in ("/", "/health_check"):
            self.send(200, "success", "text/plain; charset=utf-8")
        elif path == "/bigbluebutton/api":
            self.send_xml([("returncode", "SUCCESS"), ("version", "2.0")])
        elif path.startswith("/bigbluebutton/api/") and path.count("/") == 3:
            self.bbb_api(path.rsplit("/", 1)[1], query)
        elif path.startswith("/scalelite/api/") and path.count("/") == 3:
            self.admin_api(path.rsplit("/", 1)[1], query)
        elif path.startswith("/playback/presentation/2.3/") and self.command in ("GET", "HEAD"):
            # nginx/playback/playback.nginx: try_files $uri /playback/presentation/2.3/index.html (the static player)
            self.send(200, "<!DOCTYPE html><title>Playback (lab double)</title>", "text/html")
        elif self.command in ("GET", "HEAD") and self.playback(path):
            return
        else:
            raise BBBError("unsupportedRequest", "This request is not supported.")

    def params(self, query, body_params=None):
        """Rails params: body params, then query params (the query wins)."""
        values = dict(body_params or {})
        values.update(parse_qsl(query, keep_blank_values=True))
        return values

    def verify_checksum(self, action, query, params):
        given = params.get("checksum", "")
        if (
            not given
            or len(given) not in ALGORITHMS
            or ALGORITHMS[len(given)].upper() not in self.lab.checksum_algorithms
        ):
            raise checksum_error()
        escaped = re.escape(given)
        stripped = re.sub(f"&checksum={escaped}|checksum={escaped}&|checksum={escaped}", "", query)
        wanted = hashlib.new(ALGORITHMS[len(given)], (action + stripped + self.lab.secret).encode()).hexdigest()
        if not secrets.compare_digest(wanted, given):
            raise checksum_error()

    # --- /bigbluebutton/api -----------------------------------------------------------------------------------
    def bbb_api(self, call, query):
        action, methods = BBB_CALLS.get(call, (None, set()))
        if self.command == "HEAD":
            methods = methods | {"HEAD"} if "GET" in methods else methods
        if call not in BBB_CALLS or self.command not in methods:
            raise BBBError("unsupportedRequest", "This request is not supported.")
        if action is None:
            self.send(501, f"{call} is not implemented by the lab's Scalelite double\n", "text/plain")
            return
        body_params = {}
        if self.command == "POST" and self.body:
            allowed = ("application/x-www-form-urlencoded", "multipart/form-data")
            if call == "create":
                allowed += ("application/xml", "text/xml")
            if self.mime() not in allowed:
                raise BBBError("unsupportedContentType", "POST request Content-Type is missing or unsupported")
            if self.mime() == "application/x-www-form-urlencoded":
                body_params = dict(parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))
        params = self.params(query, body_params)
        self.verify_checksum(call, query, params)
        getattr(self, "api_" + action)(params)

    def require_meeting_id(self, params):
        meeting_id = params.get("meetingID", "")
        if not meeting_id.strip():
            raise BBBError("missingParamMeetingID", "You must specify a meeting ID for the meeting.")
        return meeting_id

    def meeting_server(self, meeting_id):
        meeting = self.lab.meetings.get(meeting_id)
        server = self.lab.servers.get(meeting["server"]) if meeting else None
        if server is None:  # Meeting.find / Server.find raise RecordNotFound
            raise not_found_error()
        return meeting, server

    def forward(self, server, action, pairs, failure, body=None):
        try:
            return self.lab.node_request(server, action, pairs, body)
        except BBBError:
            raise
        except Exception as exc:  # noqa: BLE001 - upstream: rescue StandardError -> InternalError
            sys.stderr.write(f"scalelite-double: error {type(exc).__name__} on server {server['id']}\n")
            raise BBBError("internalError", failure) from exc

    def send_doc(self, doc):
        self.send(200, serialize(doc))

    @staticmethod
    def pass_through(params):
        return [(k, v) for k, v in params.items() if k not in ("format", "controller", "action", "checksum")]

    def api_create(self, params):
        meeting_id = self.require_meeting_id(params)
        lab = self.lab
        params["meta_server-tag"] = params.get("meta_server-tag") or None
        meeting = lab.meetings.get(meeting_id)
        server = lab.servers.get(meeting["server"]) if meeting else None
        if meeting and server and server["state"] == "cordoned" and not self.running_on(server, meeting_id):
            lab.destroy_meeting(meeting_id)
            meeting = None
        if meeting is None or server is None:
            server = lab.find_available(params["meta_server-tag"])
            meeting = lab.meetings.get(meeting_id)
            if meeting is None:
                meeting = {
                    "server": server["id"],
                    "moderator_pw": params.get("moderatorPW")
                    or "".join(secrets.choice(string.ascii_letters + string.digits) for _i in range(8)),
                    "voice_bridge": lab.voice_bridge(meeting_id),
                }
                lab.meetings[meeting_id] = meeting
            server = lab.servers.get(meeting["server"])
            if server is None:
                raise BBBError("internalError", f"Couldn't find Server with id={meeting['server']}")
            lab.increment_load(server, 1)
            params["moderatorPW"] = meeting["moderator_pw"]
            lab.save()
        params["voiceBridge"] = meeting["voice_bridge"]
        if server.get("tag"):
            params["meta_server-tag"] = server["tag"]
        else:
            params.pop("meta_server-tag", None)
        if any(
            k in params
            for k in ("meta_bn-recording-ready-url", "meta_bbb-recording-ready-url", "meta_canvas-recording-ready-url")
        ):
            for key in (
                "meta_bbb-recording-ready-url",
                "meta_canvas-recording-ready-url",
                "meta_bn-recording-ready-url",
            ):
                params.pop(key, None)  # RecordingReadyEventHandler keeps the callback for itself
        body = self.body if self.command == "POST" and self.mime() in ("application/xml", "text/xml") else None
        self.send_doc(
            self.forward(server, "create", self.pass_through(params), "Unable to create meeting on server.", body)
        )

    def running_on(self, server, meeting_id):
        try:
            doc = self.lab.node_request(server, "isMeetingRunning", [("meetingID", meeting_id)])
        except Exception:  # noqa: BLE001 - upstream treats any error as not running
            return False
        return doc.findtext("running") == "true"

    def api_join(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        if not server["online"] or server["state"] == "disabled":
            sys.stderr.write(
                f"scalelite-double: server {server['id']} of meeting {meeting_id} is offline or disabled\n"
            )
            raise ServerError500
        self.lab.increment_load(server, 1)
        self.lab.save()
        pairs = self.pass_through(params)
        query = www_form(pairs)
        checksum = hashlib.sha256(("join" + query + server["secret"]).encode()).hexdigest()
        location = f"{server['url']}/join?{www_form(pairs + [('checksum', checksum)])}"
        self.send(302, "", "text/html; charset=utf-8", {"Location": location})

    def api_get_meetings(self, params):
        collected = []
        for server in self.lab.servers.values():
            if not server["online"] or server["state"] == "disabled":
                continue
            doc = self.forward(server, "getMeetings", [], "Unable to access server.")
            for meeting in doc.findall("meetings/meeting"):
                if not (meeting.findtext("metadata/tenant-id") or ""):
                    collected.append(meeting)
        if not collected:
            self.send_xml(
                [
                    ("returncode", "SUCCESS"),
                    ("messageKey", "noMeetings"),
                    ("message", "no meetings were found on this server"),
                    ("meetings", None),
                ]
            )
            return
        meetings = ET.Element("meetings")
        meetings.extend(collected)
        self.send_xml([("returncode", "SUCCESS"), ("meetings", meetings)])

    def api_get_meeting_info(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        self.send_doc(
            self.forward(server, "getMeetingInfo", [("meetingID", meeting_id)], "Unable to access meeting on server.")
        )

    def api_is_meeting_running(self, params):
        meeting_id = self.require_meeting_id(params)
        try:
            _meeting, server = self.meeting_server(meeting_id)
        except BBBError:
            self.send_xml([("returncode", "SUCCESS"), ("running", "false")])
            return
        self.send_doc(
            self.forward(server, "isMeetingRunning", [("meetingID", meeting_id)], "Unable to access meeting on server.")
        )

    def api_end(self, params):
        meeting_id = self.require_meeting_id(params)
        _meeting, server = self.meeting_server(meeting_id)
        self.lab.destroy_meeting(meeting_id)
        self.lab.save()
        pairs = [("meetingID", meeting_id), ("password", params.get("password"))]
        self.send_doc(self.forward(server, "end", pairs, "Unable to access meeting on server."))

    def api_get_recordings(self, params):
        self.lab.import_recordings()
        states = [s for s in params.get("state", "").split(",") if s]
        record_prefixes = [r for r in params.get("recordID", "").split(",") if r]
        meeting_ids = [m for m in params.get("meetingID", "").split(",") if m]
        meta = [(k[5:], v.split(",")) for k, v in params.items() if k.startswith("meta_")]
        found = []
        for rec in self.lab.recordings.values():
            if states and "any" not in states and rec["state"] not in states:
                continue
            if not states and rec["state"] not in ("published", "unpublished"):
                continue
            if meta and not any(key == k and value in values for k, values in meta for key, value in rec["metadata"]):
                continue
            if params.get("recordID") and not any(rec["recordID"].startswith(p) for p in record_prefixes):
                continue
            if params.get("meetingID") and rec["meetingID"] not in meeting_ids:
                continue
            found.append(rec)
        found.sort(key=lambda r: r["startTime"], reverse=True)
        scheme = "https" if self.lab.args.tls_cert else "http"
        prefix = f"{scheme}://{self.headers.get('Host') or self.lab.args.listen}"  # request.protocol + host_with_port
        recordings = ET.Element("recordings")
        for rec in found:
            item = ET.SubElement(recordings, "recording")
            for key, value in (
                ("recordID", rec["recordID"]),
                ("meetingID", rec["meetingID"]),
                ("internalMeetingID", rec["recordID"]),
                ("name", rec["name"]),
                ("published", "true" if rec["published"] else "false"),
                ("state", rec["state"]),
                ("startTime", rec["startTime"]),
                ("endTime", rec["endTime"]),
                ("participants", rec["participants"]),
            ):
                if value is not None:
                    ET.SubElement(item, key).text = str(value)
            metadata = ET.SubElement(item, "metadata")
            for key, value in rec["metadata"]:
                ET.SubElement(metadata, key).text = value
            playback = ET.SubElement(item, "playback")
            for fmt in rec["formats"]:
                node = ET.SubElement(playback, "format")
                ET.SubElement(node, "type").text = fmt["type"]
                ET.SubElement(node, "url").text = prefix + fmt["url"]
                ET.SubElement(node, "length").text = str(fmt["length"])
                if fmt.get("processingTime") is not None:
                    ET.SubElement(node, "processingTime").text = fmt["processingTime"]
        fields = [("returncode", "SUCCESS"), ("recordings", recordings)]
        if not found:
            fields += [("messageKey", "noRecordings"), ("message", "There are not recordings for the meetings")]
        self.send_xml(fields)

    # --- playback (config/routes.rb, playback_controller.rb) -------------------------------------------------
    def playback(self, path):
        parts = [unquote(p) for p in path.split("/")[1:]]
        if len(parts) == 3 and parts[0] == "recording":
            rec, fmt = self.published_format(parts[1], parts[2])
            if fmt is None:
                self.send(404, self.not_found_page(), "text/html; charset=utf-8")
            else:
                self.send(307, "", "text/html; charset=utf-8", {"Location": fmt["url"]})
            return True
        if len(parts) >= 2 and parts[0] in PLAYBACK_FORMATS and parts[1]:
            rec, fmt = self.published_format(parts[1], parts[0])
            if fmt is None:
                self.send(404, self.not_found_page(), "text/html; charset=utf-8")
            else:  # upstream answers 200 with X-Accel-Redirect to /static-resource<path>; nginx sends the file
                self.send(200, f"recording resource {path} (lab double)\n", "text/plain; charset=utf-8")
            return True
        return False

    def published_format(self, record_id, format_type):
        self.lab.import_recordings()
        rec = self.lab.recordings.get(record_id)
        if not rec or not rec["published"]:
            return rec, None
        return rec, next((f for f in rec["formats"] if f["type"] == format_type), None)

    @staticmethod
    def not_found_page():
        return (
            '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <title>Recording Not Found</title>\n  </head>\n  <body>\n'
            '    <h1 style="text-align: center;">Recording Not Found</h1>\n'
            '    <h3 style="text-align: center;">The recording URL is invalid. This recording may have been either '
            "protected or deleted.</h3>\n    <hr>\n  </body>\n</html>\n"
        )

    # --- /scalelite/api -----------------------------------------------------------------------------------------
    def admin_api(self, call, query):
        action, method = ADMIN_CALLS.get(call, (None, None))
        allowed = {method} | ({"HEAD"} if method == "GET" else set())
        if call not in ADMIN_CALLS or self.command not in allowed:
            raise BBBError("unsupportedRequest", "This request is not supported.")
        entry = {"time": time.time(), "call": call, "method": self.command}
        entry["query"] = [
            [k, REDACTED if "secret" in k.lower() else v]
            for k, v in parse_qsl(query, keep_blank_values=True)
            if k != "checksum"
        ]
        try:
            status, value = self.admin_answer(call, action, query, entry)
        except BBBError as error:
            entry.update(status=200, response={"returncode": "FAILED", "messageKey": error.key})
            self.lab.record_call(entry)  # logged before the answer, so a client that got it finds it
            raise
        entry.update(status=status, response=value)
        self.lab.record_call(entry)
        if isinstance(value, str):
            self.send(status, value, "text/plain")
        else:
            self.send_json(status, value)

    def admin_answer(self, call, action, query, entry):
        if action is None:
            return 501, f"{call} is not implemented by the lab's Scalelite double\n"
        body = {}
        if self.command == "POST" and self.body:
            if self.mime() != "application/json":  # ScaleliteApiController#verify_content_type
                raise BBBError("unsupportedContentType", "POST request Content-Type is missing or unsupported")
            try:
                body = json.loads(self.body)
            except ValueError:
                return 400, "Bad Request: the JSON body could not be parsed\n"
            entry["body"] = self.scrub(body)
        params = self.params(query, body if isinstance(body, dict) else {})
        for key, value in parse_qsl(query, keep_blank_values=True):  # server[state]=cordon in the query
            match = re.fullmatch(r"server\[(\w+)\]", key)
            if match:
                params.setdefault("server", {})
                if isinstance(params["server"], dict):
                    params["server"][match.group(1)] = value
        self.verify_checksum(call, query, params)
        return getattr(self, "admin_" + action)(params)

    @staticmethod
    def scrub(body):
        if not isinstance(body, dict):
            return "<not an object>"
        out = {k: v for k, v in body.items() if k != "checksum"}
        if isinstance(out.get("server"), dict):
            out["server"] = {k: (REDACTED if k == "secret" else v) for k, v in out["server"].items()}
        return out

    @staticmethod
    def server_json(server):
        """servers_controller.rb server_to_json (the secret withheld: see the docstring)."""
        return {
            "id": server["id"],
            "url": server["url"],
            "secret": REDACTED,
            "tag": server["tag"] or "",
            "bbb_version": server["bbb_version"] or "",
            "state": server["state"],
            "load": server["load"] if server["load"] is not None and server["state"] != "disabled" else "unavailable",
            "load_multiplier": decimal_text(server["load_multiplier"]),
            "online": "online" if server["online"] else "offline",
        }

    def find_server(self, params):
        server = self.lab.servers.get(str(params.get("id", "")))
        if server is None:
            return None, (404, {"error": f"Couldn't find server with id={params.get('id') or ''}"})
        return server, None

    def admin_get_servers(self, params):
        if not self.lab.servers:
            return 404, {"error": "No servers are configured"}
        return 200, [self.server_json(s) for s in self.lab.servers.values()]

    def admin_get_server_info(self, params):
        server, error = self.find_server(params)
        return error or (200, self.server_json(server))

    def admin_update_server(self, params):
        server, error = self.find_server(params)
        if error:
            return error
        wanted = params.get("server")
        if wanted in (None, "", {}, []):
            return 400, {"error": "param is missing or the value is empty: server"}
        if not isinstance(wanted, dict):
            return 400, {"error": f"undefined method 'permit' for an instance of {type(wanted).__name__}"}
        changes = {}
        state = wanted.get("state")
        if state not in (None, ""):
            states = {"enable": "enabled", "cordon": "cordoned", "disable": "disabled"}
            if state not in states:
                return 400, {"error": f"Invalid state parameter: {state}"}
            changes["state"] = states[state]
        multiplier = wanted.get("load_multiplier")
        if multiplier not in (None, ""):
            try:
                value = Decimal(str(multiplier))
            except InvalidOperation:
                value = Decimal(0)  # String#to_d of garbage is 0
            if value == 0:
                return 400, {"error": "Load-multiplier must be a non-zero number"}
            changes["load_multiplier"] = float(value)
        if wanted.get("secret") not in (None, ""):
            changes["secret"] = str(wanted["secret"])
        if "tag" in wanted and wanted["tag"] is not None:
            changes["tag"] = str(wanted["tag"]) or None
        if "state" in changes:
            self.lab.set_state(server, changes["state"])
        for key in ("load_multiplier", "secret"):
            if key in changes:
                server[key] = server[f"{key}_updated"] = changes[key]
        if "tag" in changes:
            server["tag"] = changes["tag"]
        self.lab.save()
        return 200, self.server_json(server)


def make_server(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="/etc/scalelite-double/config.json")
    parser.add_argument("--state-dir", default="/var/lib/scalelite-double")
    parser.add_argument("--listen", default="0.0.0.0")  # noqa: S104 - the lab's load balancer
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    parser.add_argument("--ca-file", default="", help="CA bundle for the nodes' certificates (default: system trust)")
    parser.add_argument("--poll-interval", type=float, default=60.0, help="POLL_INTERVAL; 0: poll only when called")
    parser.add_argument("--allow-http", action="store_true", help="tests only: plain HTTP and http:// node URLs")
    args = parser.parse_args(argv)
    if not args.allow_http and not (args.tls_cert and args.tls_key):
        parser.error("--tls-cert and --tls-key are required unless --allow-http")
    handler = type("BoundHandler", (Handler,), {"lab": Lab(args)})
    httpd = ThreadingHTTPServer((args.listen, args.port), handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


def main(argv=None):
    make_server(argv).serve_forever()


if __name__ == "__main__":
    main()
