# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalelite's admin API (/scalelite/api: controllers/api/servers_controller.rb, api/scalelite_api_controller.rb,
services/server_update_service.rb), logged to <state-dir>/calls.log without secrets."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from scalelite_lab.errors import BBBError
from scalelite_lab.ruby import decimal_text

REDACTED = "<redacted by the lab double>"
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


class AdminApi:
    """The Handler's /scalelite/api."""

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
