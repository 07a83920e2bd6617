# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run an Ansible command-line tool against this collection, as a user's playbook would load its plugins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# the collections path this code was imported from (ansible_collections/bbb/cluster_proxy/tests/unit/ansible_cli.py)
COLLECTIONS = Path(__file__).parents[5]


def ansible_cli(tool, *args, env=None, timeout=240):
    """``tool`` (ansible, ansible-playbook) of this Python with ``args``; the finished process, never raising on failure."""
    return subprocess.run(
        [str(Path(sys.executable).parent / tool), *[str(arg) for arg in args]],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_STDOUT_CALLBACK="default",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            **(env or {}),
        ),
    )


def ansible_debug(msg, *args, env=None, timeout=120):
    """``ansible localhost -m ansible.builtin.debug -a msg=<msg>`` (and ``args``, such as ``-e`` options): a template
    rendered with the collection's plugins loaded as a playbook loads them; the finished process."""
    return ansible_cli("ansible", "localhost", "-m", "ansible.builtin.debug", *args, "-a", f"msg={msg}", env=env,
                       timeout=timeout)  # fmt: skip
