#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: node_files
short_description: Bring the files of a BigBlueButton node to the wanted state in one round trip
version_added: 0.2.0
description:
  - Takes the list of files a node must have (the data model of the node's BigBlueButton version, see
    C(roles/bbb_node/vars/)) and brings each to its wanted state. Key=value files are edited key by key (the shared
    secret never leaves the node), YAML and JSON override files get the wanted keys deep-merged (maps merge, lists
    replace, every other key is kept), systemd drop-ins and text files get their exact content, the node's prefixed
    nginx client locations are derived from the package's current file and tested with C(nginx -t) before they go live,
    and obsolete files are removed.
  - The action plugin of the same name does the work on the controller; the module only reads the files in one round
    trip (O(phase=read)) and writes those that differ (O(phase=write)). Use the action, with O(files).
  - Before the first write the pending-restart marker O(marker) is created; it stays until the role's restart succeeded,
    so a run that stops anywhere after a write is finished (restarted) by the next run.
  - With O(report=true) nothing is written, whatever the check mode; the result lists every disagreement (drift),
    including what the units of the drop-ins really run with. For each such unit (not a template, C(name@.service))
    the read phase runs C(systemctl show) once and reads the drop-ins' variables, and no other, from the environment
    of its main process (C(/proc/<MainPID>/environ)), so a later drop-in or an C(EnvironmentFile=) that wins over the
    role's drop-in, or a unit not restarted since, is reported.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  files:
    description:
      - The wanted state, one entry per file. Entries for the same path are one file (their settings merged), once the
        conditions C(if_exists) and C(unless_exists) have chosen among them.
      - C(path) (absolute) and C(format), one of V(properties), V(yaml), V(json), V(dropin), V(nginx), V(text),
        V(absent).
      - C(settings), the keys and values to set; for V(dropin) the environment variables, for V(nginx) the nginx
        variables set at server level.
      - C(remove) (V(properties), V(yaml), V(json); nested for the last two), keys removed only while they still have
        the given value and no entry sets them; a V(yaml) or V(json) file left with nothing goes. C(create)
        (V(properties) only), create a missing file.
      - C(content) (V(text)); C(env_file) (V(dropin)), the unit's environment file, which must not set the same
        variables; C(source), C(basename), C(drop_named) and C(append) (V(nginx)).
      - C(mode) (V(text)), the file's permissions as an octal string such as V("0755"); a file whose content is
        right but whose mode differs is only given the mode. Without it, a new file gets V("0644") and an existing
        file keeps its mode.
      - C(if_exists) or C(unless_exists), a path; the entry applies only where that path exists or does not exist.
      - C(restart) (default V(true)), V(false) for a file BigBlueButton reads without a restart (the daily job's
        retention override); its change neither arms the marker nor makes RV(pending) true.
    type: list
    elements: dict
    default: []
  marker:
    description: The pending-restart marker, created before the first write.
    type: path
    default: /var/lib/bbb-cluster-proxy/restart-pending
  restart:
    description:
      - Whether a change of these files needs BigBlueButton restarted. With V(false) (files BigBlueButton does not
        read, such as the self-heal hook and its units) the marker is neither armed nor looked at, and RV(pending)
        is V(false).
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of every file that is changed or removed next to it.
    type: bool
    default: true
  report:
    description: Write nothing; return RV(drift), one message per disagreement.
    type: bool
    default: false
  hints:
    description: Per setting key, what an operator sees when it drifts (added to its drift message).
    type: dict
    default: {}
  pending:
    description:
      - Check mode, with the module M(bbb.cluster_proxy.adopt) before it, files the adoption would restore or edit
        first; a prefixed nginx copy of such a file is shown as derived from the restored file, and an environment
        file in the list is not judged.
    type: list
    elements: path
    default: []
  phase:
    description: Internal, set by the action plugin (V(read) or V(write)).
    type: str
    choices: [read, write]
  probe:
    description: Internal, set by the action plugin (paths whose existence the read phase reports).
    type: list
    elements: path
    default: []
