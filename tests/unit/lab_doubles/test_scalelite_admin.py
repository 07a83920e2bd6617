# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Scalelite double's admin API (getServers, getServerInfo, updateServer) as Scalelite v1.8.5's."""

from __future__ import annotations

import json

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.scalelite import (
    ALL_SECRETS,
    NODE_SECRETS,
    admin,
    request,
)


def test_update_server_rejects_wrong_content_type_and_checksum(lab):
    port = lab.start().port
    lab.poll()
    good = {"id": "room-a", "server": {"state": "cordon"}}
    status, _unused, body = admin(port, "updateServer", good, content_type="application/x-www-form-urlencoded")
    assert status == 200 and "<messageKey>unsupportedContentType</messageKey>" in body
    status, _unused, body = admin(port, "updateServer", good, secret=NODE_SECRETS["room-a"])
    assert status == 200 and "<messageKey>checksumError</messageKey>" in body
    path = "/scalelite/api/updateServer"
    assert "checksumError" in request(port, path, "POST", json.dumps(good), {"Content-Type": "application/json"})[2]
    assert lab.servers()["room-a"]["state"] == "enabled"  # nothing was changed
    status, _unused, body = admin(port, "updateServer", {"id": "room-a", "server": {"state": "pause"}})
    assert (status, json.loads(body)) == (400, {"error": "Invalid state parameter: pause"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-a"})
    assert (status, json.loads(body)) == (400, {"error": "param is missing or the value is empty: server"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-z", "server": {"state": "cordon"}})
    assert (status, json.loads(body)) == (404, {"error": "Couldn't find server with id=room-z"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-a", "server": {"load_multiplier": 0}})
    assert (status, json.loads(body)) == (400, {"error": "Load-multiplier must be a non-zero number"})
    assert "unsupportedRequest" in admin(port, "updateServer")[2]  # GET is not routed
    # the body is not covered by the checksum: the same query signs any body
    status, _unused, body = admin(port, "updateServer", good)
    assert status == 200 and json.loads(body)["state"] == "cordoned"


def test_get_servers_and_server_info_shapes(lab):
    port = lab.start(states={"room-b": "disabled"}).port
    lab.poll()
    status, headers, body = admin(port, "getServers")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    servers = json.loads(body)
    assert [s["id"] for s in servers] == ["room-a", "room-b"]
    assert set(servers[0]) == {
        "id",
        "url",
        "secret",
        "tag",
        "bbb_version",
        "state",
        "load",
        "load_multiplier",
        "online",
    }
    assert servers[0]["state"] == "enabled" and servers[0]["load"] == 0.0 and servers[0]["online"] == "online"
    assert servers[1]["state"] == "disabled" and servers[1]["load"] == "unavailable"
    status, _unused, body = admin(port, "getServerInfo", id="room-b")
    assert status == 200 and json.loads(body)["url"].endswith("/bigbluebutton/api")
    assert admin(port, "getServerInfo", id="nope")[0] == 404
    assert "checksumError" in request(port, "/scalelite/api/getServers")[2]


def test_admin_calls_are_logged_without_secrets_and_state_survives_a_restart(lab):
    port = lab.start().port
    lab.poll()
    admin(port, "updateServer", {"id": "room-a", "server": {"state": "cordon", "secret": NODE_SECRETS["room-b"]}})
    admin(port, "getServers")
    log = (lab.state_dir / "calls.log").read_text()
    entries = [json.loads(line) for line in log.splitlines()]
    assert [(e["call"], e["status"]) for e in entries] == [("updateServer", 200), ("getServers", 200)]
    assert entries[0]["body"]["server"]["state"] == "cordon"
    assert "checksum" not in log and all(secret not in log for secret in ALL_SECRETS)
    assert oct((lab.state_dir / "state.json").stat().st_mode & 0o777) == "0o600"
    lab.start()  # a restart with the same configuration keeps the runtime state
    assert lab.servers()["room-a"]["state"] == "cordoned"


def test_unknown_paths_answer_as_rails_does(lab):
    port = lab.start().port
    status, _unused, body = request(port, "/no/such/path")
    assert status == 200 and "<messageKey>unsupportedRequest</messageKey>" in body
    assert request(port, "/bigbluebutton/api/publishRecordings")[0] == 501  # never a silent success
