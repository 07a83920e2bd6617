#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: properties_file
short_description: Set keys of a key=value file line by line, never showing secrets
version_added: 0.1.0
description:
  - Sets the given keys in a Java properties file or a systemd environment file such as
    C(/etc/bigbluebutton/bbb-web.properties), line by line.
  - An existing key keeps its place and gets the new value (every occurrence is set); a missing key is appended.
    Every other line, including comments, order and keys such as the BBB shared secret, stays byte-identical.
  - Values of O(secret_keys) are replaced by C(********) in the diff and never returned.
author:
  - bbb.cluster_proxy maintainers
options:
  path:
    description: The file to edit.
    type: path
    required: true
  values:
    description: Keys and the values to set. Values are written verbatim after C(=).
    type: dict
    required: true
  remove:
    description:
      - Keys to remove. A key is removed only where its current value equals the value given here, so that a value
        set by the operator survives; give V(null) to remove the key whatever its value.
    type: dict
    default: {}
  create:
    description: Create the file when it does not exist. When false, a missing file is an error.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the previous file next to it before changing it.
    type: bool
    default: false
  secret_keys:
    description: Keys whose values are masked in the diff, whether this task sets them or not.
    type: list
    elements: str
    default: [securitySalt]
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Point bbb-web at the cluster proxy
  bbb.cluster_proxy.properties_file:
    path: /etc/bigbluebutton/bbb-web.properties
    values:
      defaultHTML5ClientUrl: https://proxy.example.com/bbb-01/html5client/
      accessControlAllowOrigin: https://proxy.example.com
    backup: true
"""

RETURN = r"""
changed_keys:
  description: Keys whose value was set or added.
  type: list
  elements: str
  returned: always
  sample: [accessControlAllowOrigin, defaultHTML5ClientUrl]
backup_file:
  description: The backup copy of the previous file.
  type: str
  returned: changed and O(backup=true)
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

MASK = "********"


def _key_re(key):
    return re.compile(r"^\s*" + re.escape(key) + r"\s*[=:]")


def _mask(lines, secret_keys):
    patterns = [_key_re(k) for k in secret_keys]
    out = []
    for line in lines:
        for key, pattern in zip(secret_keys, patterns):
            if pattern.match(line):
                line = key + "=" + MASK + ("\n" if line.endswith("\n") else "")
                break
        out.append(line)
    return "".join(out)


def update_lines(lines, values, remove=None):
    """Return (new_lines, changed_keys) with every key of ``values`` set and matching keys of ``remove`` removed."""
    new = list(lines)
    changed = set()
    for key, only_value in (remove or {}).items():
        pattern = _key_re(key)
        kept = []
        for line in new:
            match = pattern.match(line)
            if match and (only_value is None or line[match.end() :].strip() == only_value):
                changed.add(key)
                continue
            kept.append(line)
        new = kept
    for key, value in values.items():
        wanted = f"{key}={value}"
        pattern = _key_re(key)
        found = False
        for i, line in enumerate(new):
            if pattern.match(line):
                found = True
                ending = "\n" if line.endswith("\n") else ""
                if line.rstrip("\r\n") != wanted:
                    new[i] = wanted + ending
                    changed.add(key)
        if not found:
            if new and not new[-1].endswith("\n"):
                new[-1] += "\n"
            new.append(wanted + "\n")
            changed.add(key)
    return new, sorted(changed)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            values=dict(type="dict", required=True),
            remove=dict(type="dict", default={}),
            create=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
            secret_keys=dict(type="list", elements="str", default=["securitySalt"], no_log=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params["path"]
    secret_keys = module.params["secret_keys"]
    # Ansible masks these strings in everything the module returns, invocation included.
    for key in secret_keys:
        value = module.params["values"].get(key)
        if value not in (None, ""):
            module.no_log_values.add(to_native(value))
    values = {}
    for key, value in module.params["values"].items():
        if not key or re.search(r"[\s=:#!]", key):
            module.fail_json(
                msg=f"properties_file: invalid key {key!r} for {path} (no white space, '=', ':', '#', '!')"
            )
        value = "" if value is None else to_native(value)
        if "\n" in value or "\r" in value:
            shown = MASK if key in secret_keys else repr(value)
            module.fail_json(msg=f"properties_file: the value of {key} for {path} has a line break: {shown}")
        values[key] = value

    exists = os.path.exists(path)
    if not exists and not module.params["create"]:
        module.fail_json(msg=f"properties_file: {path} does not exist (set create: true to create it)")
    if exists:
        with open(path, encoding="utf-8", newline="") as handle:
            lines = handle.readlines()
    else:
        lines = []

    remove = {k: (None if v is None else to_native(v)) for k, v in module.params["remove"].items()}
    new_lines, changed_keys = update_lines(lines, values, remove)
    changed = new_lines != lines or not exists
    result = dict(changed=changed, changed_keys=changed_keys, path=path)
    if module._diff:
        result["diff"] = dict(
            before_header=path,
            after_header=path,
            before=_mask(lines, secret_keys) if exists else "",
            after=_mask(new_lines, secret_keys),
        )

    if changed and not module.check_mode:
        if exists and module.params["backup"]:
            result["backup_file"] = module.backup_local(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".properties_file.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(to_bytes("".join(new_lines)))
            module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    file_args = module.load_file_common_arguments(module.params)
    if not module.check_mode and os.path.exists(path):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
