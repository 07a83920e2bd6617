# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: bbb_conf_report
short_description: What bbb-conf --check and bbb-conf --status say about a BigBlueButton node
version_added: 0.2.0
description:
  - Reads the registered results of C(bbb-conf --check) and C(bbb-conf --status) (a loop's C(results)) and returns
    the server line, the warnings, the problems and the state of every unit.
  - >-
    C(bbb-conf --check) prints its findings as text and exits 0 (upstream C(check_state)); it exits non-zero only
    where it cannot check (not root, BigBlueButton not installed, an empty setting, the default secret).
  - >-
    So a non-zero exit of C(--check) is the one problem, worded C(bbb-conf --check failed) followed by the exit code
    in parentheses, a colon and the last line of stdout and stderr (or C(msg), or C(no output)).
  - >-
    Otherwise the problems are the C(# Error:) and C(# Not running:) lines of C(--check), without C(# ) and with
    whitespace collapsed, then one per unit that C(bbb-conf --status) shows not active (upstream
    C(display_bigbluebutton_status) prints C([✘ - <state>]) for it), worded as C(<unit> is <state>) followed by
    C(bbb-conf --status) in parentheses; where C(--status) itself exits non-zero, that is a problem worded as for
    C(--check).
  - Colour codes, the dashes and arrow between a unit and its state, trailing whitespace and lines that are not unit
    lines do not change the answer; the time taken grows in proportion to the output, not faster.
  - The node preflight (role C(bbb_node), C(tasks/preflight.yml)) uses it; the upstream functions are cited in
    C(plugins/module_utils/bbb_conf.py).
options:
  _input:
    description:
      - >-
        The results of C(ansible.builtin.command) run with C(loop: [--check, --status]) (C(<registered>.results)),
        or the registered loop result itself.
      - A result whose C(item) is C(--check) or C(--status) is taken as that command's; otherwise the first result
        is C(--check) and the second C(--status). C(--status) may be missing (then no units).
      - Each result is read for C(rc), C(stdout) (C(stdout_lines)), C(stderr) (C(stderr_lines)) and C(msg).
    type: list
    elements: dict
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Run bbb-conf --check and --status
  ansible.builtin.command: bbb-conf {{ item }}
  loop: [--check, --status]
  register: bbb_conf
  changed_when: false
  failed_when: false

- name: Stop where BigBlueButton is not healthy
  ansible.builtin.fail:
    msg: "BigBlueButton is not healthy: {{ report.problems | join('; ') }}"
  when: report.problems | length > 0
  vars:
    report: "{{ bbb_conf.results | bbb.cluster_proxy.bbb_conf_report }}"
  # report: {server: 'BigBlueButton Server 3.0.30 (5034)', warnings: [], problems: [],
  #          units: [{unit: nginx, state: active}, {unit: freeswitch, state: active}, ...]}
"""

RETURN = r"""
_value:
  description: What the two commands say.
  type: dict
  contains:
    server:
      description: The line of C(--check) that starts with C(BigBlueButton Server), or an empty string.
      type: str
    warnings:
      description: The C(# Warning...) lines of C(--check), as printed.
      type: list
      elements: str
    problems:
      description: What makes the node unhealthy, in the order found; empty on a healthy node.
      type: list
      elements: str
    units:
      description: Every unit line of C(--status), in order.
      type: list
      elements: dict
      contains:
        unit:
          description: The systemd unit, for example C(bbb-web) or C(bbb-html5-backend@1).
          type: str
        state:
          description: What C(systemctl is-active) said, for example C(active), C(inactive), C(failed) or C(activating).
          type: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_conf import report

_FIX = (
    "pass the results of ansible.builtin.command run with loop: [--check, --status] "
    "(register: x, then x.results | bbb.cluster_proxy.bbb_conf_report)"
)


def bbb_conf_report(results):
    if isinstance(results, Mapping) and "results" in results:
        results = results["results"]
    if not isinstance(results, (list, tuple)) or not all(isinstance(r, Mapping) for r in results):
        raise AnsibleFilterError(
            f"bbb_conf_report: expected a list of registered command results, got {type(results).__name__} "
            f"{str(results)[:120]!r}: {_FIX}"
        )
    if not results:
        raise AnsibleFilterError(f"bbb_conf_report: no results (bbb-conf --check did not run): {_FIX}")
    by_item = {r.get("item"): r for r in results if r.get("item") in ("--check", "--status")}
    check = by_item.get("--check", results[0])
    status = by_item.get("--status", results[1] if len(results) > 1 and results[1] is not check else None)
    return report(check, status)


class FilterModule:
    def filters(self):
        return {"bbb_conf_report": bbb_conf_report}
