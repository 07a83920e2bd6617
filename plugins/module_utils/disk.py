# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How full a file system is, from statvfs.

Runs on the managed node (module recording_status: the health playbook's ``disk_percent``) and in the metrics script
(``disk_*_bytes``; roles/bbb_metrics installs this file beside it): Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import os


def disk_usage(path):
    """Bytes of the file system of ``path``: size, used (size less free) and available (to unprivileged users, as
    df counts them). OSError where it cannot be read."""
    st = os.statvfs(path)
    size = st.f_blocks * st.f_frsize
    return {"size": size, "used": size - st.f_bfree * st.f_frsize, "available": st.f_bavail * st.f_frsize}


def disk_percent(path):
    """Used space as df's Use% computes it: used / (used + available), rounded up; -1 where it cannot be read."""
    try:
        usage = disk_usage(path)
    except OSError:
        return -1
    total = usage["used"] + usage["available"]
    return -(-100 * usage["used"] // total) if total else 0
