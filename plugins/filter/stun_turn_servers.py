# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: stun_turn_servers
short_description: The STUN and TURN servers a BigBlueButton node hands its clients
version_added: 0.2.0
description:
  - Reads the text of a node's C(/etc/bigbluebutton/turn-stun-servers.xml) as bbb-web loads it (a Spring beans
    file; the servers are the beans that the C(StunTurnService) bean refers to) and returns their URLs and hosts,
    never the coturn secret.
  - An empty text, or O(readable=false) (the user C(bigbluebutton) that bbb-web runs as cannot read the file), gives
    what bbb-web then serves, its packaged file's C(stun:stun.l.google.com:19302) and no TURN server.
  - A file bbb-web cannot load (not XML, no C(StunTurnService) bean, a reference to a bean it does not define) fails
    the task with the reason, prefixed by O(where).
  - The servers may be on the node itself (its own coturn) or on a TURN server the cluster shares
    (C(bbb-install -c turn.example.com:<secret>)); the acceptance role refuses only those on the cluster proxy.
options:
  _input:
    description: The file's text (C(content) of M(ansible.builtin.slurp), decoded); empty when it does not exist.
    type: str
    required: true
  readable:
    description: Whether bbb-web's user can read the file.
    type: bool
    default: true
  where:
    description: What to name in an error, such as C(bbb-01.example.com /etc/bigbluebutton/turn-stun-servers.xml).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Name the node's TURN hosts
  ansible.builtin.debug:
    msg: "{{ (turn_file.content | b64decode) | bbb.cluster_proxy.stun_turn_servers | map(attribute='host') | unique }}"
"""

RETURN = r"""
_value:
  description: The servers, in the file's order.
  type: list
  elements: dict
  contains:
    kind:
      description: C(stun) or C(turn).
      type: str
    url:
      description: The URL as bbb-web serves it, such as C(turns:turn.example.com:443?transport=tcp).
      type: str
    host:
      description: The URL's host, in lower case.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.stun_turn import StunTurnError, servers


def stun_turn_servers(text, readable=True, where=""):
    try:
        return servers(text if isinstance(text, str) else "" if text is None else str(text), readable)
    except StunTurnError as exc:
        raise AnsibleFilterError(f"{where}: {exc}" if where else str(exc)) from None


class FilterModule:
    def filters(self):
        return {"stun_turn_servers": stun_turn_servers}
