# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read what ``bbb-conf --check`` and ``bbb-conf --status`` print (the node preflight).

Upstream: bigbluebutton/bigbluebutton, ``bigbluebutton-config/bin/bbb-conf`` (read through the stored index:
commit ``0001331`` is 3.0-era, it lists the ``bbb-graphql-*`` units; ``15b0e11`` is 2.6/2.7-era, with kurento and
bbb-lti; the functions below and their line shapes are the same in both).

``--check`` (the ``if [ $CHECK ]`` branch):
  - ``print_bigbluebutton_version`` prints an empty line, then ``BigBlueButton Server $BIGBLUEBUTTON_RELEASE (<sum of
    package revisions>)``; then ``Kernel version:``, ``Distribution:`` and the settings of each config file.
  - ``check_state`` (which runs ``check_configuration`` first) prints the findings as text, one finding starting with a
    ``# Error: ...``, ``# Warning: ...`` or ``# Not running:  <apps>`` line (``NOT_RUNNING_APPS`` starts with a
    space, so two spaces follow the colon), followed by ``#``-lines of detail; ``# Error: Detected some processes have
    not started correctly`` is printed when ``bbb-conf --status | grep inactive`` finds a line, and that grep also
    echoes the raw ``--status`` lines it found into the ``--check`` output. ``check_state`` ends with ``exit 0``:
    problems do not change the exit code.
  - Exit 1 only where it cannot check: the script guards (not root without sudo, ``bigbluebutton-release`` missing:
    ``# BigBlueButton does not appear to be installed.  Could not`` / ``# locate: ...``), ``need_root``,
    ``check_no_value`` (``# Tried to check <name> in`` ... ``# but value is empty.``) and the default shared secret
    (``systemctl stop bbb-web; exit 1``).

``--status`` (``display_bigbluebutton_status``, then ``exit 0``): one line per unit, in this order where installed:
  nginx, freeswitch, redis-server, bbb-apps-akka, bbb-fsesl-akka, [tomcat9 (2.x, bbb-lti)], [mongod, bbb-html5,
  bbb-html5-backend@N, bbb-html5-frontend@N (meteor client: 2.x, early 3.0)], bbb-graphql-actions,
  bbb-graphql-middleware, bbb-graphql-server (3.0), bbb-webrtc-sfu, bbb-webrtc-recorder, [kurento-media-server(-888x)
  (2.x)], etherpad, bbb-web, [bbb-webhooks], [bbb-lti (2.x)], bbb-pads, bbb-export-annotations,
  bbb-rap-caption-inbox, bbb-rap-resque-worker, bbb-rap-starter, [bbb-transcription-controller] -- about 20 on 3.0.
  The line is ``printf "%s %s [✔ - $status]\\n" $unit "${line:${#unit}}"`` (``[✘ - $status]`` where
  ``systemctl is-active`` is not ``active``), ``line`` a run of U+2014 dashes ending in U+25BA; a name as long as
  ``line`` leaves no arrow (``bbb-export-annotations ► [✔ - active]`` in the 2.6 docs with a shorter ``line``).
  The lab's double (molecule/resources/roles/bbb_lab_node/templates/bbb-conf.j2) prints the same shape.

Every function here is linear in the size of its input: one pass over the lines, string methods and one regular
expression without nested or overlapping quantifiers (ANSI colour sequences), so a production-sized output gives the
same answer as a small one in proportional time.
"""

from __future__ import annotations

import re

# CSI sequences (colours, cursor: ESC [ params intermediates final) and the other escapes (ESC intermediates final,
# as tput sgr0's ESC ( B); each quantifier's class is disjoint from what follows it, so a match attempt is linear and
# only starts at an ESC.
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[ -/]*[0-~])")
_MARKS = ("✔", "✘")
SERVER_PREFIX = "BigBlueButton Server "
PROBLEM_PREFIXES = ("# Error:", "# Not running:")
WARNING_PREFIX = "# Warning"


def strip_ansi(line):
    """The line without ANSI escape sequences (colour codes)."""
    return _ANSI_RE.sub("", line) if "\x1b" in line else line


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def result_lines(result, stream):
    """The lines of ``stdout`` or ``stderr`` of a registered command result (``<stream>_lines`` where Ansible set it)."""
    lines = result.get(f"{stream}_lines")
    if isinstance(lines, list):
        return [_text(line) for line in lines]
    return _text(result.get(stream)).splitlines()


def check_server(text):
    """The ``BigBlueButton Server ...`` line of ``--check`` (from the prefix to the end of its line), or ''."""
    start = text.find(SERVER_PREFIX)
    if start < 0:
        return ""
    end = text.find("\n", start)
    return (text[start:] if end < 0 else text[start:end]).rstrip()


def check_warnings(lines):
    """The ``# Warning...`` lines of ``--check``, as printed (colour codes removed)."""
    return [line for line in map(strip_ansi, lines) if line.startswith(WARNING_PREFIX)]


def check_problems(lines):
    """The ``# Error:`` and ``# Not running:`` lines of ``--check``, without ``# `` and with whitespace collapsed."""
    problems = []
    for line in map(strip_ansi, lines):
        if line.startswith(PROBLEM_PREFIXES):
            problems.append(" ".join(line[2:].split()))
    return problems


def parse_status_line(line):
    """``{unit, state}`` of one ``--status`` line, or None where the line is not a unit line.

    A unit line is ``<unit> <dashes and arrow> [<mark> - <state>]``, mark ✔ or ✘; colour codes and the characters
    between the name and the bracket do not matter, nor does trailing whitespace.
    """
    line = strip_ansi(line).strip()
    if not line.endswith("]"):
        return None
    open_at = line.rfind("[")
    if open_at <= 0:
        return None
    mark, sep, state = line[open_at + 1 : -1].partition("-")
    if not sep or mark.strip() not in _MARKS:
        return None
    state = state.strip()
    head = line[:open_at].split()
    if not head or not state or head[0][0] == "#" or any(ch in head[0] for ch in "✔✘—►[]"):
        return None
    return {"unit": head[0], "state": state}


def status_units(lines):
    """Every unit line of ``--status``, in order, as ``{unit, state}``."""
    units = []
    for line in lines:
        if "[" in line:
            unit = parse_status_line(line)
            if unit is not None:
                units.append(unit)
    return units


def _failure(command, result):
    rc = result.get("rc")
    lines = result_lines(result, "stdout") + result_lines(result, "stderr")
    detail = lines[-1] if lines else (_text(result.get("msg")) or "no output")
    return f"bbb-conf {command} failed (exit {'unknown' if rc is None else rc}): {detail}"


def _failed(result):
    rc = result.get("rc")
    return rc is None or str(rc).strip() != "0"


def report(check, status=None):
    """What the preflight reads from the registered results of ``bbb-conf --check`` and ``bbb-conf --status``.

    Returns ``{server, warnings, problems, units}``. ``problems`` are, where ``--check`` exited non-zero, only
    ``bbb-conf --check failed (exit N): <last line of stdout+stderr, or msg, or 'no output'>``; otherwise its
    ``# Error:`` / ``# Not running:`` lines, then ``<unit> is <state> (bbb-conf --status)`` for each unit that
    ``--status`` shows not active (or ``bbb-conf --status failed (exit N): ...`` where ``--status`` itself failed).
    """
    check = check or {}
    status = status or {}
    check_lines = result_lines(check, "stdout")
    units = status_units(result_lines(status, "stdout")) if status else []
    out = {
        "server": check_server(strip_ansi(_text(check.get("stdout")))),
        "warnings": check_warnings(check_lines),
        "units": units,
    }
    if _failed(check):
        out["problems"] = [_failure("--check", check)]
        return out
    problems = check_problems(check_lines)
    if status and _failed(status):
        problems.append(_failure("--status", status))
    problems.extend(f"{u['unit']} is {u['state']} (bbb-conf --status)" for u in units if u["state"] != "active")
    out["problems"] = problems
    return out
