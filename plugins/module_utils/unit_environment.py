# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a systemd unit's main process really runs with, for some of its environment variables.

Used by the node_files module (read phase, drift report) on the node. One ``systemctl show`` per unit gives the main
process and the files systemd builds its environment from; this module parses that output, finds the files that set
one of the wanted variables, and reads those variables (and only those: a BigBlueButton process environment can
hold credentials) from ``/proc/<MainPID>/environ``.

systemctl's output, as systemd prints it (src/systemctl/systemctl-show.c, src/shared/bus-print-properties.c):

- ``MainPID=1234``; ``MainPID=0`` when the unit does not run.
- ``DropInPaths=<path> <path> ...``: one line, the paths separated by spaces, each shell-quoted where it needs it
  (``shell_maybe_quote``); ``DropInPaths=`` when there is none (a property asked for with ``--property`` is shown
  even when empty).
- ``EnvironmentFiles=<path> (ignore_errors=yes|no)``: one line per file, none when there is no file. The ``-`` of
  ``EnvironmentFile=-/path`` is the ``yes``; a leading ``-`` is dropped here too, should a systemd print it.

Runs on the managed node: Python 3.8 and later (Ubuntu 20.04 nodes of BigBlueButton 2.6/2.7), standard library only.
"""

from __future__ import annotations

import os
import re
import shlex

PROPERTIES = ("MainPID", "DropInPaths", "EnvironmentFiles")
_IGNORE_ERRORS = re.compile(r" \(ignore_errors=[a-z]*\)$")


def show_argv(systemctl, unit):
    """The one ``systemctl show`` command line for ``unit`` (an argv list: no shell)."""
    return [systemctl, "show", *(f"--property={name}" for name in PROPERTIES), "--", unit]


def _paths(value):
    """The space-separated, maybe shell-quoted paths of a string-list property."""
    try:
        return shlex.split(value)
    except ValueError:  # an unbalanced quote: a systemd before shell_maybe_quote printed the path as it is
        return value.split()


def parse_show(text):
    """``systemctl show`` output of MainPID, DropInPaths and EnvironmentFiles as ``{pid, dropins, environment_files}``.

    Missing or empty properties give 0 and empty lists; other lines are ignored. Paths keep systemd's order.
    """
    pid, dropins, environment_files = 0, [], []
    for line in (text or "").splitlines():
        name, sep, value = line.partition("=")
        if not sep:
            continue
        if name == "MainPID":
            try:
                pid = max(int(value.strip() or 0), 0)
            except ValueError:
                pid = 0
        elif name == "DropInPaths":
            dropins.extend(_paths(value))
        elif name == "EnvironmentFiles":
            path = _IGNORE_ERRORS.sub("", value.strip())
            path = path[1:] if path.startswith("-") else path
            if path:
                environment_files.append(path)
    return {"pid": pid, "dropins": dropins, "environment_files": environment_files}


def setter_pattern(keys):
    """A line that assigns one of ``keys``: ``VAR=``, ``export VAR=``, ``Environment=VAR=`` or ``Environment="VAR=``.

    The drop-in forms the role and operators write, and an environment file's; one assignment per line (as the role
    writes them). Whitespace never spans lines.
    """
    names = "|".join(re.escape(key) for key in keys)
    return re.compile(r'(?m)^[^\S\n]*(?:export[^\S\n]+|Environment="?)?(?:' + names + r")=")


def setters(paths, keys):
    """The paths among ``paths`` (in their order) whose file assigns one of ``keys``; unreadable files are skipped."""
    if not keys:
        return []
    pattern = setter_pattern(keys)
    found = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "surrogateescape")
        except OSError:  # missing (an optional EnvironmentFile=-), unreadable, a directory
            continue
        if pattern.search(text):
            found.append(path)
    return found


def process_environment(path, keys):
    """The values of ``keys`` in an environ file (NUL-separated ``VAR=value``), and of no other variable.

    A variable given twice keeps its last value (as Java's System.getenv map does). A file that cannot be read (the
    process ended, no permission) gives an empty mapping.
    """
    wanted = {key.encode("utf-8"): key for key in keys}
    if not wanted:
        return {}
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return {}
    values = {}
    # Only the NUL-separated entries that start with a wanted name are looked at, however large the environment.
    names = b"|".join(re.escape(name) for name in wanted)
    for match in re.finditer(b"(?:^|\0)(" + names + b")=([^\0]*)", data):
        values[wanted[match.group(1)]] = match.group(2).decode("utf-8", "replace")
    return values


def unit_environment(show_output, keys, proc="/proc"):
    """What a unit runs with, from its ``systemctl show`` output: ``{pid, setters, env}``.

    ``setters``: the drop-ins, then the environment files, that assign one of ``keys`` (systemd's order); ``env``: the
    values of ``keys`` in the main process's environment (empty when the unit does not run).
    """
    keys = sorted(set(keys or []))
    shown = parse_show(show_output)
    pid = shown["pid"]
    env = process_environment(os.path.join(proc, str(pid), "environ"), keys) if pid else {}
    return {"pid": pid, "setters": setters(shown["dropins"] + shown["environment_files"], keys), "env": env}
