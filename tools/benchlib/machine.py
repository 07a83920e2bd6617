# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The machine, the tools and the checkout a run measured (the report's Machine table)."""

from __future__ import annotations

import os
import platform
import re
import shutil
from pathlib import Path

from .settings import BIN, IMAGE, ROOT
from .shell import run


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = int(re.search(r"^MemTotal:\s+(\d+)", meminfo, re.M).group(1))
    os_release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', Path("/etc/os-release").read_text(), re.M))
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "-"
    ansible_core = run([str(BIN / "ansible-playbook"), "--version"]).stdout.splitlines()[0]
    wrk = shutil.which("wrk")
    wrk_version = run([wrk, "--version"], check=False).stdout.splitlines()[0] if wrk else "not installed"
    docker = run(["docker", "version", "--format", "{{.Server.Version}}"], check=False).stdout.strip()
    return {
        "CPU": f"{model.group(1) if model else platform.processor()}, {os.cpu_count()} cores (online: {len(os.sched_getaffinity(0))})",
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Kernel": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Host OS": f"{os_release.get('PRETTY_NAME', '-')} (debian_version {debian})",
        "ansible-core": re.sub(r"^ansible-playbook\s*", "", ansible_core).strip("[] ").replace("core ", ""),
        "Python (controller)": platform.python_version(),
        "wrk": re.sub(r"\s*Copyright.*$", "", wrk_version),
        "Docker": docker,
        "Lab image": f"{IMAGE} (the cluster of sections 1, 2 and 4)",
        "Collection": collection_revision(),
    }


def collection_revision() -> str:
    """The commit of this checkout, and whether the working tree differs from it (what was measured)."""
    head = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip()
    return f"bbb.cluster_proxy at {head}" + (" with uncommitted changes in the working tree" if dirty else "")
