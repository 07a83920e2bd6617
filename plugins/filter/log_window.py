# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: log_window
short_description: Check a log bundle's request (a meeting, or a time window) and return its window
version_added: 0.2.0
description:
  - The input is the operator's request of P(bbb.cluster_proxy.bbb_logs#role) - O(_input.meeting_id), or
    O(_input.since) and O(_input.until) - checked before anything is collected.
  - Times are ISO 8601 (V(2026-11-29T14:05:00Z), V(2026-11-29 14:05), V(2026-11-29T15:05:00+01:00); UTC where the
    offset is missing) or V(@<seconds since 1970>).
  - Fails, naming the variable and the fix, on neither a meeting nor a window, on both, on only one end of a window,
    on a time that does not parse, on O(_input.since) not before O(_input.until), and on a negative margin.
options:
  _input:
    description: The request.
    type: dict
    required: true
    suboptions:
      meeting_id:
        description: A meeting's external id (C(meetingID) of create) or internal id; empty for a window.
        type: str
      since:
        description: Start of the window; empty for a meeting.
        type: str
      until:
        description: End of the window; empty for a meeting.
        type: str
      margin:
        description: Seconds added before and after a meeting's run.
        type: int
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: The window of 14:00 to 15:00 UTC
  ansible.builtin.debug:
    msg: "{{ {'since': '2026-11-29T14:00Z', 'until': '2026-11-29T15:00Z'} | bbb.cluster_proxy.log_window }}"
"""

RETURN = r"""
_value:
  description: >-
    The mode (V(meeting) or V(window)), the meeting id, the margin, and for a window its ends as seconds since 1970
    (C(since), C(until)) and as ISO 8601 UTC (C(since_iso), C(until_iso)).
  type: dict
  sample: {mode: window, meeting_id: "", margin: 120, since: 1795960800.0, until: 1795964400.0,
           since_iso: "2026-11-29T14:00:00.000Z", until_iso: "2026-11-29T15:00:00.000Z"}
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import LogError, iso, parse_time


def log_window(request):
    request = dict(request or {})
    meeting_id = str(request.get("meeting_id") or "").strip()
    since = str(request.get("since") or "").strip()
    until = str(request.get("until") or "").strip()
    try:
        margin = int(request.get("margin") if request.get("margin") not in (None, "") else 120)
    except (TypeError, ValueError):
        margin = -1
    if margin < 0:
        raise AnsibleFilterError(
            f"bbb_logs_margin is '{request.get('margin')}': it must be a number of seconds >= 0. Fix: e.g. -e bbb_logs_margin=120"
        )
    if meeting_id and (since or until):
        raise AnsibleFilterError(
            "Give either meeting_id or since/until, not both (meeting_id finds its own window). "
            "Fix: drop -e since/-e until, or drop -e meeting_id."
        )
    if meeting_id:
        return {"mode": "meeting", "meeting_id": meeting_id, "margin": margin}
    if not since and not until:
        raise AnsibleFilterError(
            "Nothing to collect: give -e meeting_id=<meeting> (the meetingID of create, or its internalMeetingID), "
            "or a window with -e since=<time> -e until=<time> (ISO 8601, e.g. 2026-11-29T14:00:00Z)."
        )
    for name, value in (("since", since), ("until", until)):
        if not value:
            raise AnsibleFilterError(
                f"{name} is missing: a window needs both since and until. Fix: add -e {name}=<time> "
                "(ISO 8601, e.g. 2026-11-29T14:00:00Z)."
            )
    try:
        start, end = parse_time(since, "since"), parse_time(until, "until")
    except LogError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    if start >= end:
        raise AnsibleFilterError(
            f"since ({iso(start)}) is not before until ({iso(end)}). Fix: swap them, or give an until after since."
        )
    return {
        "mode": "window",
        "meeting_id": "",
        "margin": margin,
        "since": start,
        "until": end,
        "since_iso": iso(start),
        "until_iso": iso(end),
    }


class FilterModule:
    def filters(self):
        return {"log_window": log_window}
