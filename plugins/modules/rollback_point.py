#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_point
short_description: Record or restore a rollback point of the files the cluster-proxy roles manage (and of the BBB packages)
version_added: 0.1.0
description:
  - With O(state=present), archives every file of O(files) that exists into C(<path>/<id>/files.tar) (content, mode,
    owner, modification time) and writes C(<path>/<id>/manifest.json) with the SHA-256 of each, the files that did
    not exist, the operator and O(info). With O(packages), the manifest also holds the installed version of every
    package that O(package_patterns) names (C(packages), read with C(dpkg-query)). A rollback point is never
    rewritten; recording an existing one changes nothing.
  - With O(state=restored), puts every file of the point back byte-identical (with its mode and owner) where its
    content differs now, and removes the files that did not exist when the point was recorded. Files that already
    match are not touched, so a second restore changes nothing.
  - Where the point holds package versions, O(state=restored) always reports the packages that changed since
    (RV(packages_changed) - another version, installed since, removed since). With O(packages) it also puts the
    recorded versions back with C(apt-get install --allow-downgrades), keeping the configuration files on disk
    (C(--force-confold)), B(before) the files of the point are restored. It first checks that the host's package
    sources offer every recorded version (C(apt-cache madison)) and that apt can install them all without removing
    any package (C(apt-get --simulate --no-remove)); where either fails, it fails naming each package, its recorded
    version and the versions on offer, and changes nothing (no package, no file). Packages installed since the point
    are reported and left installed.
  - The directory of a point is readable by root only, because the files may hold the BBB shared secret. The module
    never returns file contents.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  state:
    description: Record (V(present)) or restore (V(restored)) the point.
    type: str
    choices: [present, restored]
    default: present
  id:
    description:
      - Identifier of the point, a UTC timestamp such as V(20261125T101500Z).
      - With O(state=restored), V(latest) picks the newest point in O(path).
    type: str
    required: true
  path:
    description: Directory that holds the rollback points of this host.
    type: path
    default: /var/backups/bbb-cluster-proxy
  files:
    description: Absolute paths of the files the point holds. Required with O(state=present).
    type: list
    elements: path
    default: []
  operator:
    description: Who records the point; kept in the manifest.
    type: str
    default: ""
  info:
    description: Further facts kept in the manifest (BBB version, collection version, ...).
    type: dict
    default: {}
  packages:
    description:
      - With O(state=present), record the installed version of every package O(package_patterns) names (C(dpkg-query
        -W); packages that dpkg has not configured, such as a half-configured one, are not recorded, with a warning).
      - With O(state=restored), put the recorded versions back with apt before the files (see above). Fails, changing
        nothing, where the point holds no package versions.
      - Without it, O(state=restored) only reports the packages that changed since the point.
      - Needs dpkg and apt (Debian, Ubuntu).
    type: bool
    default: false
    version_added: 0.2.0
  package_patterns:
    description:
      - Shell patterns of the package names O(packages) records (matched against the names only). The default takes
        C(bigbluebutton) and every package whose name contains C(bbb) - what C(bbb-conf --version) lists (its
        C(dpkg -l | grep bbb)), the C(bbb-*) packages among them.
      - Kept in the manifest; a restore compares with the patterns of the point.
    type: list
    elements: str
    default: [bigbluebutton, "*bbb*"]
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
    description:
      - Reports what would be recorded or restored (files, and the packages apt would put back, after the same checks
        of the package sources), and changes nothing.
  diff_mode:
    support: none
    description: No diff; the result lists the files recorded or restored and the packages.
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.posix
"""

EXAMPLES = r"""
- name: Record a rollback point of the node's files and BigBlueButton packages
  bbb.cluster_proxy.rollback_point:
    id: "{{ rollback_id }}"
    files:
      - /etc/bigbluebutton/bbb-web.properties
      - /etc/bigbluebutton/bbb-html5.yml
    packages: true
    operator: jane
    info:
      bbb_version: 3.0.30

- name: Restore the newest rollback point (files only; packages_changed lists the packages changed since)
  bbb.cluster_proxy.rollback_point:
    state: restored
    id: latest
  register: restored

- name: Restore a rollback point, the recorded package versions first
  bbb.cluster_proxy.rollback_point:
    state: restored
    id: 20261125T101500Z
    packages: true
"""

RETURN = r"""
id:
  description: The identifier of the point recorded or restored.
  type: str
  returned: always
  sample: 20261125T101500Z
present:
  description: The files the point holds.
  type: list
  elements: str
  returned: always
absent:
  description: The files that did not exist when the point was recorded.
  type: list
  elements: str
  returned: always
