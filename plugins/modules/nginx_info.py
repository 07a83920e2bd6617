#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: nginx_info
short_description: Tell what nginx really loads and runs, from nginx -T and its processes
version_added: 0.2.0
description:
  - Runs C(nginx -T) once and reads its whole output, so the answer is the same for a configuration of a few lines and
    for one of several MiB (a proxy with hundreds of nodes and other sites of the operator).
  - Reports whether the configuration passes the test, the files nginx reads, whether O(path) is one of them,
    the C(conflicting server name) warnings for O(server_name), and whether the running nginx took its configuration
    after O(path) last changed (its newest worker started after the file's modification time).
  - Read-only; the drift playbook of the collection uses it on the proxy.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  path:
    description: A configuration file to ask about (is it loaded, is the running nginx newer than it).
    type: path
    required: true
  server_name:
    description: A server name whose C(conflicting server name) warnings to report.
    type: str
  nginx_conf:
    description: The main configuration file (C(nginx -c)); empty for the one nginx was built with.
    type: path
  nginx_binary:
    description: The nginx executable, a name looked up in E(PATH) and the sbin directories, or a path.
    type: str
    default: nginx
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed host; reads C(/proc) for nginx's processes (Linux).
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.read_only
seealso:
  - module: bbb.cluster_proxy.nginx_file
  - name: nginx command-line parameters
    description: The C(-T) switch.
    link: https://nginx.org/en/docs/switches.html
"""

EXAMPLES = r"""
- name: Ask nginx what it loads and since when it runs it
  bbb.cluster_proxy.nginx_info:
    path: /etc/nginx/conf.d/bbb-cluster-proxy.conf
    server_name: proxy.example.com
  register: loaded

- name: Stop where the proxy's file is not loaded
  ansible.builtin.assert:
    that: loaded.valid and loaded.included
"""

RETURN = r"""
valid:
  description: Whether C(nginx -T) passed (the configuration can be loaded).
  type: bool
  returned: always
error:
  description: The first error nginx printed when the test failed (empty when it passed).
  type: str
  returned: always
  sample: 'nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/bbb-cluster-proxy.conf:12'
files:
  description: The files nginx reads, in its order.
  type: list
  elements: str
  returned: always
included:
  description: Whether O(path) (or the file it links to) is one of RV(files).
  type: bool
  returned: always
conflicts:
  description: nginx's warnings that another server block claims O(server_name).
  type: list
  elements: str
  returned: always
  sample: ['nginx: [warn] conflicting server name "proxy.example.com" on 0.0.0.0:443, ignored']
dump_bytes:
  description: The size of the C(nginx -T) output.
  type: int
  returned: always
pid:
  description: The master's pid (from the C(pid) file the configuration names), or null when nginx is not running.
  type: int
  returned: always
running_since:
  description: When the newest worker of the master started (seconds since the epoch), or null.
  type: float
  returned: always
mtime:
  description: Modification time of O(path) (seconds since the epoch), or null when it does not exist.
  type: float
  returned: always
stale:
  description: Whether nginx runs and its newest worker started more than a second before O(path) last changed.
  type: bool
  returned: always
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.nginx_config import (
    conflicts,
    dump_files,
    first_error,
    pid_file,
    read_master_pid,
    workers_started,
)


def inspect(module, nginx, path, server_name, nginx_conf):
    command = [nginx, "-T"] + (["-c", nginx_conf] if nginx_conf else [])
    rc, out, err = module.run_command(command, environ_update={"LC_ALL": "C"})
    dump, stderr = to_text(out, errors="surrogate_or_replace"), to_text(err, errors="surrogate_or_replace")
    files = dump_files(dump) if rc == 0 else []
    real = os.path.realpath(path)
    mtime = os.path.getmtime(path) if os.path.exists(path) else None
    pid = read_master_pid(pid_file(dump)) if rc == 0 else None
    started = workers_started(pid) if pid else None
    return dict(
        valid=rc == 0,
        error="" if rc == 0 else first_error(stderr, rc),
        files=files,
        included=any(name == path or os.path.realpath(name) == real for name in files),
        conflicts=conflicts(stderr, server_name) if server_name else [],
        dump_bytes=len(out),
        pid=pid,
        running_since=started,
        mtime=mtime,
        stale=started is not None and mtime is not None and started + 1 < mtime,
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            server_name=dict(type="str"),
            nginx_conf=dict(type="path"),
            nginx_binary=dict(type="str", default="nginx"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    binary = params["nginx_binary"]
    nginx = binary if os.path.sep in binary else module.get_bin_path(binary, opt_dirs=["/usr/sbin", "/sbin"])
    if not nginx:
        module.fail_json(msg=f"nginx_info: {binary} not found: is nginx installed on this host?")
    result = inspect(module, nginx, params["path"], params["server_name"], params["nginx_conf"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
