# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-playbook for the benchmarks: timed as a whole, its output in .build/bench/logs/, its play recap parsed;
the inventories it is given (JSON, which Ansible's yaml inventory reads)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from .settings import BIN, FORKS, PIPELINING, ROOT, WORK
from .shell import BenchError


class Playbook:
    def __init__(self, seconds: float, output: str, recap: dict[str, dict[str, int]], log_file: Path) -> None:
        self.seconds = seconds
        self.output = output
        self.recap = recap
        self.log_file = log_file

    def total(self, key: str) -> int:
        return sum(host[key] for host in self.recap.values())

    @property
    def tasks(self) -> int:
        """Task results of all hosts (ok, which includes changed, + skipped + failed + unreachable)."""
        return sum(h["ok"] + h["skipped"] + h["failed"] + h["unreachable"] for h in self.recap.values())


RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)",
    re.M,
)
RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP lines of ansible-playbook's output: host -> {ok, changed, unreachable, ...}."""
    return {m[0]: dict(zip(RECAP_KEYS, map(int, m[1:]))) for m in RECAP.findall(output)}


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "ANSIBLE_COLLECTIONS_PATH": env.get("ANSIBLE_COLLECTIONS_PATH") or str(ROOT / ".build" / "collections"),
            "ANSIBLE_ROLES_PATH": str(ROOT / "molecule" / "resources" / "roles"),
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_FORKS": str(FORKS),
            "ANSIBLE_PIPELINING": "1" if PIPELINING else "0",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",  # the time of each task, in the logs
        }
    )
    env.update(extra or {})
    return env


def playbook(name: str, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800) -> Playbook:
    """Run ansible-playbook, timed as a whole (start of the process to its end)."""
    log_file = WORK / "logs" / f"{name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "ansible-playbook"), *args]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=ansible_env(env),
        timeout=timeout,
    )
    seconds = time.perf_counter() - start
    log_file.write_text(f"$ {' '.join(cmd)}\n# {seconds:.1f} s, rc {proc.returncode}\n{proc.stdout}")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise BenchError(f"{name}: ansible-playbook failed (rc {proc.returncode}); log {log_file}\n{tail}")
    recap = parse_recap(proc.stdout)
    if not recap:
        raise BenchError(f"{name}: no play recap in the output; log {log_file}")
    return Playbook(seconds, proc.stdout, recap, log_file)


def write_inventory(path: Path, inventory: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(inventory, indent=1) + "\n")  # JSON is YAML: Ansible's yaml inventory reads it
    return path


def inventory_path(name: str) -> Path:
    return WORK / "inventories" / f"{name}.yml"