restored:
  description: The files put back (their content differed or they were missing).
  type: list
  elements: str
  returned: O(state=restored)
removed:
  description: The files removed because they did not exist when the point was recorded.
  type: list
  elements: str
  returned: O(state=restored)
packages_changed:
  description:
    - The packages whose installed version differs from the point, by name. C(recorded) is null for a package installed
      since the point, C(installed) null for one removed since; a package dpkg has not configured has its state after
      its version (C(1:3.0.30-1 (half-configured))).
    - Empty where the point holds no package versions (C(packages) is missing from RV(manifest)).
  type: list
  elements: dict
  returned: O(state=restored)
  sample: [{name: bbb-web, recorded: "1:3.0.30-1", installed: "1:3.0.31-1"}, {name: bbb-livekit, recorded: null, installed: "1:3.0.31-1"}]
packages_restored:
  description: The recorded versions put back with apt (in check mode, those apt would put back), as C(name=version).
  type: list
  elements: str
  returned: O(state=restored)
  sample: ["bbb-web=1:3.0.30-1"]
packages_unavailable:
  description: The recorded versions the package sources do not offer, with the versions they offer (on failure).
  type: list
  elements: dict
  returned: failure, where a recorded version is not on offer
  sample: [{name: bbb-web, recorded: "1:3.0.30-1", offered: ["1:3.0.31-1"]}]
manifest:
  description:
    - The manifest of the point (checksums, operator, info), without file contents.
    - C(packages) (name to version) and C(package_patterns) where the point was recorded with O(packages).
  type: dict
  returned: always
