#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: log_collect
short_description: Read a host's log lines of a time window, redacted, or find a meeting in bbb-web's log
version_added: 0.2.0
description:
  - Reads the log files and systemd journal units of O(sources) on the host and returns the lines whose time lies
    in [O(since), O(until)], each with its time. Times are read from the line (nginx access and error logs,
    bbb-web's logback format, C(journalctl -o short-iso-precise), the client log's ISO 8601); a line without a
    time (a stack trace's continuation) belongs to the line before it.
  - Rotated files are read too (C(access.log.1), C(access.log.2.gz), C(bbb-web.2026-11-28.log)) where a
    source's O(sources[].path) is a glob; a file last modified before O(since) is skipped unread. Files are read
    line by line, and only the window's lines are held, however large the file.
  - Every returned line is redacted on the host, so no secret leaves it - the values of O(secret_keys) in
    O(secret_files) (the node's BBB shared secret, read here and never returned), C(checksum=), C(sessionToken=),
    C(authToken=), passwords (C(password=), C(moderatorPW), C(attendeePW)), C(JSESSIONID), and Authorization,
    Cookie and X-Session-Token headers - each replaced by C([REDACTED]).
  - With O(meeting_id), reads only the sources marked O(sources[].meetings) (bbb-web's log) and returns the
    meetings whose internal or external id it is, from bbb-web's C(--analytics--) lines (C(create_meeting),
    C(meeting_removed_from_running)); no lines are returned.
  - Never changes anything on the host.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  sources:
    description: What to read.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the source in the result and in the bundle (V(nginx-access), V(bbb-web)).
        type: str
        required: true
      path:
        description: A log file, or a glob of a log file and its rotated copies (C(.gz) is read as gzip).
        type: str
      unit:
        description: A systemd unit (or a unit glob such as V(bbb-html5-frontend@*)) read with C(journalctl -u).
        type: str
      meetings:
        description: This source is bbb-web's log, where O(meeting_id) is looked up.
        type: bool
        default: false
      match:
        description:
          - With O(nodes), which lines of this source are a node's - V(node) those naming it as C(node=<hostname>)
            (the proxy's access log, after nginx normalised the path), V(path) those naming C( /<label>/) (the
            proxy's error log). Without, O(match_any) applies.
        type: str
        choices: [node, path]
  since:
    description: Start of the window, seconds since 1970 (UTC).
    type: float
    default: 0
  until:
    description: End of the window, seconds since 1970 (UTC).
    type: float
    default: 0
  match_any:
    description: When not empty, only lines that hold one of these strings (the proxy's lines of one node).
    type: list
    elements: str
    default: []
  nodes:
    description:
      - The nodes whose lines a source with O(sources[].match) keeps (the proxy's lines of those nodes), each with
        its C(hostname) (the proxy's C(node=) field) and C(label) (its path); other keys are ignored (the entries of
        C(bbb_cluster_nodes) can be given as they are).
    type: list
    elements: dict
    default: []
  secret_files:
    description: Files of C(key=value) lines whose O(secret_keys) values are redacted from every line.
    type: list
    elements: path
    default: []
  secret_keys:
    description: The keys of secrets in O(secret_files).
    type: list
    elements: str
    default: [securitySalt]
  meeting_id:
    description:
      - Find this meeting (internal id, its prefix, or external id) instead of reading lines.
      - Meetings whose external or whole internal id it is win; only when there is none is it taken as the prefix of
        an internal id (a short external id such as V(42) starts one internal id in 256, and a busy node's log holds
        thousands).
    type: str
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed host; POSIX systems only (C(journalctl) for journal units).
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.read_only
notes:
  - Reading the journal needs root or the C(systemd-journal)/C(adm) group; reading C(/var/log/nginx) usually root.
"""

EXAMPLES = r"""
- name: The node's nginx and bbb-web lines of a window, redacted
  bbb.cluster_proxy.log_collect:
    sources:
      - {name: nginx-access, path: /var/log/nginx/bigbluebutton.access.log*}
      - {name: bbb-web, path: /var/log/bigbluebutton/bbb-web*.log*, meetings: true}
      - {name: graphql-server, unit: bbb-graphql-server}
    since: 1795939200
    until: 1795942800
    secret_files: [/etc/bigbluebutton/bbb-web.properties]
  register: found

- name: When did a meeting run on this node?
  bbb.cluster_proxy.log_collect:
    sources: [{name: bbb-web, path: /var/log/bigbluebutton/bbb-web*.log*, meetings: true}]
    meeting_id: room-42
  register: meeting
"""

RETURN = r"""
sources:
  description: Per source, what was read and the window's lines ([seconds since 1970, redacted line]).
  returned: without O(meeting_id)
  type: list
  elements: dict
  sample:
    - name: nginx-access
      origin: /var/log/nginx/bigbluebutton.access.log
      files: [/var/log/nginx/bigbluebutton.access.log]
      absent: false
      error: ""
      lines: [[1795939201.0, '10.0.0.5 - - [29/Nov/2026:05:20:01 +0000] "GET /bigbluebutton/api/join?checksum=[REDACTED] ...']]
meetings:
  description: The meetings found, oldest first; times are seconds since 1970, V(null) where not logged.
  returned: with O(meeting_id)
  type: list
  elements: dict
  sample: [{internal: 4c3f...-1795939200000, external: room-42, created: 1795939200.1, ended: null}]
"""

import glob
import gzip
import math
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import meeting_events, window_lines


def _read_secrets(paths, keys):
    found = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    key, sep, value = line.partition("=")
                    if sep and key.strip() in keys and value.strip():
                        found.append(value.strip())
        except OSError:
            continue
    return sorted(set(found), key=len, reverse=True)


def _files(pattern, since):
    paths = sorted(glob.glob(pattern), key=lambda p: (os.path.getmtime(p), p))
    return [p for p in paths if os.path.isfile(p) and (not since or os.path.getmtime(p) >= since)]


def _lines_of(path):
    """The lines of a log file (gzip where it ends in .gz), one at a time: a busy day's log is never held whole."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        yield from handle


def _lines_of_files(paths, errors):
    """The lines of the files one after the other; a file that cannot be read (or a gzip cut short) ends early,
    its lines so far kept, and ``errors`` gets "<path>: <reason>"."""
    for path in paths:
        try:
            yield from _lines_of(path)
        except (OSError, EOFError) as exc:
            errors.append(f"{path}: {exc}")


def _journal(module, unit, since, until):
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        return None, "journalctl not found"
    command = [journalctl, "--no-pager", "--quiet", "-o", "short-iso-precise", "-u", unit]
    if since:
        command += ["--since", f"@{math.floor(since)}"]
    if until:
        command += ["--until", f"@{math.ceil(until)}"]
    rc, out, err = module.run_command(command, environ_update={"LC_ALL": "C", "TZ": "UTC"})
    if rc != 0:
        return None, (err or out).strip()
    return [line for line in out.splitlines() if not line.startswith("-- ")], ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sources=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    path=dict(type="str"),
                    unit=dict(type="str"),
                    meetings=dict(type="bool", default=False),
                    match=dict(type="str", choices=["node", "path"]),
                ),
                mutually_exclusive=[("path", "unit")],
                required_one_of=[("path", "unit")],
            ),
            since=dict(type="float", default=0),
            until=dict(type="float", default=0),
            match_any=dict(type="list", elements="str", default=[]),
            nodes=dict(type="list", elements="dict", default=[]),
            secret_files=dict(type="list", elements="path", default=[], no_log=False),
            secret_keys=dict(type="list", elements="str", default=["securitySalt"], no_log=False),
            meeting_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    since, until = params["since"], params["until"] or float("inf")

    if params["meeting_id"]:
        paths = [p for s in params["sources"] if s["meetings"] and s["path"] for p in _files(s["path"], 0)]
        lines = _lines_of_files(paths, [])
        module.exit_json(changed=False, meetings=meeting_events(lines, params["meeting_id"]))

    secrets = _read_secrets(params["secret_files"], set(params["secret_keys"]))
    result = []
    for source in params["sources"]:
        entry = {"name": source["name"], "origin": source["path"] or source["unit"], "files": [], "absent": False}
        entry["error"] = ""
        errors = []
        if source["unit"]:
            entry["origin"] = "journal:" + source["unit"]
            found, error = _journal(module, source["unit"], since, params["until"])
            errors.append(error)
            raw = found or []
        else:
            every = glob.glob(source["path"])
            entry["absent"] = not every
            entry["files"] = _files(source["path"], since)
            raw = _lines_of_files(entry["files"], errors)
        match_any = params["match_any"]
        if source["match"] == "node":
            match_any = [f"node={node['hostname']} " for node in params["nodes"] if node.get("hostname")]
        elif source["match"] == "path":
            match_any = [f" /{node['label']}/" for node in params["nodes"] if node.get("label")]
        lines = window_lines(raw, since, until, secrets, match_any)
        entry["error"] = ([e for e in errors if e] or [""])[-1]
        lines.sort(key=lambda item: item[0])  # rotated files were read oldest first; stable within a second
        entry["lines"] = lines
        result.append(entry)
    module.exit_json(changed=False, sources=result)


if __name__ == "__main__":
    main()
