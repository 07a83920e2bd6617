# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: drift_report
short_description: Describe every way a host's cluster-proxy files disagree with the inventory
version_added: 0.1.0
description:
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the C(drift) entry point of the
    bbb_node role (run by the C(bbb.cluster_proxy.drift) playbook) calls P(bbb.cluster_proxy.node_files#module) with
    C(report=true), which returns the same messages as its C(drift) result.
  - Each check names a file, how to read it and what the inventory wants there; the result has one message per
    disagreement, naming the file, the key, the current and the wanted value, and (from O(hints)) what an operator
    sees because of it, e.g. a blank client or CORS errors.
  - Only the wanted keys are compared and shown, so a file's other values (such as the shared secret in
    C(bbb-web.properties)) never appear in a message.
options:
  _input:
    description:
      - The checks. Each is a mapping with C(path), C(format) (V(properties), V(yaml) (also JSON), V(systemd) or
        V(text)), C(content) (base64, as M(ansible.builtin.slurp) returns it; null when the file is missing),
        C(wanted) (nested settings, or the whole text for V(text)), and optionally C(unwanted) (key to a value
        that must be gone) and C(hint) (for V(text)).
    type: list
    elements: dict
    required: true
  hints:
    description: Dotted key to what goes wrong when that key drifts.
    type: dict
    default: {}
  dropins:
    description: Slurp results of systemd drop-ins; each C(item) has C(unit) and C(environment) (wanted variables).
    type: list
    elements: dict
    default: []
  dropin_name:
    description: File name of the drop-ins below C(/etc/systemd/system/<unit>.d/).
    type: str
    default: cluster-proxy.conf
  leftovers:
    description: Paths that exist but belong to an earlier BBB version.
    type: list
    elements: str
    default: []
  effective:
    description:
      - What the running units really have, to catch a drop-in that is right on disk but not in effect.
      - "One entry per unit: C(item) has C(unit) and C(environment) (the role's variables); C(pid) (systemd's
        C(MainPID), 0 when not running), C(setters) (every drop-in or environment file that sets one of the
        variables, in systemd's order) and C(env) (each variable's value in C(/proc/<pid>/environ)), as the read
        phase of P(bbb.cluster_proxy.node_files#module) returns them for a unit (read request C(unit_environment))."
      - "Deprecated, still read: instead of C(pid), C(setters) and C(env), C(stdout_lines) with C(pid N),
        C(set <file>) and C(env VAR=value) lines (the output of the shell task that collection 0.1.0 ran)."
      - "One message per variable the process does not have as the role sets it, naming who wins (a later
        drop-in's C(Environment=) replaces an earlier one, C(EnvironmentFile=) wins over C(Environment=),
        systemd.exec(5)), or, with no other setter, that the unit was not restarted."
    type: list
    elements: dict
    default: []
    version_added: 0.2.0
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Compare bbb-web.properties with the inventory
  ansible.builtin.set_fact:
    drift: >-
      {{ [{'path': '/etc/bigbluebutton/bbb-web.properties', 'format': 'properties', 'content': slurped.content,
           'wanted': {'accessControlAllowOrigin': 'https://proxy.example.com'}}]
         | bbb.cluster_proxy.drift_report(hints={'accessControlAllowOrigin': 'CORS errors'}) }}
  # ["/etc/bigbluebutton/bbb-web.properties: accessControlAllowOrigin is 'https://bbb-01.example.com',
  #   the inventory says 'https://proxy.example.com': CORS errors"]
"""

RETURN = r"""
_value:
  description: One message per disagreement; empty when the host agrees with the inventory.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import drift_report as _drift_report

display = Display()


def drift_report(checks, hints=None, dropins=None, dropin_name="cluster-proxy.conf", leftovers=None, effective=None):
    display.deprecated(
        "bbb.cluster_proxy.drift_report is deprecated: Use the bbb.cluster_proxy.node_files module with "
        "report=true (the drift entry point of the bbb_node role); its drift result holds the same messages.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    try:
        return _drift_report(checks, hints, dropins, dropin_name, leftovers, effective)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"drift_report: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"drift_report": drift_report}
