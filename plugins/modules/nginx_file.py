#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: nginx_file
short_description: Write an nginx configuration file only after the whole configuration passes nginx -t
version_added: 0.1.0
description:
  - Tests the complete nginx configuration with the candidate content in place of O(dest) before O(dest) is written,
    so that a bad candidate never reaches the live file.
  - The test runs on a temporary copy of the nginx configuration directory (and of the directory of O(dest) when it
    lies outside it), in which the paths of those directories are rewritten to the copy, with C(nginx -t -c).
    Files outside those directories (for example BigBlueButton's C(/usr/share/bigbluebutton/nginx)) are read live.
  - On failure the module fails with nginx's message and leaves O(dest) untouched. Check mode validates too.
  - It does not reload nginx; notify a handler for that.
author:
  - bbb.cluster_proxy maintainers
options:
  dest:
    description: The nginx file to write.
    type: path
    required: true
  content:
    description: The new content of O(dest).
    type: str
    required: true
  backup:
    description: Keep a timestamped copy of the previous file next to it before changing it.
    type: bool
    default: false
  validate:
    description: Test the whole configuration with C(nginx -t) before writing.
    type: bool
    default: true
  nginx_conf:
    description: The main nginx configuration file.
    type: path
    default: /etc/nginx/nginx.conf
  nginx_binary:
    description: The nginx executable.
    type: str
    default: nginx
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Backups are named C(<dest>.<pid>.<date>~) so that include globs such as C(*.conf) or C(*.nginx) do not load them.
"""

EXAMPLES = r"""
- name: Write the proxy site, tested as part of the whole configuration
  bbb.cluster_proxy.nginx_file:
    dest: /etc/nginx/conf.d/bbb-cluster-proxy.conf
    content: "{{ lookup('ansible.builtin.template', 'site.conf.j2') }}"
    mode: "0644"
    backup: true
  notify: Reload nginx
"""

RETURN = r"""
validated:
  description: Whether C(nginx -t) ran and passed for this content.
  type: bool
  returned: always
backup_file:
  description: The backup copy of the previous file.
  type: str
  returned: changed and O(backup=true)
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text


def _rewrite_tree(root, mapping):
    """In the copied tree under ``root``, point paths of ``mapping`` (real -> copy) at the copy."""
    for top in mapping.values():
        for dirpath, _dirnames, filenames in os.walk(top):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    target = os.readlink(path)
                    for real, copy in mapping.items():
                        if target == real or target.startswith(real + "/"):
                            os.unlink(path)
                            os.symlink(copy + target[len(real) :], path)
                            break
                    continue
                try:
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                if b"\0" in data:
                    continue
                new = data
                for real, copy in mapping.items():
                    new = new.replace(to_bytes(real + "/"), to_bytes(copy + "/"))
                if new != data:
                    with open(path, "wb") as handle:
                        handle.write(new)


def validate(module, dest, content):
    """Return (ok, message) for the whole configuration with ``content`` at ``dest``."""
    nginx_conf = os.path.abspath(module.params["nginx_conf"])
    conf_dir = os.path.dirname(nginx_conf)
    dest_dir = os.path.dirname(dest)
    nginx = module.get_bin_path(module.params["nginx_binary"], required=True)
    tmp = tempfile.mkdtemp(prefix="nginx_file.")
    try:
        mapping = {}
        dirs = [conf_dir]
        if not (dest_dir == conf_dir or dest_dir.startswith(conf_dir + "/")):
            dirs.append(dest_dir)
        for real in dirs:
            copy = os.path.join(tmp, real.lstrip("/"))
            if os.path.isdir(real):
                shutil.copytree(real, copy, symlinks=True)
            else:
                os.makedirs(copy)
            mapping[real] = copy
        candidate = os.path.join(tmp, dest.lstrip("/"))
        if os.path.lexists(candidate):
            os.unlink(candidate)
        _rewrite_tree(tmp, mapping)
        with open(candidate, "wb") as handle:
            handle.write(to_bytes(content))
        rc, out, err = module.run_command([nginx, "-t", "-q", "-c", os.path.join(tmp, nginx_conf.lstrip("/"))])
        message = to_text(err or out)
        for real, copy in mapping.items():
            message = message.replace(copy, real)
        return rc == 0, message.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            content=dict(type="str", required=True),
            backup=dict(type="bool", default=False),
            validate=dict(type="bool", default=True),
            nginx_conf=dict(type="path", default="/etc/nginx/nginx.conf"),
            nginx_binary=dict(type="str", default="nginx"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    dest = os.path.abspath(module.params["dest"])
    content = module.params["content"]
    if os.path.isdir(dest):
        module.fail_json(msg=f"nginx_file: {dest} is a directory")
    before = None
    if os.path.exists(dest):
        with open(dest, "rb") as handle:
            before = to_text(handle.read(), errors="surrogate_or_strict")
    changed = before != content
    result = dict(changed=changed, validated=False, dest=dest)
    if module._diff:
        result["diff"] = dict(before_header=dest, after_header=dest, before=before or "", after=content)

    if changed and module.params["validate"]:
        ok, message = validate(module, dest, content)
        if not ok:
            module.fail_json(
                msg=f"nginx_file: the nginx configuration with the new {dest} fails nginx -t, so it was not written: {message}",
                **{k: v for k, v in result.items() if k != "changed"},
            )
        result["validated"] = True

    if changed and not module.check_mode:
        if before is not None and module.params["backup"]:
            result["backup_file"] = module.backup_local(dest)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".nginx_file.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(to_bytes(content))
            if before is None and module.params["mode"] is None:
                os.chmod(tmp, 0o644)
            module.atomic_move(tmp, dest)
        except OSError as exc:
            module.fail_json(msg=f"nginx_file: writing {dest} failed: {to_native(exc)}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    if not module.check_mode and os.path.exists(dest):
        file_args = module.load_file_common_arguments(module.params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
