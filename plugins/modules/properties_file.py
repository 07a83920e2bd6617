#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: properties_file
short_description: Set keys of a key=value file line by line, never showing secrets
version_added: 0.1.0
description:
  - Sets the given keys in a Java properties file or a systemd C(EnvironmentFile) such as
    C(/etc/bigbluebutton/bbb-web.properties) or C(/etc/bigbluebutton/bbb-graphql-server.env), line by line.
  - A line sets a key when it matches C(^\\s*KEY\\s*[=:]). Comment lines (starting with C(#), C(!) or C(;)) never match.
  - An existing key keeps its place and its separator style (C(key=value), C(key = value), C(key:value)) and gets the
    new value. Every occurrence of the key is set, and a warning names keys that occur more than once.
    A value continued over several lines with a trailing backslash is replaced as a whole.
  - A missing key is appended as C(KEY=VALUE) at the end of the file (a missing final newline is added first).
  - Every other byte of the file stays as it is, including comments, blank lines, order, line endings, a missing final
    newline and keys such as the BigBlueButton shared secret.
  - Values of O(secret_keys) are replaced by C(********) in the diff, also in lines this task does not change and in
    commented lines, and never appear in the module's result or error messages.
  - The file is written atomically; an existing file keeps its owner, group and mode unless the task sets them.
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the bbb_node role edits key=value files
    as entries of format C(properties) of P(bbb.cluster_proxy.node_files#module), with the same line-by-line editing.
deprecated:
  removed_in: 1.0.0
  why: No role of the collection uses it; the bbb_node role edits key=value files with the node_files module.
  alternative: >-
    Use the bbb.cluster_proxy.node_files module with entries of format properties (settings, remove, create), or
    the community.general.ini_file module.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  path:
    description: The file to edit.
    type: path
    required: true
  values:
    description:
      - Keys and the values to set.
      - Values are written verbatim after the separator, without quoting or escaping. Write the quotes yourself where
        the file format needs them, for example C('"https://proxy.example.com"') in an environment file.
      - Booleans are written as C(true) and C(false), numbers as their decimal form, null as an empty value.
      - A key must not be empty, contain white space, C(=), C(:) or C(\\), or start with C(#), C(!) or C(;).
        A value must not contain a line break or end with an odd number of backslashes (which would continue it
        over the next line).
    type: dict
    required: true
  remove:
    description:
      - Keys to remove, each with the value it must still have. A line is removed only where its value equals the
        given one (white space around the value aside), so that a value an operator has set since survives.
      - Give V(null) to remove the key whatever its value.
      - Every occurrence is removed, also one continued over several lines. Removed keys are listed in
        RV(changed_keys) and RV(removed_keys).
      - A key must not appear both here and in O(values).
    type: dict
    default: {}
  create:
    description: Create the file when it does not exist. When false, a missing file is an error.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the previous file next to it (C(<path>.<pid>.<date>~)) before changing it.
    type: bool
    default: false
  secret_keys:
    description:
      - Keys whose values are masked as C(********) in the diff, whether this task sets them or not.
      - Their values given in O(values) or O(remove), and their values found in the file, are also masked wherever
        else they would appear in the module's result.
    type: list
    elements: str
    default: [securitySalt]
extends_documentation_fragment:
  - ansible.builtin.files
  - bbb.cluster_proxy.attributes.posix
attributes:
  check_mode:
    support: full
    description: Computes the change and the diff and writes nothing.
  diff_mode:
    support: full
    description: Shows the whole file before and after, with the values of O(secret_keys) masked.
notes:
  - The module does not restart the service that reads the file; notify a handler for that.
  - A file this module creates gets mode C(0666) minus the umask unless O(mode) is set.
seealso:
  - module: community.general.ini_file
  - module: ansible.builtin.lineinfile
"""

EXAMPLES = r"""
- name: Point bbb-web at the cluster proxy (the shared secret in the same file stays as it is and is never shown)
  bbb.cluster_proxy.properties_file:
    path: /etc/bigbluebutton/bbb-web.properties
    values:
      defaultHTML5ClientUrl: https://proxy.example.com/bbb-01/html5client/
      accessControlAllowOrigin: https://proxy.example.com
    backup: true
  notify: Restart bbb-web

- name: Allow the proxy origin in an environment file, creating it if needed
  bbb.cluster_proxy.properties_file:
    path: /etc/bigbluebutton/bbb-graphql-server.env
    values:
      HASURA_GRAPHQL_CORS_DOMAIN: '"https://proxy.example.com"'
    create: true
    owner: root
    group: root
    mode: "0644"

- name: Drop a value an earlier version of the role set, unless an administrator has changed it since
  bbb.cluster_proxy.properties_file:
    path: /etc/bigbluebutton/bbb-web.properties
    values: {}
    remove:
      defaultGuestWaitURL: https://bbb-01.example.com/bbb-01/html5client/guestWait
"""

RETURN = r"""
path:
  description: The file that was edited.
  type: str
  returned: always
  sample: /etc/bigbluebutton/bbb-web.properties
changed_keys:
  description: Keys that were set to a new value, added or removed, sorted.
  type: list
  elements: str
  returned: always
  sample: [accessControlAllowOrigin, defaultHTML5ClientUrl]
removed_keys:
  description: Keys of O(remove) whose lines were removed, sorted.
  type: list
  elements: str
  returned: always
  sample: [defaultGuestWaitURL]
duplicate_keys:
  description: Keys of O(values) that occur on more than one line of the file; all their occurrences were set.
  type: list
  elements: str
  returned: always
  sample: []
backup_file:
  description: The backup copy of the previous file.
  type: str
  returned: changed and O(backup=true) and the file existed
  sample: /etc/bigbluebutton/bbb-web.properties.2412.2024-05-01@10:02:03~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.properties import (
    _BAD_KEY,
    DEFAULT_SECRET_KEYS,
    MASK,
    _readable,
    as_text,
    hide_secret_values,
    masked,
    split_lines,
    update_lines,
    write_text_atomically,
)


def register_secrets(module, params):
    """Add the values that ``values`` and ``remove`` give for secret keys to the strings Ansible masks in output."""
    secret_keys = params.get("secret_keys", DEFAULT_SECRET_KEYS)
    if isinstance(secret_keys, str):
        secret_keys = [key.strip() for key in secret_keys.split(",")]
    if not isinstance(secret_keys, list):
        return
    for option in ("values", "remove"):
        given = params.get(option)
        if not isinstance(given, dict):
            continue
        for key in secret_keys:
            value = given.get(key) if isinstance(key, str) else None
            if value is not None and not isinstance(value, bool) and to_native(value) != "":
                module.no_log_values.add(to_native(value))


class PropertiesModule(AnsibleModule):
    """An AnsibleModule that masks the secret values of ``values`` and ``remove`` from its first output on.

    Argument validation can fail (for example on a misspelt option) before main() runs, and that failure result
    echoes every parameter; registering the secrets right after the parameters are loaded prevents the leak.
    """

    def _load_params(self):
        super()._load_params()
        if isinstance(self.params, dict):
            register_secrets(self, self.params)


def _check(module, option, given, secret_keys):
    """Validate and convert ``values`` or ``remove``; fail naming the key, never showing a secret value.

    In ``remove``, null stays None (remove whatever the value); in ``values`` it is the empty value.
    """
    path = module.params["path"]
    checked = {}
    for key, value in given.items():
        if not key or _BAD_KEY.search(key) or key[0] in "#!;":
            module.fail_json(
                msg=f"properties_file: invalid key {key!r} in {option} for {path}: a key must not be empty, contain "
                "white space, '=', ':' or '\\', or start with '#', '!' or ';'."
            )
        if value is None and option == "remove":
            checked[key] = None
            continue
        text = as_text(value)
        if text is None:
            module.fail_json(
                msg=f"properties_file: the value of {key} in {option} for {path} is a {value.__class__.__name__}; "
                "give a string, a number or a boolean."
            )
        shown = MASK if key in secret_keys else repr(text)
        if "\n" in text or "\r" in text:
            module.fail_json(
                msg=f"properties_file: the value of {key} in {option} for {path} contains a line break: {shown}. "
                "Values are written on one line."
            )
        if (len(text) - len(text.rstrip("\\"))) % 2 == 1:
            module.fail_json(
                msg=f"properties_file: the value of {key} in {option} for {path} ends with an odd number of "
                f"backslashes, which would continue it over the next line: {shown}. Escape the last backslash."
            )
        checked[key] = text
    return checked


def main():
    module = PropertiesModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            values=dict(type="dict", required=True),
            remove=dict(type="dict", default={}),
            create=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
            secret_keys=dict(type="list", elements="str", default=DEFAULT_SECRET_KEYS, no_log=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    register_secrets(module, module.params)
    path = module.params["path"]
    secret_keys = module.params["secret_keys"]
    values = _check(module, "values", module.params["values"], secret_keys)
    remove = _check(module, "remove", module.params["remove"], secret_keys)
    both = sorted(set(values) & set(remove))
    if both:
        module.fail_json(
            msg=f"properties_file: {', '.join(both)} for {path} given both in values and in remove; give each key once."
        )

    if os.path.isdir(path):
        module.fail_json(msg=f"properties_file: {path} is a directory, not a file.")
    exists = os.path.exists(path)
    if not exists:
        if not module.params["create"]:
            module.fail_json(msg=f"properties_file: {path} does not exist. Set create: true to create it.")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(
                msg=f"properties_file: cannot create {path}: the directory {directory} does not exist.",
            )
    try:
        if exists:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "surrogateescape")
        else:
            text = ""
    except OSError as exc:
        module.fail_json(msg=f"properties_file: cannot read {path}: {to_native(exc)}")
    lines = split_lines(text)
    hide_secret_values(module, lines, secret_keys)

    new_lines, changed_keys, removed_keys, duplicate_keys = update_lines(lines, values, remove)
    new_text = "".join(new_lines)
    changed = new_text != text or not exists
    result = dict(
        changed=changed,
        path=path,
        changed_keys=changed_keys,
        removed_keys=removed_keys,
        duplicate_keys=duplicate_keys,
    )
    if changed:
        for key in duplicate_keys:
            if key in changed_keys:
                module.warn(f"properties_file: {key} occurs on more than one line of {path}; every occurrence was set.")
    if module._diff:
        result["diff"] = dict(
            before_header=path,
            after_header=path,
            before=_readable(masked(lines, secret_keys)) if exists else "",
            after=_readable(masked(new_lines, secret_keys)),
        )

    if changed and not module.check_mode:
        if exists and module.params["backup"]:
            result["backup_file"] = module.backup_local(path)
        try:
            write_text_atomically(module, path, new_text, unsafe_writes=module.params["unsafe_writes"])
        except Exception as exc:  # atomic_move raises plain Exception
            module.fail_json(msg=f"properties_file: writing {path} failed: {to_native(exc)}")

    if os.path.exists(path):
        file_args = module.load_file_common_arguments(module.params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
