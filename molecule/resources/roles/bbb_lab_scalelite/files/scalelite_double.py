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
| getRecordings from the LB's own store (the imported recordings; never a node's getRecordings), playback URL = request protocol + host:port + stored path | `get_recordings`, views/bigbluebutton_api/get_recordings.xml.builder, models/recording.rb `with_recording_id_prefixes` | none: SUCCESS noRecordings "There are not recordings for the meetings" |
| recording import: each `<--spool-dir>/*.tar` (RECORDING_SPOOL_DIR, default /var/bigbluebutton/spool, made if missing), in name order; the importer's poll is lazy here: before getRecordings and before playback (upstream: every 30 s); the nodes' post_publish script puts the tars there (lab: molecule/resources/roles/bbb_lab_node/files/scalelite_post_publish.py, installed as scalelite_post_publish.rb) | lib/tasks/recordings.rake `recordings:watch` (Dir.glob("#{dir}/*.tar"), rescue: "Failed to import recording", the tar stays); config/application.rb `recording_spool_dir`; bigbluebutton/scalelite_post_publish.rb | a tar that does not extract (or that has no recording at all: upstream's `recording.meeting_id` on nil) stays in the spool and is tried again at the next scan |
| one tar: extracted into a temporary directory (RECORDING_WORK_DIR; here under --state-dir), each `*/*/metadata.xml` creates or updates a recording; its `<format>/<record_id>` directory replaces the one in <--publish-dir>/<format>/ (RECORDING_PUBLISH_DIR, default /var/bigbluebutton/published), or in <--unpublish-dir> (RECORDING_UNPUBLISH_DIR) for an unpublished one; then the tar is deleted | lib/recording_importer.rb `RecordingImporter.import` (published_status: publish_updated never set here, RECORDING_IMPORT_UNPUBLISHED false; FileUtils.mv force: true) | a metadata.xml that fails (not XML, no <meta>, <playback> or <link>, blank id or meetingId, an unknown state): that format is skipped with a warning. Lab: members other than files and directories, or outside the directory, refuse the whole tar; a record id or format that is not one path component is skipped |
| the recording's fields: record_id = id, meeting_id = meta/meetingId, name = meta/meetingName, published (when given: == 'true'; a new one false), participants, state ('available' -> 'published'), start/end time (ms); metadata = meta without isBreakout, meetingId, meetingName, added or updated by key; one playback format per playback/format: url = URI(playback/link).request_uri, length = (duration / 60000).round, no processingTime | models/recording.rb `create_from_metadata_xml`, `INTERNAL_METADATA`; db/schema.rb (published default false) | thumbnails (playback/extensions/preview) are not kept |
| playback: `/<format>/<record_id>(/*resource)` answers with the imported file of <--publish-dir>/<format>/<record_id>/<resource> (type by its name; Content-Disposition attachment except for presentation, video, screenshare), `/recording/<id>/<format>` 307 to the format's url; player `/playback/presentation/2.3/*` | config/routes.rb, playback_controller.rb `resource` (`deliver_resource`: X-Accel-Redirect /static-resource<path>), `play`; nginx/conf.d/scalelite.common (`location /static-resource`, alias /var/bigbluebutton/published); nginx/playback/playback.nginx | unknown or unpublished recording: 404 "Recording Not Found"; a file the publish dir does not have: 404, nginx's page. Lab: a directory answers with its index.html |
| admin API getServers / getServerInfo / updateServer | controllers/api/servers_controller.rb, api/scalelite_api_controller.rb, services/server_update_service.rb | non-JSON POST body: FAILED unsupportedContentType; checksum not over LOADBALANCER_SECRET: FAILED checksumError; unknown id: 404 JSON; bad state / zero multiplier / no server: 400 JSON |
| server states enabled / cordoned / disabled, load kept or dropped on change | models/server.rb `#save!`, `handle_*_state` | - |
| poller: online/offline (1 success / 2 failures), load = attendees x multiplier (at least 15 per meeting younger than 15 min), cordoned with load 0 -> disabled, ended meetings dropped, offline -> meetings ended | lib/tasks/poll.rake `poll:servers`, `poll:meetings`, `poll:versions` | - |
| unknown paths | config/routes.rb `*any` -> errors_controller.rb `unsupported_request` | HTTP 200 FAILED unsupportedRequest |

Differences, on purpose: getServers/getServerInfo/updateServer return `"secret"` (upstream returns each node's
secret in clear); the double returns the key with the fixed value "<redacted by the lab double>" so that no secret
leaves it. The poller is run lazily (before a request, when --poll-interval seconds have passed; 0 = only when
called). Recordings come as upstream's do: a node's post_publish script (scalelite_post_publish.rb) drops a tar of
the published recording into the spool directory, which the importer reads (recordings:watch); Scalelite never asks
a node for its recordings, nor does the double. Not implemented (HTTP 501, never a silent success):
publishRecordings, updateRecordings, deleteRecordings, insertDocument, analytics_callback, addServer, deleteServer,
panicServer, the tenants API. No multitenancy, no protected recordings, no callbacks, no post-import scripts, no S3.

Config (JSON, --config): {"secret": LOADBALANCER_SECRET, "servers": [{"id", "url", "secret", "state",
"load_multiplier"}]}. A server's "state" is applied when it first appears or when the configured value changes
(as an operator's `rake servers:cordon`); otherwise the state kept in <state-dir>/state.json wins, as Redis would.
Admin calls are appended to <state-dir>/calls.log (JSON lines, no secrets, no checksums).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import http.client
import json
import math
import mimetypes
import os
import random
import re
import secrets
import shutil
import ssl
import string
import sys
import tarfile
import tempfile
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
INTERNAL_METADATA = {"isBreakout", "meetingId", "meetingName"}  # models/recording.rb INTERNAL_METADATA
PLAYED_INLINE = {"presentation", "video", "screenshare"}  # playback_controller.rb: the others as attachment
NGINX_404 = (  # nginx's own page: the file an X-Accel-Redirect names is missing
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
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


def ruby_to_i(text):
    """String#to_i: the leading integer, else 0."""
    match = re.match(r"\s*([-+]?\d+)", text or "")
    return int(match.group(1)) if match else 0


def ruby_to_f(text):
    """String#to_f: the leading decimal number, else 0.0."""
    match = re.match(r"\s*([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)", text or "")
    return float(match.group(1)) if match else 0.0


def ruby_round(value):
    """Float#round: halves away from zero."""
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def request_uri(link):
    """URI(link).request_uri of an http(s) link: its path (at least /) and query."""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"undefined method 'request_uri' for the URI {link!r}")
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def extract_tar(filename, directory):
    """tar --extract --file <filename> in <directory>. Lab: only files and directories inside it (GNU tar would
    extract links and devices too)."""
    with tarfile.open(filename) as tar:
        members = tar.getmembers()
        for member in members:
            name = os.path.normpath(member.name)
            if os.path.isabs(name) or name == ".." or name.startswith("../") or not (member.isfile() or member.isdir()):
                raise ValueError(f"the lab double refuses the member {member.name!r}")
        tar.extractall(directory, members=members, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))


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

    # --- recording import (lib/tasks/recordings.rake recordings:watch, lib/recording_importer.rb) ---------------
    def import_recordings(self):
        """recordings:watch: each <RECORDING_SPOOL_DIR>/*.tar in name order through RecordingImporter.import; an
        import that raises is logged and its tar stays, for the next scan. Upstream scans every `latency` (30 s); the
        double scans when asked (before getRecordings and playback): the importer's poll. It never asks a node."""
        spool = self.args.spool_dir
        try:
            os.makedirs(spool, exist_ok=True)  # FileUtils.mkdir_p(dir)
            tars = sorted(glob.glob(os.path.join(glob.escape(spool), "*.tar")))
        except OSError as error:
            sys.stderr.write(f"scalelite-double: recording spool {spool}: {error}\n")
            return
        for filename in tars:
            try:
                self.import_tar(filename)
            except Exception as error:  # noqa: BLE001 - recordings:watch rescues StandardError and goes on
                sys.stderr.write(f"scalelite-double: Failed to import recording: {error}\n")

    def import_tar(self, filename):
        """RecordingImporter.import: the tar extracted into a temporary directory (RECORDING_WORK_DIR; the double's
        is under --state-dir); each */*/metadata.xml creates or updates its recording (create_from_metadata_xml),
        whose <format>/<record_id> directory then replaces <publish dir>/<format>/<record_id> (an unpublished one:
        the unpublish dir); a metadata.xml that fails is skipped with a warning. Then the tar is deleted. Raises (the
        tar stays) for a tar that does not extract, and for one without any recording (upstream's
        `recording.meeting_id` on nil)."""
        sys.stderr.write(f"scalelite-double: Importing recording from file: {filename}\n")
        recording = None
        with tempfile.TemporaryDirectory(dir=self.args.state_dir) as tmpdir:
            try:
                extract_tar(filename, tmpdir)
            except (OSError, EOFError, tarfile.TarError, ValueError) as error:
                raise RuntimeError(f"Failed to extract tar file: {filename} ({error})") from error
            for metadata_xml in sorted(glob.glob(os.path.join(glob.escape(tmpdir), "*", "*", "metadata.xml"))):
                name = os.path.relpath(metadata_xml, tmpdir)
                sys.stderr.write(f"scalelite-double: Found metadata file: {name}\n")
                try:
                    with open(metadata_xml, "rb") as handle:
                        recording, playback_format = self.create_from_metadata_xml(handle.read())
                    self.store_format_files(tmpdir, recording, playback_format)
                    self.recordings[recording["recordID"]] = recording  # the transaction commits
                except Exception as error:  # noqa: BLE001 - upstream isolates per-format failures
                    sys.stderr.write(
                        f"scalelite-double: Skipping recording format from {name} due to import error: {error}\n"
                    )
        if recording is None:
            raise RuntimeError(f"undefined method 'meeting_id' for nil: no recording imported from {filename}")
        os.remove(filename)
        self.save()

    def create_from_metadata_xml(self, data):
        """models/recording.rb Recording.create_from_metadata_xml: the recording found by record_id or a new one,
        updated with what the metadata.xml has (id, meta/meetingId, meta/meetingName, published, participants, state
        - 'available' read as 'published' -, start_time, end_time), its metadata (meta without isBreakout, meetingId,
        meetingName) added or updated by key, its playback format (found by name) given url = the link's request_uri
        and length = duration / 60000 rounded. Thumbnails are not kept. Returns (recording, format), not stored yet:
        RecordingImporter's transaction commits them once the files are in place."""
        root = ET.fromstring(data)  # noqa: S314 - a lab node's metadata.xml
        if root.tag != "recording" or root.find("meta") is None:
            raise ValueError("undefined method 'at_xpath' for nil: no <recording> with <meta>")
        meta = root.find("meta")

        def text(parent, path):
            found = parent.find(path)
            return None if found is None else found.text or ""

        def present(value):
            return value is not None and value.strip() != ""

        params = {"recordID": text(root, "id"), "meetingID": text(meta, "meetingId"), "name": text(meta, "meetingName")}
        if present(text(root, "published")):
            params["published"] = text(root, "published") == "true"
        if present(text(root, "participants")):
            params["participants"] = ruby_to_i(text(root, "participants"))
        if present(text(root, "state")):
            params["state"] = "published" if text(root, "state") == "available" else text(root, "state")  # screenshare
        for key, tag in (("startTime", "start_time"), ("endTime", "end_time")):
            if present(text(root, tag)):
                params[key] = ruby_to_i(text(root, tag))  # Time.at(Rational(ms, 1000)), rendered as ms again
        metadata = [(m.tag, m.text or "") for m in meta if m.tag not in INTERNAL_METADATA]
        playback = root.find("playback")
        if playback is None or text(playback, "link") is None:
            raise ValueError("undefined method for nil: no <playback> with a <link>")
        link = text(playback, "link").strip()
        format_params = {"type": text(playback, "format")}
        if present(text(playback, "duration")):
            format_params["length"] = ruby_round(ruby_to_f(text(playback, "duration")) / 60000)
        if present(link):
            format_params["url"] = request_uri(link)
        if not present(params["recordID"]) or not present(params["meetingID"]):
            raise ValueError("Validation failed: record_id and meeting_id must be present")
        if params.get("state") not in (None, "processing", "processed", "published", "unpublished", "deleted"):
            raise ValueError(f"Validation failed: State {params['state']} is not included in the list")
        for value in (params["recordID"], format_params["type"]):
            if not value or "/" in value or value in (".", ".."):  # lab: never a path outside the publish dir
                raise ValueError(f"the lab double refuses {value!r} as a record id or format name")
        recording = json.loads(json.dumps(self.recordings.get(params["recordID"]))) or {
            "recordID": params["recordID"],
            "meetingID": None,
            "name": None,
            "published": False,  # db/schema.rb: default false
            "state": None,
            "startTime": None,
            "endTime": None,
            "participants": None,
            "metadata": [],
            "formats": [],
        }
        recording.update(params)
        keys = [key for key, _value in recording["metadata"]]
        for key, value in metadata:
            if key in keys:
                recording["metadata"][keys.index(key)] = [key, value]
            else:
                recording["metadata"].append([key, value])
                keys.append(key)
        playback_format = next((f for f in recording["formats"] if f["type"] == format_params["type"]), None)
        if playback_format is None:
            playback_format = {"type": format_params["type"], "url": None, "length": None, "processingTime": None}
            recording["formats"].append(playback_format)
            recording["formats"].sort(key=lambda f: f["type"])  # PlaybackFormat default_scope order(format: :asc)
        playback_format.update(format_params)
        return recording, playback_format

    def store_format_files(self, tmpdir, recording, playback_format):
        """RecordingImporter.import: published as the recording is (no publishRecordings here, so never
        publish_updated; RECORDING_IMPORT_UNPUBLISHED false): <format>/<record_id> of the tar moves to
        <publish dir>/<format>/ or <unpublish dir>/<format>/, after both old copies are removed. FileUtils.mv with
        force: true ignores errors: a tar without the directory still imports the recording, without files."""
        record_id, format_type = recording["recordID"], playback_format["type"]
        publish_format_dir = os.path.join(self.args.publish_dir, format_type)
        unpublish_format_dir = os.path.join(self.args.unpublish_dir, format_type)
        shutil.rmtree(os.path.join(publish_format_dir, record_id), ignore_errors=True)
        shutil.rmtree(os.path.join(unpublish_format_dir, record_id), ignore_errors=True)
        format_dir = publish_format_dir if recording["published"] else unpublish_format_dir
        os.makedirs(format_dir, exist_ok=True)
        try:
            shutil.move(os.path.join(tmpdir, format_type, record_id), os.path.join(format_dir, record_id))
        except OSError as error:
            sys.stderr.write(f"scalelite-double: mv {format_type}/{record_id}: {error} (ignored, as force: true)\n")


class Handler(BaseHTTPRequestHandler):
    lab: Lab
    server_version = "scalelite-double"
    sys_version = ""

    def log_message(self, fmt, *args):
        line = re.sub(r"(checksum|[^&?\s]*secret[^=&\s]*)=[^&\s\"]*", r"\1=***", fmt % args, flags=re.IGNORECASE)
        sys.stderr.write(f"scalelite-double: {line}\n")

    # --- plumbing ---------------------------------------------------------------------------------------------
    def send(self, status, body, content_type="application/xml; charset=utf-8", headers=None):
        data = body if isinstance(body, bytes) else body.encode()
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
        found.sort(key=lambda r: r["startTime"] or 0, reverse=True)
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
                ("startTime", rec["startTime"] or 0),  # (nil.to_r * 1000).to_i
                ("endTime", rec["endTime"] or 0),
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
                ET.SubElement(node, "url").text = prefix + (fmt["url"] or "")
                ET.SubElement(node, "length").text = "" if fmt["length"] is None else str(fmt["length"])
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
            else:
                self.static_resource(parts[0], parts[1], parts[2:])
            return True
        return False

    def static_resource(self, format_type, record_id, resource):
        """playback_controller.rb deliver_resource answers 200 with X-Accel-Redirect /static-resource<path>, and nginx
        (scalelite.common: location /static-resource, alias /var/bigbluebutton/published) sends the file of the
        publish dir, its type by its name; Content-Disposition attachment but for presentation, video, screenshare.
        A missing file: nginx's 404. Lab: a directory is answered with its index.html (nginx's `index`)."""
        base = os.path.realpath(os.path.join(self.lab.args.publish_dir, format_type, record_id))
        target = os.path.realpath(os.path.join(base, *resource))
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
        if not (target == base or target.startswith(base + os.sep)) or not os.path.isfile(target):
            self.send(404, NGINX_404, "text/html")
            return
        with open(target, "rb") as handle:
            data = handle.read()
        headers = {} if format_type in PLAYED_INLINE else {"Content-Disposition": "attachment"}
        self.send(200, data, mimetypes.guess_type(target)[0] or "application/octet-stream", headers)

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
    parser.add_argument("--spool-dir", default="/var/bigbluebutton/spool", help="RECORDING_SPOOL_DIR")
    parser.add_argument("--publish-dir", default="/var/bigbluebutton/published", help="RECORDING_PUBLISH_DIR")
    parser.add_argument("--unpublish-dir", default="/var/bigbluebutton/unpublished", help="RECORDING_UNPUBLISH_DIR")
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
