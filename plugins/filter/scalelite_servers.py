# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: scalelite_servers
short_description: Scalelite's servers without their secrets, or the one of a BigBlueButton node
version_added: 0.2.0
description:
  - Takes the JSON answer of Scalelite's admin API C(GET /scalelite/api/getServers) (a list of servers,
    C(app/controllers/api/servers_controller.rb) C(server_to_json)) and returns each server's C(id), C(url), C(state)
    and C(online) only. Upstream returns every node's shared secret in clear; the result never holds it, so it can
    be shown in a message.
  - With O(node_origin), only the servers whose URL is that node's BBB API (C(<node_origin>/bigbluebutton/api), with or
    without a trailing slash, scheme and host in any case), which is how an operator adds a node
    (C(rake servers:add[https://bbb-01.example.com/bigbluebutton/api,SECRET])); with O(server_id), only the server of
    that id (Scalelite's ids are UUIDs unless C(SERVER_ID_IS_HOSTNAME) is set).
  - A server without C(state) (added before Scalelite had states) is V(enabled) or V(disabled) by its C(enabled) flag,
    as C(server_to_json) does.
options:
  _input:
    description: The parsed JSON answer of getServers.
    type: list
    elements: dict
    required: true
  node_origin:
    description: The node's origin, C(https://bbb-01.example.com); empty means every server.
    type: str
    default: ""
  server_id:
    description: A server id; empty means any. Takes precedence over O(node_origin).
    type: str
    default: ""
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Find the Scalelite server of a node
  ansible.builtin.set_fact:
    __server: "{{ getservers.json | bbb.cluster_proxy.scalelite_servers(node_origin='https://bbb-01.example.com') | first }}"
"""

RETURN = r"""
_value:
  description: The matching servers, in Scalelite's order, as dicts with C(id), C(url), C(state) and C(online).
  type: list
  elements: dict
  sample:
    - id: 7c3b6ad4-63a4-4c4a-9c11-3f0f6f2b0a51
      url: https://bbb-01.example.com/bigbluebutton/api
      state: enabled
      online: online
"""

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError


def _normal(url):
    """scheme://host[:port]/path, scheme and host lowercased, without a trailing slash."""
    parts = urlsplit(str(url).strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def scalelite_servers(servers, node_origin="", server_id=""):
    if isinstance(servers, (str, bytes)) or not isinstance(servers, Sequence):
        raise AnsibleFilterError(
            f"scalelite_servers expects the list that getServers answers, got {type(servers).__name__}. "
            "Fix: pass the parsed JSON of GET /scalelite/api/getServers"
        )
    wanted = _normal(str(node_origin).rstrip("/") + "/bigbluebutton/api") if node_origin else None
    found = []
    for server in servers:
        if not isinstance(server, Mapping):
            continue
        state = server.get("state") or ("enabled" if server.get("enabled") else "disabled")
        entry = {
            "id": str(server.get("id", "")),
            "url": str(server.get("url", "")),
            "state": str(state),
            "online": str(server.get("online", "")),
        }
        if server_id:
            if entry["id"] != str(server_id):
                continue
        elif wanted is not None and _normal(entry["url"]) != wanted:
            continue
        found.append(entry)
    return found


class FilterModule:
    def filters(self):
        return {"scalelite_servers": scalelite_servers}
