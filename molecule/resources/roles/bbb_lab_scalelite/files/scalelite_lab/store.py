# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Scalelite keeps in Redis and PostgreSQL (servers, meetings, recordings), kept in <state-dir>/state.json; the
server model (models/server.rb) and the meeting's voice bridge (models/meeting.rb)."""

from __future__ import annotations

import hashlib
import json
import os
import random

from scalelite_lab.errors import BBBError
from scalelite_lab.importer import RecordingImporter
from scalelite_lab.nodes import NodeCalls

VOICE_BRIDGE_LEN = 9


class Lab(NodeCalls, RecordingImporter):
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
