# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: meeting_window
short_description: The node and the time window of a meeting, from what bbb-web logged on each node
version_added: 0.2.0
description:
  - The input maps each node to the meetings that P(bbb.cluster_proxy.log_collect#module) found for the meeting id
    in its bbb-web log (C(create_meeting) and C(meeting_removed_from_running) lines).
  - Picks the meeting created last (an external id can be reused; give the internal id to pick another), and
    returns its node and its window - from its creation to its end, or to O(now) while it runs - widened by
    O(margin) seconds on both sides.
  - Fails, naming the meeting id, the nodes searched and the fix, when no node logged the meeting.
options:
  _input:
    description: Node (inventory name) -> list of meetings (C(internal), C(external), C(created), C(ended)).
    type: dict
    required: true
  meeting_id:
    description: The id that was searched, for the messages.
    type: str
    required: true
  margin:
    description: Seconds added before the creation and after the end.
    type: int
    default: 120
  now:
    description: The end of a meeting that has not ended (seconds since 1970).
    type: float
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Where and when did room-42 run?
  ansible.builtin.set_fact:
    found: >-
      {{ {'bbb-01.example.com': [{'internal': 'abc-1', 'external': 'room-42', 'created': 1795960800, 'ended': null}]}
         | bbb.cluster_proxy.meeting_window('room-42', margin=120, now=1795964400) }}
"""

RETURN = r"""
_value:
  description: >-
    C(mode) V(meeting), C(meeting_id), C(node), C(meeting) (internal, external, created, ended), C(others) (other
    meetings found for the id), C(margin), C(since)/C(until) (seconds since 1970) and C(since_iso)/C(until_iso).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import iso


def meeting_window(found, meeting_id, margin=120, now=None):
    if now is None:
        raise AnsibleFilterError("meeting_window needs now (seconds since 1970)")
    margin = int(margin)
    candidates = []
    for node, meetings in sorted((found or {}).items()):
        for meeting in meetings or []:
            if meeting.get("created") is not None or meeting.get("ended") is not None:
                candidates.append((node, meeting))
    if not candidates:
        raise AnsibleFilterError(
            f"meeting_id '{meeting_id}' was not found in bbb-web's log on any node searched "
            f"({', '.join(sorted(found or {})) or 'none'}). Fix: check the id (the meetingID given to create, or the "
            "internalMeetingID it answered), whether the meeting ran on a node of this inventory (not --limit'ed "
            "away) within bbb-web's log history, or collect by time with -e since=... -e until=..."
        )
    candidates.sort(key=lambda c: (c[1].get("created") or c[1].get("ended") or 0, c[0]))
    node, meeting = candidates[-1]
    start = meeting.get("created") if meeting.get("created") is not None else meeting["ended"]
    end = meeting.get("ended") if meeting.get("ended") is not None else float(now)
    since, until = float(start) - margin, max(float(end), float(start)) + margin
    return {
        "mode": "meeting",
        "meeting_id": meeting_id,
        "node": node,
        "meeting": dict(meeting),
        "others": [dict(m, node=n) for n, m in candidates[:-1]],
        "margin": margin,
        "since": since,
        "until": until,
        "since_iso": iso(since),
        "until_iso": iso(until),
    }


class FilterModule:
    def filters(self):
        return {"meeting_window": meeting_window}