"""

import hashlib
import json
import os
import re
import tarfile
import tempfile
from fnmatch import fnmatchcase

from ansible.module_utils.basic import AnsibleModule

ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")

# dpkg-query(1): db:Status-Abbrev is the wanted action, the package's state and the error flag, one letter each.
# Configured: installed (i), or installed with triggers awaited (W) or pending (t). Present but not configured:
# half-installed (H), unpacked (U), half-configured (F). Not installed (n) or only its conffiles left (c): absent.
DPKG_FORMAT = "${Package}\t${Version}\t${db:Status-Abbrev}\n"
CONFIGURED = "iWt"
NOT_CONFIGURED = {"H": "half-installed", "U": "unpacked", "F": "half-configured"}
C_LOCALE = {"LC_ALL": "C"}
# Downgrades allowed (the point's versions are older after an upgrade); the configuration files on disk kept
# (--force-confold: the file part of the point restores the managed ones after the packages); no package ever
# removed (--no-remove: apt stops before any change instead); dpkg's lock waited for (unattended-upgrades).
APT_INSTALL = [
    "apt-get",
    "install",
    "--yes",
    "--allow-downgrades",
    "--no-remove",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
    "-o",
    "DPkg::Lock::Timeout=120",
]
APT_ENV = dict(C_LOCALE, DEBIAN_FRONTEND="noninteractive")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def points(base):
    if not os.path.isdir(base):
        return []
    return sorted(
        name
        for name in os.listdir(base)
        if ID_RE.match(name) and os.path.isfile(os.path.join(base, name, "manifest.json"))
    )


def _tail(rc, out, err):
    text = " ".join((err or out or "").split())
    return f"exit {rc}: {text[-600:] or 'no output'}"


def dpkg_packages(module, patterns):
    """{name: (version, state letter)} of the packages dpkg knows whose name matches one of ``patterns``, where the
    package is present (configured or not); packages not installed or with only their conffiles left are left out."""
    rc, out, err = module.run_command(["dpkg-query", "-W", "-f", DPKG_FORMAT], environ_update=C_LOCALE)
    if rc != 0:
        module.fail_json(
            msg=f"rollback_point: dpkg-query could not list the packages ({_tail(rc, out, err)}); "
            "packages are read with dpkg (Debian, Ubuntu)"
        )
    found = {}
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not fields[0] or not fields[1]:
            continue
        name, version, state = fields[0], fields[1], fields[2][1:2]
        if (state in CONFIGURED or state in NOT_CONFIGURED) and any(fnmatchcase(name, p) for p in patterns):
            found[name] = (version, state)
    return found


def installed_versions(packages):
    """The versions of :func:`dpkg_packages`, a package dpkg has not configured with its state after the version."""
    return {
        name: version if state in CONFIGURED else f"{version} ({NOT_CONFIGURED[state]})"
        for name, (version, state) in packages.items()
    }


def changed_packages(recorded, installed):
    """``[{name, recorded, installed}]`` where the two differ, by name; None where a side has no such package."""
    return [
        dict(name=name, recorded=recorded.get(name), installed=installed.get(name))
        for name in sorted(set(recorded) | set(installed))
        if recorded.get(name) != installed.get(name)
    ]


def offered_versions(module, names):
    """{name: [versions the package sources offer]} (apt-cache madison: the binary packages of every source)."""
    rc, out, err = module.run_command(["apt-cache", "madison", *names], environ_update=C_LOCALE)
    if rc != 0:
        module.fail_json(msg=f"rollback_point: apt-cache madison failed ({_tail(rc, out, err)}); nothing was changed")
    offered = {name: [] for name in names}
    for line in out.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) < 3 or fields[0] not in offered or fields[2].endswith(" Sources"):
            continue
        if fields[1] not in offered[fields[0]]:
            offered[fields[0]].append(fields[1])
    return offered


def check_packages(module, point_id, manifest, changed):
    """The ``name=version`` arguments that put the recorded versions back; fails, before any change, where the point
    holds no versions, the package sources do not offer one, or apt would not install them all without removals."""
    if "packages" not in manifest:
        module.fail_json(
            msg=f"rollback_point: rollback point {point_id} holds no package versions (it was recorded without "
            "them); nothing was changed. Restore it without packages (the files alone), or record a new point.",
            packages_changed=changed,
        )
    wanted = [item for item in changed if item["recorded"] is not None]
    if not wanted:
        return []
    offered = offered_versions(module, [item["name"] for item in wanted])
    unavailable = [
        dict(name=item["name"], recorded=item["recorded"], offered=offered[item["name"]])
        for item in wanted
        if item["recorded"] not in offered[item["name"]]
    ]
    if unavailable:
        named = "; ".join(
            f"{item['name']} {item['recorded']} (on offer: {', '.join(item['offered']) or 'none'})"
            for item in unavailable
        )
        module.fail_json(
            msg=f"rollback_point: the package sources of this host do not offer every version of rollback point "
            f"{point_id}, so nothing was changed (no package, no file): {named}. Make those versions available to "
            "apt (the package repository of that release in the apt sources, then apt-get update), or restore the "
            "point without packages (the files alone).",
            packages_changed=changed,
            packages_unavailable=unavailable,
        )
    targets = [f"{item['name']}={item['recorded']}" for item in wanted]
    rc, out, err = module.run_command([*APT_INSTALL, "--simulate", *targets], environ_update=APT_ENV)
    if rc != 0:
        module.fail_json(
            msg=f"rollback_point: apt-get would not put back the versions of rollback point {point_id} "
            f"({' '.join(targets)}), so nothing was changed (no package, no file): {_tail(rc, out, err)}. Where a "
            "package installed since the point needs the newer versions, remove it first (apt-get remove); this "
            "module removes no package.",
            packages_changed=changed,
        )
    return targets


def record(module, base, point_id, files):
    directory = os.path.join(base, point_id)
    manifest_path = os.path.join(directory, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as handle:
            manifest = json.load(handle)
        return dict(changed=False, manifest=manifest)
    for path in files:
        if not os.path.isabs(path):
            module.fail_json(msg=f"rollback_point: files must be absolute paths, got '{path}'")
    present = [p for p in files if os.path.isfile(p)]
    manifest = dict(
        id=point_id,
        operator=module.params["operator"],
        info=module.params["info"],
        checksums={p: sha256(p) for p in present},
        absent=[p for p in files if not os.path.lexists(p)],
    )
    if module.params["packages"]:
        patterns = module.params["package_patterns"]
        found = dpkg_packages(module, patterns)
        for name, (version, state) in sorted(found.items()):
            if state not in CONFIGURED:
                module.warn(
                    f"rollback_point: package {name} {version} is {NOT_CONFIGURED[state]} (dpkg has not configured "
                    f"it); rollback point {point_id} does not hold it. Repair it (dpkg --configure -a) and record again."
                )
        manifest["packages"] = {name: version for name, (version, state) in found.items() if state in CONFIGURED}
        manifest["package_patterns"] = patterns
    if module.check_mode:
        return dict(changed=True, manifest=manifest)
    os.makedirs(base, mode=0o700, exist_ok=True)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    archive = os.path.join(directory, "files.tar")
    with tarfile.open(archive + ".part", "w") as tar:
        for path in present:
            tar.add(path, arcname=path.lstrip("/"), recursive=False)
    os.chmod(archive + ".part", 0o600)
    os.replace(archive + ".part", archive)
    fd, tmp = tempfile.mkstemp(dir=directory)
    with os.fdopen(fd, "w") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    os.replace(tmp, manifest_path)
    return dict(changed=True, manifest=manifest)


def differing_files(manifest):
    """The files of the point whose content differs now (or that are missing), and those to remove."""
    to_restore = [
        p for p, digest in sorted(manifest["checksums"].items()) if not os.path.isfile(p) or sha256(p) != digest
    ]
    return to_restore, [p for p in manifest["absent"] if os.path.lexists(p)]


def read_archive(module, directory, point_id, manifest):
    """{path: (tar member, content)} of every file of the point, each checked against its checksum."""
    archived = {}
    path = "files.tar"
    try:
        with tarfile.open(os.path.join(directory, "files.tar")) as tar:
            for path, digest in sorted(manifest["checksums"].items()):
                member = tar.getmember(path.lstrip("/"))
                data = tar.extractfile(member).read()
                if hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError("checksum")
                archived[path] = (member, data)
    except (OSError, KeyError, AttributeError, ValueError, tarfile.TarError):
        module.fail_json(msg=f"rollback_point: the archive of {point_id} is damaged for {path}; nothing was changed")
    return archived


def restore(module, base, point_id):
    available = points(base)
    if point_id == "latest":
        if not available:
            module.fail_json(
                msg=f"rollback_point: no rollback point in {base}. Run the preflight playbook to record one."
            )
        point_id = available[-1]
    if point_id not in available:
        module.fail_json(
            msg=f"rollback_point: no rollback point '{point_id}' in {base}. "
            f"This host has: {', '.join(available) or 'none'}. Set the identifier to one of them."
        )
    directory = os.path.join(base, point_id)
    with open(os.path.join(directory, "manifest.json")) as handle:
        manifest = json.load(handle)
    to_restore, to_remove = differing_files(manifest)
    changed = []
    if "packages" in manifest:
        installed = installed_versions(dpkg_packages(module, manifest.get("package_patterns") or []))
        changed = changed_packages(manifest["packages"], installed)
    # Every check that can refuse comes before the first change: packages, then files, never half of it.
    targets = check_packages(module, point_id, manifest, changed) if module.params["packages"] else []
    result = dict(
        changed=bool(to_restore or to_remove or targets),
        id=point_id,
        manifest=manifest,
        restored=to_restore,
        removed=to_remove,
        packages_changed=changed,
        packages_restored=targets,
    )
    if module.check_mode or not result["changed"]:
        return result
    # The archive is read and checked before the first change; a damaged one changes nothing.
    archived = read_archive(module, directory, point_id, manifest)
    if targets:
        rc, out, err = module.run_command([*APT_INSTALL, *targets], environ_update=APT_ENV)
        if rc != 0:
            module.fail_json(
                msg=f"rollback_point: apt-get install {' '.join(targets)} failed ({_tail(rc, out, err)}) after apt "
                "had accepted them; some packages may be put back, the files of the point were not restored. Repair "
                "dpkg (dpkg --audit, apt-get --fix-broken install), then restore again: it puts back what still "
                "differs.",
                packages_changed=changed,
            )
        # a maintainer script may have written a file of the point: compare again after the packages
        to_restore, to_remove = differing_files(manifest)
        result.update(restored=to_restore, removed=to_remove)
    for path in to_restore:
        member, data = archived[path]
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".rollback-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, member.mode)
        os.chown(tmp, member.uid, member.gid)
        os.utime(tmp, (member.mtime, member.mtime))
        os.replace(tmp, path)
    for path in to_remove:
        os.remove(path)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "restored"], default="present"),
            id=dict(type="str", required=True),
            path=dict(type="path", default="/var/backups/bbb-cluster-proxy"),
            files=dict(type="list", elements="path", default=[]),
            operator=dict(type="str", default=""),
            info=dict(type="dict", default={}),
            packages=dict(type="bool", default=False),
            package_patterns=dict(type="list", elements="str", default=["bigbluebutton", "*bbb*"]),
        ),
        supports_check_mode=True,
    )
    point_id, base = module.params["id"], module.params["path"]
    restoring = module.params["state"] == "restored"
    if not ID_RE.match(point_id) and not (restoring and point_id == "latest"):
        module.fail_json(
            msg=f"rollback_point: id '{point_id}' is not a UTC timestamp such as 20261125T101500Z"
            + (" (or 'latest')" if restoring else "")
        )
    if restoring:
        result = restore(module, base, point_id)
    else:
        if not module.params["files"]:
            module.fail_json(msg="rollback_point: files is empty; name the files the point must hold")
        if module.params["packages"] and not module.params["package_patterns"]:
            module.fail_json(msg="rollback_point: package_patterns is empty; name the packages the point must hold")
        result = record(module, base, point_id, module.params["files"])
        result["id"] = point_id
    manifest = result["manifest"]
    result["present"] = sorted(manifest["checksums"])
    result["absent"] = manifest["absent"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
