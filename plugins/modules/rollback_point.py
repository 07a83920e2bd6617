#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_point
short_description: Record or restore a rollback point of the files the cluster-proxy roles manage
version_added: 0.1.0
description:
  - With O(state=present), archives every file of O(files) that exists into C(<path>/<id>/files.tar) (content, mode,
    owner, modification time) and writes C(<path>/<id>/manifest.json) with the SHA-256 of each, the files that did
    not exist, the operator and O(info). A rollback point is never rewritten; recording an existing one changes nothing.
  - With O(state=restored), puts every file of the point back byte-identical (with its mode and owner) where its
    content differs now, and removes the files that did not exist when the point was recorded. Files that already
    match are not touched, so a second restore changes nothing.
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
attributes:
  check_mode:
    support: full
    description: Reports what would be recorded or restored, and changes nothing.
  diff_mode:
    support: none
    description: No diff; the result lists the files recorded or restored.
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.posix
"""

EXAMPLES = r"""
- name: Record a rollback point of the node's files
  bbb.cluster_proxy.rollback_point:
    id: "{{ rollback_id }}"
    files:
      - /etc/bigbluebutton/bbb-web.properties
      - /etc/bigbluebutton/bbb-html5.yml
    operator: jane
    info:
      bbb_version: 3.0.30

- name: Restore the newest rollback point
  bbb.cluster_proxy.rollback_point:
    state: restored
    id: latest
  register: restored
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
manifest:
  description: The manifest of the point (checksums, operator, info), without file contents.
  type: dict
  returned: always
"""

import hashlib
import json
import os
import re
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule

ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")


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
    to_restore = [
        p for p, digest in sorted(manifest["checksums"].items()) if not os.path.isfile(p) or sha256(p) != digest
    ]
    to_remove = [p for p in manifest["absent"] if os.path.lexists(p)]
    result = dict(
        changed=bool(to_restore or to_remove), id=point_id, manifest=manifest, restored=to_restore, removed=to_remove
    )
    if module.check_mode or not result["changed"]:
        return result
    with tarfile.open(os.path.join(directory, "files.tar")) as tar:
        for path in to_restore:
            member = tar.getmember(path.lstrip("/"))
            data = tar.extractfile(member).read()
            if hashlib.sha256(data).hexdigest() != manifest["checksums"][path]:
                module.fail_json(
                    msg=f"rollback_point: the archive of {point_id} is damaged for {path}; nothing more restored"
                )
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
        result = record(module, base, point_id, module.params["files"])
        result["id"] = point_id
    manifest = result["manifest"]
    result["present"] = sorted(manifest["checksums"])
    result["absent"] = manifest["absent"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
