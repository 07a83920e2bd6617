#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: adopt
short_description: Find the hand edits of the upstream cluster-proxy guide on a host, and migrate them
version_added: 0.2.0
description:
  - Operators who followed the upstream BigBlueButton cluster-proxy guide by hand edited package files in place
    (the client's nginx locations, C(loadbalancer.nginx)), added lines to dpkg conffiles (C(/etc/default/bbb-web)),
    created nginx files of their own for the same locations the roles manage, or wrote a proxy configuration of their
    own. This module finds each such edit, by file and line, from a list of checks (the roles' data).
  - With O(migrate=true) it undoes them so that the roles' own files carry the values. A package file is restored
    from its package (C(dpkg -S) names the package, C(apt-get install --reinstall) of its installed version puts the
    packaged file back, never another version;
    modified conffiles are kept, as dpkg keeps them). A conffile loses only the guide's lines. A file the guide had the
    operator create is removed. Every file is backed up first.
  - Nothing is changed in check mode; with C(--diff) each change is shown.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  checks:
    description:
      - What to look for, one entry per file (or glob of files).
      - C(path), an absolute path or glob; C(exclude), paths of the glob to leave alone (the role's own files).
      - C(how), V(restore) (a package file edited in place), V(lines) (the guide's lines added to a conffile) or
        V(remove) (a file of the guide's own), and C(match), the regular expressions of the hand edit's lines.
      - C(what) (what the edit is), C(moves_to) (the role's file that holds the value instead).
      - C(links), also look at symbolic links (by default a link is skipped, as its target is checked itself).
      - C(keep_if) (V(remove) only), regular expressions of lines that show the file serves more than the guide's
        setup; such a file is reported but not removed (the operator removes the guide's lines by hand).
    type: list
    elements: dict
    required: true
  migrate:
    description: Undo the edits found (V(false), report only).
    type: bool
    default: false
  refuse:
    description:
      - With O(migrate=false), fail where anything is found, with this text followed by the findings' messages (the
        caller says there why nothing is migrated and what to do). Unset, findings are only reported.
    type: str
  backup_dir:
    description:
      - Where backups go. Unset, a timestamped copy next to the file (as the roles' other backups); set it where the
        directory of the file is read as a whole (nginx's C(sites-enabled/*)).
    type: path
  marker:
    description: A file created before the first change (the role's pending-restart marker).
    type: path
attributes:
  check_mode:
    support: full
    description: Reports and shows what would change; changes nothing.
  diff_mode:
    support: full
    description: Per file, the lines that go; a conffile's other lines are never shown.
  platform:
    support: full
    platforms: posix
    description: Debian and Ubuntu (dpkg, apt-get).
"""

EXAMPLES = r"""
- name: Find and migrate the guide's hand edits
  bbb.cluster_proxy.adopt:
    migrate: true
    checks:
      - path: /usr/share/bigbluebutton/nginx/loadbalancer.nginx
        how: restore
        match: ['^\s*set\s+\$bbb_loadbalancer_node\s+(?!''|"")\S']
        what: the slides' CORS origin set in the package file
        moves_to: /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx
"""

RETURN = r"""
findings:
  description: One entry per line of a hand edit.
  type: list
  elements: dict
  returned: always
  contains:
    path:
      description: The file.
      type: str
    line:
      description: The line number (1-based).
      type: int
    text:
      description: The line (a secret key's value masked).
      type: str
    how:
      description: How it is migrated (V(restore), V(lines) or V(remove)).
      type: str
    package:
      description: The package that owns the file (V(restore)).
      type: str
    blocked:
      description: Why the file is not migrated automatically (empty when it is).
      type: str
    message:
      description: File and line, what it is, and what a migration does with it.
      type: str
messages:
  description: The findings' messages.
  type: list
  elements: str
  returned: always
backups:
  description: Backup copies made, file -> copy.
  type: dict
  returned: always
"""

import glob
import os
import re
import shutil
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.properties import (
    DEFAULT_SECRET_KEYS,
    masked,
    split_lines,
    write_text_atomically,
)


def _read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")


def _paths(check):
    pattern = check["path"]
    found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    exclude = set(check.get("exclude") or [])
    # A link is read where it points (the package's bbb-html5.nginx -> .static), unless the check is about links
    # (nginx's sites-enabled/).
    return [
        p for p in found if p not in exclude and os.path.isfile(p) and (check.get("links") or not os.path.islink(p))
    ]


def owner(module, path):
    """The package that ships ``path`` (dpkg -S; None when no package does)."""
    rc, out, _err = module.run_command(["dpkg", "-S", path])
    if rc != 0:
        return None
    for line in out.splitlines():  # "pkg[, pkg2]: /path"; "diversion by ..." lines name no owner
        if line.startswith("diversion "):
            continue
        name, _sep, owned = line.partition(": ")
        if owned.strip() == path:
            return name.split(",")[0].strip()
    return None


def scan(module):
    findings = []
    for check in module.params["checks"]:
        patterns = [re.compile(p) for p in check.get("match") or []]
        keep = [re.compile(p) for p in check.get("keep_if") or []]
        how = check.get("how", "restore")
        if how not in ("restore", "lines", "remove"):
            module.fail_json(msg=f"adopt: {check['path']}: how must be restore, lines or remove, not {how!r}")
        for path in _paths(check):
            try:
                lines = _read(path).split("\n")
            except (OSError, UnicodeError) as exc:
                module.fail_json(msg=f"adopt: cannot read {path}: {to_native(exc)}")
            hits = [(n, line) for n, line in enumerate(lines, 1) if any(p.search(line) for p in patterns)]
            if not hits:
                continue
            blocked = ""
            others = [(n, line) for n, line in enumerate(lines, 1) if any(p.search(line) for p in keep)]
            package = owner(module, path) if how == "restore" else None
            if how == "remove" and others:
                blocked = (
                    f"it also serves other things (line {others[0][0]}: {others[0][1].strip()}); remove the lines"
                    " named here by hand, the role's file serves them"
                )
            elif how == "restore" and not package:
                blocked = "no package ships it (dpkg -S); move the file away by hand"
            for number, line in hits:
                text = masked([line], DEFAULT_SECRET_KEYS).strip()
                if how == "restore":
                    fix = f"restores {path} from package {package} (apt-get install --reinstall {package})"
                elif how == "lines":
                    fix = f"removes this line from {path} (the other lines stay)"
                else:
                    fix = f"moves {path} away (backup kept)"
                moves = f"; the value is in {check['moves_to']}" if check.get("moves_to") else ""
                message = f"{path} line {number}: {text} ({check.get('what') or 'hand edit'}). "
                message += f"Not migrated automatically: {blocked}." if blocked else f"Site {fix}{moves}."
                findings.append(
                    {
                        "path": path,
                        "line": number,
                        "text": text,
                        "how": how,
                        "package": package or "",
                        "blocked": blocked,
                        "message": message,
                        "_check": check,
                    }
                )
    return findings


def _backup(module, path, backups):
    target = module.params["backup_dir"]
    if not target:
        backups[path] = module.backup_local(path)
        return
    os.makedirs(target, 0o700, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S")
    copy = os.path.join(target, f"{path.strip('/').replace('/', '_')}.{stamp}~")
    shutil.copy2(path, copy, follow_symlinks=True)
    backups[path] = copy


def _arm(module):
    marker = module.params["marker"]
    if marker and not os.path.exists(marker):
        os.makedirs(os.path.dirname(marker), 0o755, exist_ok=True)
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write("bbb.cluster_proxy: hand edits migrated; bbb-conf --restart is pending until it succeeds\n")


def migrate(module, findings):
    """Undo every finding's file; return (backups, diffs)."""
    backups, diffs, packages = {}, [], {}
    by_path = {}
    for f in findings:
        by_path.setdefault(f["path"], []).append(f)
    for path, hits in by_path.items():
        how = hits[0]["how"]
        numbers = {h["line"] for h in hits}
        if how == "lines":
            old = split_lines(_read(path))
            kept = [line for n, line in enumerate(old, 1) if n not in numbers]
            gone = [line for n, line in enumerate(old, 1) if n in numbers]
            diffs.append({"before_header": path, "after_header": path, "before": "".join(gone), "after": ""})
        elif how == "remove":
            diffs.append({"before_header": path, "after_header": path, "before": _read(path), "after": "(removed)\n"})
        else:
            package = hits[0]["package"]
            packages.setdefault(package, []).append(path)
            diffs.append(
                {
                    "before_header": path,
                    "after_header": f"{path} (as package {package} ships it)",
                    "before": "".join(f"{h['text']}\n" for h in hits),
                    "after": f"(the package's lines: apt-get install --reinstall {package})\n",
                }
            )
        if module.check_mode:
            continue
        _arm(module)
        _backup(module, path, backups)
        if how == "lines":
            write_text_atomically(module, path, "".join(kept))
        elif how == "remove":
            os.unlink(path)
    if packages and not module.check_mode:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        command = ["apt-get", "install", "--reinstall", "--yes", "-o", "Dpkg::Options::=--force-confold"]
        rc, out, err = module.run_command(
            command + [_installed(module, p) for p in sorted(packages)], environ_update=env
        )
        if rc != 0:
            module.fail_json(
                msg=(
                    f"adopt: apt-get install --reinstall {' '.join(sorted(packages))} failed (exit {rc}), so the package"
                    f" files {', '.join(p for ps in packages.values() for p in ps)} are still edited: "
                    f"{(err or out).strip()[-600:]}. Backups: {backups}. Fix apt (apt-get update, the package"
                    " source), then run again."
                ),
                backups=backups,
            )
    return backups, diffs


def _installed(module, package):
    """``package=<installed version>``: apt-get install --reinstall of a bare name installs the newest version the
    sources offer, an upgrade of BigBlueButton as a side effect; pinned, it puts back the installed version's files."""
    rc, out, _err = module.run_command(["dpkg-query", "-W", "-f=${Version}", package])
    version = out.strip() if rc == 0 else ""
    return f"{package}={version}" if version else package


def main():
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type="list", elements="dict", required=True),
            migrate=dict(type="bool", default=False),
            refuse=dict(type="str"),
            backup_dir=dict(type="path"),
            marker=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    findings = scan(module)
    public = [{k: v for k, v in f.items() if k != "_check"} for f in findings]
    result = {"changed": False, "findings": public, "messages": [f["message"] for f in findings], "backups": {}}
    if findings and not module.params["migrate"] and module.params["refuse"]:
        module.fail_json(msg=" ".join([module.params["refuse"], *result["messages"]]), **result)
    if not module.params["migrate"] or not findings:
        module.exit_json(**result)
    blocked = [f["message"] for f in findings if f["blocked"]]
    if blocked:
        module.fail_json(msg="adopt: hand edits that cannot be migrated automatically: " + " ".join(blocked), **result)
    try:
        backups, diffs = migrate(module, findings)
    except OSError as exc:
        module.fail_json(msg=f"adopt: migrating the hand edits failed: {to_native(exc)}", **result)
    if not module.check_mode:
        left = [f["message"] for f in scan(module)]
        if left:
            result["backups"] = backups
            module.fail_json(
                msg="adopt: after the migration these hand edits are still there (does the package itself ship"
                " them?): " + " ".join(left),
                **result,
            )
    result.update(changed=True, backups=backups, diff=diffs)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
