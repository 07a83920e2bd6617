# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What nginx says about its configuration, read in Python: the ``nginx -T`` dump, its messages, its processes.

One place for the modules that ask nginx (``nginx_file`` tests a candidate, ``nginx_info`` reads what runs). Every
function reads its whole input, line by line, so the answer does not depend on how large the dump is (an
``nginx -T`` of a proxy with hundreds of nodes and other sites is several MiB; a shell pipeline into ``grep -q``
broke on it at production size).

nginx prints the dump (``src/core/nginx.c``, ``main``: ``ngx_dump_config``) as, per file it read,
``# configuration file <name>:`` LF, the file's bytes, LF; messages go to stderr as ``nginx: [level] text`` before
the error log is open, else with the error log's ``YYYY/MM/DD HH:MM:SS [level] pid#tid: `` prefix.
"""

from __future__ import annotations

import os
import re

DUMP_HEADER = "# configuration file "
# "2024/05/01 10:02:03 [emerg] 1234#1234: " as nginx prints it in test mode
_LOG_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: ", re.MULTILINE)
_SEVERE = re.compile(r"\[(emerg|alert|crit|error)\]")
# `pid` is a main-context directive (ngx_core_module); nginx's own default is its --pid-path, Debian's /run/nginx.pid
_PID_DIRECTIVE = re.compile(r"^[ \t]*pid[ \t]+([^;\s#]+)[ \t]*;", re.MULTILINE)
DEFAULT_PID_FILE = "/run/nginx.pid"


def dump_files(dump):
    """The files nginx read, in its order, from the headers of an ``nginx -T`` dump (each once)."""
    files, seen = [], set()
    for line in dump.splitlines():
        if line.startswith(DUMP_HEADER) and line.endswith(":"):
            name = line[len(DUMP_HEADER) : -1]
            if name not in seen:
                seen.add(name)
                files.append(name)
    return files


def messages(stderr):
    """nginx's stderr with the error log's date/pid prefix written as ``nginx: [level] ``, one message a line."""
    return [line.strip() for line in _LOG_PREFIX.sub(r"nginx: [\1] ", stderr).splitlines() if line.strip()]


def first_error(stderr, rc):
    """The first emerg/alert/crit/error message, else the last message, else the exit code."""
    lines = messages(stderr)
    severe = [line for line in lines if _SEVERE.search(line)]
    if severe:
        return severe[0]
    return lines[-1] if lines else f"nginx -T exited {rc} without a message"


def conflicts(stderr, server_name):
    """nginx's ``conflicting server name "<server_name>" ...`` warnings (nginx compares names in lower case)."""
    wanted = f'conflicting server name "{server_name.lower()}"'
    return [line for line in messages(stderr) if wanted in line.lower()]


def pid_file(dump):
    """Where the master writes its pid: the ``pid`` directive of the dump, else Debian's default."""
    match = _PID_DIRECTIVE.search(dump)
    return match.group(1) if match else DEFAULT_PID_FILE


def _stat_fields(proc, pid):
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    with open(os.path.join(proc, str(pid), "stat"), encoding="ascii", errors="replace") as handle:
        text = handle.read()
    return text[text.rindex(")") + 2 :].split()


def workers_started(master, proc="/proc", ticks=None):
    """When the newest child of the nginx master started (seconds since the epoch), or None.

    After a reload the master starts new workers and the old ones finish their requests and leave: the newest
    child tells when nginx last took its configuration. /proc/<pid>/stat: field 4 ppid, field 22 starttime in
    clock ticks after boot (proc(5)); /proc/stat: btime, the boot time.
    """
    ticks = ticks or os.sysconf("SC_CLK_TCK")
    boot = None
    with open(os.path.join(proc, "stat"), encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith("btime "):
                boot = int(line.split()[1])
                break
    if boot is None:
        return None
    newest = None
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(proc, entry)
        except (OSError, ValueError):
            continue  # a process that ended while we looked
        # after the name: [0] state, [1] ppid, ..., [19] starttime
        if len(fields) > 19 and fields[1] == str(master):
            started = boot + int(fields[19]) / ticks
            newest = started if newest is None else max(newest, started)
    return newest


def read_master_pid(path):
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
