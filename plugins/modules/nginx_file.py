#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: nginx_file
short_description: Write an nginx configuration file only after the whole configuration passes nginx -t
version_added: 0.1.0
description:
  - Tests the complete nginx configuration with the new content in place of O(dest) before O(dest) is written, so a
    candidate that breaks nginx, alone or together with the other files (a duplicate C(location) in the same
    C(server), a C(proxy_cache_path) zone defined twice), never reaches the live file.
  - The test runs on a temporary copy of the directory of O(nginx_conf) and, when O(dest) lies outside it, of the
    directory of O(dest). In the copied files, every mention of those directories is pointed at the copy, and so are
    copied symbolic links whose targets lie in them. The candidate is put in place in the copy, and
    C(nginx -T -q -c <copy of nginx_conf>) tests it. Files outside those directories (certificates,
    C(/usr/share/bigbluebutton/nginx)) are read where they are.
  - On failure the module fails with nginx's message, its temporary paths mapped back to the real ones, and O(dest)
    stays as it was.
  - When the content is unchanged nothing is tested or written. Check mode tests too, and writes nothing.
  - When O(dest) is a symbolic link, the file it points to is written and the link stays.
  - It does not reload nginx; notify a handler for that.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  dest:
    description:
      - The nginx file to write. Its directory must exist.
      - A new file gets mode C(0644) unless O(mode) is set; an existing file keeps its owner, group and mode unless
        the task sets them.
    type: path
    required: true
  content:
    description: The new content of O(dest).
    type: str
    required: true
  backup:
    description:
      - Keep a copy of the previous file next to it, named C(<dest>.<pid>.<date>~), before changing it.
      - Include globs such as C(*.conf) or C(*.nginx) do not load these copies, but a catch-all glob such as
        C(sites-enabled/*) does. Keep files with such a glob in C(sites-available) and link them.
    type: bool
    default: false
  validate:
    description: Test the whole configuration with the candidate in place before writing.
    type: bool
    default: true
  nginx_conf:
    description: The main nginx configuration file, as nginx is started with it.
    type: path
    default: /etc/nginx/nginx.conf
  nginx_binary:
    description: The nginx executable, a name looked up in E(PATH) and the sbin directories, or a path.
    type: str
    default: nginx
extends_documentation_fragment:
  - ansible.builtin.files
  - bbb.cluster_proxy.attributes.posix
attributes:
  check_mode:
    support: full
    description: Tests the configuration with the candidate in place and writes nothing.
  diff_mode:
    support: full
    description: Shows the live file before and the new content after.
notes:
  - A file that mentions O(dest) through another path than the directories that are copied (another symbolic link to
    it, for example) reads the live O(dest) during the test.
  - When nginx does not read the candidate at all (no C(include) reaches O(dest)), the module warns that its content
    was not tested.
  - The copy is refused when the directories hold more than 5000 entries; keep nginx files in a directory of their own.
seealso:
  - name: nginx command-line parameters
    description: The C(-t), C(-T), C(-q) and C(-c) switches.
    link: https://nginx.org/en/docs/switches.html
"""

EXAMPLES = r"""
- name: Write the proxy site, tested as part of the whole configuration
  bbb.cluster_proxy.nginx_file:
    dest: /etc/nginx/sites-available/bbb-cluster-proxy.conf
    content: "{{ lookup('ansible.builtin.template', 'bbb-cluster-proxy.conf.j2') }}"
    owner: root
    group: root
    mode: "0644"
    backup: true
  notify: Reload nginx

- name: Add locations to BigBlueButton's server block (included from /etc/nginx with a glob)
  bbb.cluster_proxy.nginx_file:
    dest: /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx
    content: |
      location /bbb-01/html5client/locales {
        alias /usr/share/bigbluebutton/html5-client/locales;
      }
  notify: Reload nginx
"""

RETURN = r"""
dest:
  description: The file that was written (the target when O(dest) is a symbolic link).
  type: str
  returned: always
  sample: /etc/nginx/sites-available/bbb-cluster-proxy.conf
validated:
  description: Whether the whole configuration with this content passed C(nginx -t) in this run.
  type: bool
  returned: always
  sample: true
nginx_output:
  description:
    - What nginx printed when it tested the configuration (warnings such as a conflicting server name), with
      temporary paths mapped back to the real ones. Empty when nothing was tested.
  type: str
  returned: always
  sample: 'nginx: [warn] conflicting server name "proxy.example.com" on 0.0.0.0:443, ignored'
backup_file:
  description: The backup copy of the previous file.
  type: str
  returned: changed and O(backup=true) and the file existed
  sample: /etc/nginx/sites-available/bbb-cluster-proxy.conf.2412.2024-05-01@10:02:03~
"""

import os
import re
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.nginx_config import dump_files, messages

MAX_COPIED_ENTRIES = 5000
MAX_REWRITTEN_SIZE = 4 * 1024 * 1024


class ValidationError(Exception):
    """The configuration could not be tested (not: the test failed)."""


def inside(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def resolve_link(path):
    """Follow symbolic links of the last component of ``path`` (the directories stay as they are written)."""
    for _unused in range(40):
        if not os.path.islink(path):
            return path
        path = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))
    raise ValidationError(f"too many levels of symbolic links at {path}")


def plan(conf_dir, dest):
    """Return (roots, candidate): the directories to copy and the real path whose copy gets the candidate."""
    dest_dir = os.path.dirname(dest)
    roots = [conf_dir]
    candidate = dest
    if not inside(dest_dir, conf_dir):
        roots.append(dest_dir)
    elif not inside(os.path.realpath(dest_dir), os.path.realpath(conf_dir)):
        # dest_dir is reached through a symbolic link in the configuration directory that points elsewhere: copy
        # that directory too (the link is pointed at the copy) and put the candidate there.
        real_dir = os.path.realpath(dest_dir)
        roots.append(real_dir)
        candidate = os.path.join(real_dir, os.path.basename(dest))
    roots = [root for root in roots if not any(other != root and inside(root, other) for other in roots)]
    return roots, candidate


def _special(directory, names):
    """copytree ignore function: sockets, FIFOs and devices are not copied (reading a FIFO would block)."""
    ignored = []
    for name in names:
        mode = os.lstat(os.path.join(directory, name)).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            ignored.append(name)
    return ignored


class Stage:
    """A temporary copy of the nginx configuration with a candidate file in place."""

    def __init__(self, tmp, roots):
        self.tmp = tmp
        self.roots = roots
        alternatives = b"|".join(re.escape(to_bytes(root)) for root in sorted(roots, key=len, reverse=True))
        # A root directory as a whole path or path prefix: not part of a longer name on either side.
        self.pattern = re.compile(rb"(?<![\w./-])(" + alternatives + rb")(?![\w.-])")

    def copy_of(self, real):
        return self.tmp + real

    def real_of(self, copy):
        return copy[len(self.tmp) :]

    def copy(self):
        entries = 0
        for root in self.roots:
            for _dirpath, dirnames, filenames in os.walk(root):
                entries += len(dirnames) + len(filenames)
                if entries > MAX_COPIED_ENTRIES:
                    raise ValidationError(
                        f"{', '.join(self.roots)} hold more than {MAX_COPIED_ENTRIES} entries, too many to copy for "
                        "the test; keep the nginx files in a directory of their own"
                    )
        for root in self.roots:
            os.makedirs(os.path.dirname(self.copy_of(root)), exist_ok=True)
            shutil.copytree(root, self.copy_of(root), symlinks=True, ignore=_special)

    def rewrite(self):
        """Point the copied files and symbolic links at the copy wherever they mention a copied directory."""
        for root in self.roots:
            for dirpath, dirnames, filenames in os.walk(self.copy_of(root)):
                for name in dirnames + filenames:
                    path = os.path.join(dirpath, name)
                    if os.path.islink(path):
                        self._repoint(path)
                    elif name in filenames:
                        self._rewrite_file(path)

    def _repoint(self, link):
        target = os.readlink(link)
        real_target = os.path.normpath(os.path.join(os.path.dirname(self.real_of(link)), target))
        if any(inside(real_target, root) for root in self.roots):
            if not os.path.isabs(target) and inside(real_target, self._root_of(self.real_of(link))):
                return  # relative within its own copied directory: resolves inside the copy as it is
            new = self.copy_of(real_target)
        else:
            new = real_target  # outside the copy: the live file, also for relative links that left the copy
        if new != target:
            os.unlink(link)
            os.symlink(new, link)

    def _root_of(self, real):
        return next(root for root in self.roots if inside(real, root))

    def _rewrite_file(self, path):
        if os.path.getsize(path) > MAX_REWRITTEN_SIZE:
            return
        with open(path, "rb") as handle:
            data = handle.read()
        if b"\0" in data:
            return
        tmp = to_bytes(self.tmp)
        new = self.pattern.sub(lambda match: tmp + match.group(1), data)
        if new != data:
            with open(path, "wb") as handle:
                handle.write(new)

    def place(self, real, content):
        """Write ``content`` where the copy of ``real`` is, never through a link that leaves the copy."""
        path = self.copy_of(real)
        if not inside(os.path.realpath(os.path.dirname(path)), os.path.realpath(self.tmp)):
            raise ValidationError(f"the copy of {os.path.dirname(real)} resolves outside the temporary copy")
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "wb") as handle:
            handle.write(content)
        return path

    def unmap(self, text):
        """Map temporary paths in ``text`` back to the real ones."""
        for tmp in sorted({os.path.realpath(self.tmp), self.tmp}):
            text = text.replace(tmp + "/", "/")
        return text


def validate(module, nginx, nginx_conf, dest, content):
    """Test the configuration with ``content`` at ``dest``; return (ok, nginx's output, whether nginx read it)."""
    conf_dir = os.path.dirname(nginx_conf)
    roots, candidate = plan(conf_dir, dest)
    tmp = tempfile.mkdtemp(prefix="nginx_file.")
    try:
        stage = Stage(tmp, roots)
        stage.copy()
        main_copy = stage.copy_of(nginx_conf)
        if os.path.islink(main_copy):  # a linked main file must be copied for its paths to be rewritten
            os.unlink(main_copy)
            shutil.copyfile(nginx_conf, main_copy)
        stage.rewrite()
        placed = stage.place(candidate, content)
        rc, out, err = module.run_command([nginx, "-T", "-q", "-c", main_copy])
        read = {os.path.realpath(path) for path in dump_files(to_text(out, errors="surrogate_or_replace"))}
        message = "\n".join(messages(to_text(err, errors="surrogate_or_replace")))
        return rc == 0, stage.unmap(message).strip(), os.path.realpath(placed) in read
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write(module, dest, data, creating):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=f".{os.path.basename(dest)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        module.atomic_move(tmp, dest, unsafe_writes=module.params["unsafe_writes"])
        if creating and module.params["mode"] is None:
            os.chmod(dest, 0o644)
    except Exception as exc:  # atomic_move raises plain Exception
        module.fail_json(msg=f"nginx_file: writing {dest} failed: {to_native(exc)}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    try:
        dest = resolve_link(os.path.abspath(module.params["dest"]))
    except (ValidationError, OSError) as exc:
        module.fail_json(msg=f"nginx_file: cannot resolve {module.params['dest']}: {to_native(exc)}")
    data = to_bytes(module.params["content"], errors="surrogate_or_strict")
    if os.path.isdir(dest):
        module.fail_json(msg=f"nginx_file: {dest} is a directory, not a file.")
    if not os.path.isdir(os.path.dirname(dest)):
        module.fail_json(msg=f"nginx_file: the directory {os.path.dirname(dest)} of {dest} does not exist.")

    before = None
    if os.path.exists(dest):
        try:
            with open(dest, "rb") as handle:
                before = handle.read()
        except OSError as exc:
            module.fail_json(msg=f"nginx_file: cannot read {dest}: {to_native(exc)}")
    changed = before != data
    result = dict(changed=changed, dest=dest, validated=False, nginx_output="")
    if module._diff:
        result["diff"] = dict(
            before_header=dest,
            after_header=dest,
            before=to_text(before or b"", errors="surrogate_or_replace"),
            after=module.params["content"],
        )

    if changed and module.params["validate"]:
        nginx_conf = os.path.abspath(module.params["nginx_conf"])
        if not os.path.isfile(nginx_conf):
            module.fail_json(msg=f"nginx_file: the nginx configuration {nginx_conf} (nginx_conf) does not exist.")
        nginx = module.get_bin_path(module.params["nginx_binary"])
        if nginx is None:
            module.fail_json(
                msg=f"nginx_file: cannot test {dest}: the nginx binary {module.params['nginx_binary']!r} "
                "(nginx_binary) was not found. Install nginx first, or set validate: false."
            )
        try:
            ok, output, read = validate(module, nginx, nginx_conf, dest, data)
        except (ValidationError, OSError, shutil.Error) as exc:
            module.fail_json(
                msg=f"nginx_file: cannot test the nginx configuration with the new {dest}, so it was not written: "
                f"{to_native(exc)}",
            )
        result["nginx_output"] = output
        if not ok:
            result["changed"] = False
            module.fail_json(
                msg=f"nginx_file: the nginx configuration {nginx_conf} with the new {dest} fails nginx -t, "
                f"so {dest} was not written: {output}",
                **result,
            )
        result["validated"] = True
        if not read:
            module.warn(
                f"nginx_file: nginx does not read {dest} (no include of {nginx_conf} reaches it), "
                "so nginx -t passed without testing its content."
            )

    if changed and not module.check_mode:
        if before is not None and module.params["backup"]:
            result["backup_file"] = module.backup_local(dest)
        write(module, dest, data, creating=before is None)

    if os.path.exists(dest):
        file_args = module.load_file_common_arguments(module.params, path=dest)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
