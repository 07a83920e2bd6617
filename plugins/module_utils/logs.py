# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Log lines of a BigBlueButton cluster: their time, their secrets, a time window, a meeting's events.

Shared by the module ``log_collect`` (on the hosts: it reads, filters and redacts there, so a secret never
leaves a host) and the filters ``log_window``, ``meeting_window`` and ``log_bundle`` (on the controller).

Time formats (the first one found near the start of a line is the line's time):

| format | written by |
|---|---|
| ``[29/Nov/2026:05:19:03 +0000]`` | nginx ``$time_local`` (the proxy's and the node's access logs) |
| ``2026/11/29 05:19:03 [error]`` (host local time) | nginx error logs |
| ``2026-11-29T05:19:03.123Z`` / ``+01:00`` / ``+0100`` | bbb-web logback ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``; |
| | ``journalctl -o short-iso-precise``; ``$time_iso8601`` of the client log (``[...]``) |

A line without a time (a stack trace's continuation) belongs to the line before it.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import time

REDACTED = "[REDACTED]"

_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_NGINX_LOCAL = re.compile(r"\[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]")
_NGINX_ERROR = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[")
_ISO = re.compile(r"(?:^|\[)(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?")
_HEAD = 80  # a line's time is near its start (after the client address at most)

# Values that are secrets in any log line, whatever wrote it. Keys are matched case-insensitively.
_QUERY_KEYS = (
    r"checksum|sessionToken|session_token|authToken|password|moderatorPW|attendeePW|JSESSIONID|secret|securitySalt"
)
_REDACTIONS = [
    # query strings and key=value pairs: checksum=..., sessionToken=..., password=..., JSESSIONID=...
    # (the lookahead, the keys' first letters, only lets the engine skip the other positions faster)
    (re.compile(r"(?i)\b(?=[cspamj])(" + _QUERY_KEYS + r")(=)(?!\[REDACTED\])[^&\s\"';,\]]+"), r"\1\2" + REDACTED),
    # JSON and logged maps: "sessionToken":"...", moderatorPW: ...
    (re.compile(r"(?i)(\"(?:" + _QUERY_KEYS + r")\"\s*:\s*\")[^\"]*(\")"), r"\1" + REDACTED + r"\2"),
    # headers, in any logged form: Authorization: Bearer x, Cookie: a=b; c=d, X-Session-Token: x
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization|set-cookie|cookie|x-session-token)(\s*[:=]\s*)[^\"\n]+"),
        r"\1\2" + REDACTED,
    ),
    # bbb-web's checksum error: "our: [<hex>], client: [<hex>]" (ParamsProcessorUtil.isChecksumSame)
    (re.compile(r"(?i)\b(our|client)(:\s*\[)[0-9a-f]{32,128}(\])"), r"\1\2" + REDACTED + r"\3"),
    # bbb-web's computed checksum: "SHA256 <hex>", "SHA-1 <hex>" (ParamsProcessorUtil, ChecksumValidator)
    (re.compile(r"(?i)\b(sha-?(?:1|256|384|512)\"?)(\s+hex=|\s+|:\s*)[0-9a-f]{40,128}\b"), r"\1\2" + REDACTED),
]
# Per pattern of _REDACTIONS, strings one of which an ASCII line holds (lower-cased) wherever the pattern can match:
# a line without any of them is not searched with it. Searching every line with every pattern took ~60 us a line, a
# minute for a busy node's day; most lines hold none of these. A line with other characters is searched with all
# (IGNORECASE matches some non-ASCII letters to ASCII ones: the Kelvin sign to k, the long s to s).
_KEYS_LOWER = tuple(key.lower() for key in _QUERY_KEYS.split("|"))
_TRIGGERS = [
    tuple(key + "=" for key in _KEYS_LOWER),
    tuple(f'"{key}"' for key in _KEYS_LOWER),
    ("authorization", "cookie", "x-session-token"),
    ("our:", "client:"),
    ("sha",),
]


class LogError(ValueError):
    """A value the operator gave that cannot be used; the message names it and the fix."""


def _offset(sign, hours, minutes):
    seconds = int(hours) * 3600 + int(minutes) * 60
    return -seconds if sign == "-" else seconds


def _local_epoch(year, month, day, hour, minute, second):
    """Seconds since the epoch of a wall-clock time of this host's time zone (nginx's error log)."""
    return time.mktime((int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, -1))


def line_time(line):
    """The time of a log line as seconds since the epoch (float), or None when the line has none."""
    head = line[:_HEAD]
    match = _NGINX_LOCAL.search(head)
    if match:
        day, month, year, hour, minute, second, sign, oh, om = match.groups()
        if month not in _MONTHS:
            return None
        utc = calendar.timegm((int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second)))
        return float(utc - _offset(sign, oh, om))
    match = _NGINX_ERROR.match(head)
    if match:
        return float(_local_epoch(*match.groups()))
    match = _ISO.search(head)
    if match:
        return _iso_epoch(match)
    return None


def _iso_epoch(match):
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    fields = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    if zone is None:
        whole = _local_epoch(*fields)
    else:
        whole = calendar.timegm(fields)
        if zone != "Z":
            zone = zone.replace(":", "")
            whole -= _offset(zone[0], zone[1:3], zone[3:5])
    return float(whole) + (float("0." + fraction) if fraction else 0.0)