attributes:
  action:
    support: full
    description: The action plugin of the same name computes the files on the controller; the module reads and writes.
  check_mode:
    support: full
    description: Reports what would change (with a diff) and writes nothing.
  diff_mode:
    support: full
    description: Shows each changed file; values of secret keys are never shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the managed node; POSIX systems only.
seealso:
  - module: bbb.cluster_proxy.nginx_file
"""

EXAMPLES = r"""
- name: Bring the node's files to the wanted state
  bbb.cluster_proxy.node_files:
    files:
      - path: /etc/bigbluebutton/bbb-web.properties
        format: properties
        settings:
          accessControlAllowOrigin: https://proxy.example.com
      - path: /etc/bigbluebutton/etherpad.json
        format: json
        settings:
          cluster_proxies: [https://proxy.example.com]
      - path: /etc/systemd/system/bbb-web.service.d/cluster-proxy.conf
        format: dropin
        env_file: /etc/default/bbb-web
        settings:
          JDK_JAVA_OPTIONS: -Dgrails.cors.enabled=true
  register: node_state
"""

RETURN = r"""
changed_files:
  description: The files written or removed (or, in check mode, those that would be).
  type: list
  elements: str
  returned: always
pending:
  description: Whether a restart is due (a file changed now, or the marker of an earlier run is there).
  type: bool
  returned: always
marker_found:
  description: Whether the marker of an earlier run was there before this task.
  type: bool
  returned: always
daemon_reload:
  description: Whether a file below C(/etc/systemd/) changed (a drop-in or a unit), so systemd must reload its units.
  type: bool
  returned: always
backups:
  description: Backup copies made, file -> copy.
  type: dict
  returned: always
drift:
  description: With O(report=true), one message per disagreement, naming the file, the key and both values.
  type: list
  elements: str
  returned: always
selfheal:
  description:
    - The node's V(nginx) entries as the self-heal hook on the node re-derives them after a package upgrade
      (C(path), C(source), C(basename), C(drop_named), C(settings) as ordered name/value pairs, C(append)); no secret.
  type: list
  elements: dict
  returned: unless O(report=true)
"""

import base64
import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.properties import (
    DEFAULT_SECRET_KEYS,
    _key_re,
    _value_of,
    hide_secret_values,
    logical_lines,
    split_lines,
    update_lines,
    write_text_atomically,
)
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.unit_environment import show_argv, unit_environment

ASSIGNMENT = re.compile(r"(?m)^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
PROC = "/proc"


def _read_text(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")


def properties_values(text, keys):
    """The value of each key in a key=value text (None = not set): the last occurrence, as the file's readers take it."""
    found = dict.fromkeys(keys)
    for group in logical_lines(split_lines(text)):
        for key in keys:
            value = _value_of(group, _key_re(key))
            if value is not None:
                found[key] = value[1].strip()
    return found


def later_dropins(directory, name, keys):
    """Drop-ins of ``directory`` that sort after ``name`` (systemd's byte order) and set one of ``keys``."""
    if not os.path.isdir(directory):
        return []
    pattern = re.compile(r"(?m)^\s*Environment=.*\b(" + "|".join(re.escape(k) for k in keys) + r")=")
    later = []
    for entry in sorted(os.listdir(directory), key=lambda n: n.encode("utf-8", "surrogateescape")):
        path = os.path.join(directory, entry)
        if entry.endswith(".conf") and entry.encode() > name.encode() and os.path.isfile(path):
            if pattern.search(_read_text(path)):
                later.append(path)
    return later


def read_unit(module, unit, keys):
    """What ``unit`` runs with (drift report): ``{pid, setters, env}``, ``env`` holding the values of ``keys`` only."""
    argv = show_argv(module.get_bin_path("systemctl", required=True), unit)
    rc, out, err = module.run_command(argv, environ_update={"LC_ALL": "C"})
    if rc != 0:
        module.fail_json(
            msg=f"node_files: {' '.join(argv)} failed (rc {rc}): {(err or out).strip()}. Is systemd running this node?"
        )
    return unit_environment(out, keys, PROC)


def read(module):
    """One entry per file: whether it exists and what the action needs of it (never a secret value)."""
    out = {}
    for item in module.params["files"]:
        path = item["path"]
        if item.get("format") == "unit_environment":  # keyed by the unit's name, not a path
            out[path] = read_unit(module, item["unit"], item.get("keys") or [])
            continue
        entry = {"exists": os.path.isfile(path)}
        try:
            fmt = item.get("format")
            if fmt == "properties" and entry["exists"]:
                text = _read_text(path)
                hide_secret_values(module, split_lines(text), DEFAULT_SECRET_KEYS)
                entry["values"] = properties_values(text, list(item.get("keys") or []))
            elif fmt == "env_names":
                # Only the names an environment file assigns: it may hold credentials.
                text = _read_text(path) if entry["exists"] else ""
                entry["set"] = sorted(set(ASSIGNMENT.findall(text)) & set(item.get("keys") or []))
            elif fmt == "later_dropins":
                entry["later"] = later_dropins(path, item["name"], item.get("keys") or [])
            elif entry["exists"] and fmt != "absent":
                entry["content"] = base64.b64encode(_read_text(path).encode("utf-8", "surrogateescape")).decode()
                entry["mode"] = f"{stat.S_IMODE(os.stat(path).st_mode):04o}"
        except (OSError, UnicodeError) as exc:
            module.fail_json(msg=f"node_files: cannot read {path}: {to_native(exc)}")
        out[path] = entry
    return {
        "files": out,
        "probe": {path: os.path.exists(path) for path in module.params["probe"]},
        "marker_found": bool(module.params["marker"]) and os.path.exists(module.params["marker"]),
    }


def write(module):
    """Arm the marker (unless there is none: files BigBlueButton does not read), then write or remove every file
    given, each only where it still differs (content, or the mode an entry names)."""
    marker = module.params["marker"]
    changed, backups = [], {}
    if marker and not os.path.exists(marker):
        os.makedirs(os.path.dirname(marker), 0o755, exist_ok=True)
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(
                "bbb.cluster_proxy: the cluster-proxy files changed; bbb-conf --restart is pending until it succeeds\n"
            )
    for item in module.params["files"]:
        path = item["path"]
        exists = os.path.isfile(path)
        if item["format"] == "absent":
            if os.path.lexists(path):
                if module.params["backup"] and exists:
                    backups[path] = module.backup_local(path)
                os.unlink(path)
                changed.append(path)
            continue
        old = _read_text(path) if exists else ""
        if item["format"] == "properties":
            hide_secret_values(module, split_lines(old), DEFAULT_SECRET_KEYS)
            new = "".join(update_lines(split_lines(old), item["settings"], item.get("remove") or {})[0])
        else:
            new = base64.b64decode(item["content"]).decode("utf-8", "surrogateescape")
        mode = int(item["mode"], 8) if item.get("mode") else None
        if exists and new == old:
            if mode is not None and stat.S_IMODE(os.stat(path).st_mode) != mode:
                os.chmod(path, mode)
                changed.append(path)
            continue
        if exists and module.params["backup"]:
            backups[path] = module.backup_local(path)
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)  # a drop-in's directory
        write_text_atomically(module, path, new, mode=0o644 if mode is None else mode)
        if mode is not None:
            os.chmod(path, mode)  # atomic_move keeps the mode of a file it replaces
        changed.append(path)
    return {"changed": bool(changed), "changed_files": changed, "backups": backups}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", default=[]),
            marker=dict(type="path", default="/var/lib/bbb-cluster-proxy/restart-pending"),
            restart=dict(type="bool", default=True),  # the action's: it passes an empty marker for restart=false
            backup=dict(type="bool", default=True),
            report=dict(type="bool", default=False),
            hints=dict(type="dict", default={}),
            phase=dict(type="str", choices=["read", "write"]),
            probe=dict(type="list", elements="path", default=[]),
            pending=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    if module.params["phase"] == "read":
        module.exit_json(changed=False, **read(module))
    if module.params["phase"] == "write" and not module.check_mode:
        try:
            module.exit_json(**write(module))
        except OSError as exc:
            module.fail_json(msg=f"node_files: writing failed: {to_native(exc)}")
    module.fail_json(msg="node_files: run it through its action plugin (bbb.cluster_proxy.node_files) with files.")


if __name__ == "__main__":
    main()
