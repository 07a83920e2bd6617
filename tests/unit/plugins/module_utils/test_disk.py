# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/disk.py: the file system's bytes (the metrics script's disk_*_bytes) and df's Use% (the
health playbook's disk_percent, module recording_status), from one statvfs reading."""

from __future__ import annotations

import shutil
import subprocess

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.disk import disk_percent, disk_usage


def test_the_bytes_add_up_and_the_percent_is_df_s(tmp_path):
    usage = disk_usage(str(tmp_path))
    assert usage["size"] > 0 and 0 <= usage["available"] <= usage["size"] - usage["used"]
    percent = disk_percent(str(tmp_path))
    assert percent == -(-100 * usage["used"] // (usage["used"] + usage["available"]))
    if shutil.which("df"):  # coreutils' df: Use% = used / (used + available), rounded up
        out = subprocess.run(["df", "--output=pcent", str(tmp_path)], capture_output=True, text=True, check=True)
        assert percent == int(out.stdout.splitlines()[-1].strip().rstrip("%"))


def test_a_path_that_cannot_be_read():
    assert disk_percent("/no/such/path") == -1