def parse_time(value, name):
    """An operator's time (ISO 8601; without an offset it is UTC; or @<epoch seconds>) as epoch seconds.

    Raises LogError naming the variable ``name`` and the fix.
    """
    text = str(value).strip()
    if re.fullmatch(r"@\d+(\.\d+)?", text):
        return float(text[1:])
    match = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?", text
    )
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        try:
            fields = (int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
            time.strptime("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*fields), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            match = None
        else:
            whole = calendar.timegm(fields)
            if zone and zone != "Z":
                zone = zone.replace(":", "")
                whole -= _offset(zone[0], zone[1:3], zone[3:5])
            return float(whole) + (float("0." + fraction) if fraction else 0.0)
    raise LogError(
        f"{name} is '{text}', which is not a time. Fix: give an ISO 8601 time such as 2026-11-29T14:05:00Z "
        f"(UTC without an offset; 2026-11-29T15:05:00+01:00 with one) or @<seconds since 1970>"
    )


def iso(epoch):
    """Epoch seconds as an ISO 8601 UTC time with milliseconds (the timeline's and the manifest's format)."""
    whole = int(epoch)
    millis = int(round((epoch - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def redact(line, secrets=()):
    """The line with every known secret value replaced by [REDACTED]: the given secrets (the node's shared
    secret) verbatim, then checksums, session tokens, passwords, session cookies and auth headers by pattern."""
    for secret in secrets:
        if secret:
            line = line.replace(secret, REDACTED)
    lower = line.lower() if line.isascii() else None
    for (pattern, replacement), triggers in zip(_REDACTIONS, _TRIGGERS):
        if lower is None or any(trigger in lower for trigger in triggers):
            line = pattern.sub(replacement, line)
    return line


def _matcher(strings):
    """A test of whether a line holds one of ``strings`` (None: every line passes) whose cost does not grow with
    their number (the proxy's lines of hundreds of nodes: ``node=<hostname> ``): where they share a beginning, each
    place the line has it is compared with the strings of each length at once (a set); else one regular expression."""
    strings = set(strings)
    if not strings:
        return None
    if "" in strings:
        return lambda line: True
    prefix = os.path.commonprefix(sorted(strings))
    if not prefix:
        return re.compile("|".join(re.escape(s) for s in sorted(strings, key=len, reverse=True))).search
    by_length = {}
    for string in strings:
        by_length.setdefault(len(string), set()).add(string)
    lengths = sorted(by_length.items())

    def holds(line):
        at = line.find(prefix)
        while at >= 0:
            if any(line[at : at + length] in found for length, found in lengths):
                return True
            at = line.find(prefix, at + 1)
        return False

    return holds


def window_lines(lines, since, until, secrets=(), match_any=()):
    """[time, redacted line] of every line in [since, until] (and, given ``match_any``, holding one of its
    strings); a line without a time has the time of the line before it, and lines before the first time are
    dropped. Matching is done on the original line, the result is redacted. ``lines`` is read once, line by line
    (a file or a generator: only the window's lines are held)."""
    found = []
    current = None
    keep = False
    holds = _matcher(match_any)
    for raw in lines:
        line = raw.rstrip("\r\n")
        stamp = line_time(line)
        if stamp is not None:
            current = stamp
            keep = since <= stamp <= until and (holds is None or bool(holds(line)))
        elif current is None:
            continue
        if keep:
            found.append([current, redact(line, secrets)])
    return found


_ANALYTICS = re.compile(r"--analytics-- data=(\{.*\})\s*$")
# bbb-web's logCodes that open and close a meeting (bbb-common-web MeetingService: handleCreateMeeting,
# processRemoveEndedMeeting).
MEETING_START = ("create_meeting",)
MEETING_END = ("meeting_removed_from_running", "meeting_ended", "meeting_destroyed")


def meeting_events(lines, meeting_id):
    """The meetings of bbb-web's analytics lines whose internal or external id is ``meeting_id`` (the internal
    id may be given by its prefix, as bbb-web's getMeeting matches): [{internal, external, created, ended}].

    Meetings whose external or whole internal id it is win over those whose internal id merely starts with it:
    internal ids are <sha1 hex>-<milliseconds>, so a short external id (42) starts one in 256 of them, and a busy
    node's weeks of bbb-web logs hold thousands. ``lines`` is read once, line by line."""
    meetings = {}
    exact = set()
    for raw in lines:
        if "--analytics--" not in raw:
            continue
        match = _ANALYTICS.search(raw)
        if not match:
            continue
        try:
            data = json.loads(match.group(1))
        except ValueError:
            continue
        internal = str(data.get("meetingId") or "")
        external = str(data.get("externalMeetingId") or "")
        if not internal or not (external == meeting_id or internal.startswith(meeting_id)):
            continue
        if external == meeting_id or internal == meeting_id:
            exact.add(internal)
        stamp = line_time(raw)
        if stamp is None:
            continue
        entry = meetings.setdefault(
            internal, {"internal": internal, "external": external, "created": None, "ended": None}
        )
        code = data.get("logCode")
        if code in MEETING_START and (entry["created"] is None or stamp < entry["created"]):
            entry["created"] = stamp
        elif code in MEETING_END and (entry["ended"] is None or stamp > entry["ended"]):
            entry["ended"] = stamp
    found = [m for m in meetings.values() if m["internal"] in exact] if exact else list(meetings.values())
    return sorted(found, key=lambda m: (m["created"] or 0, m["internal"]))
