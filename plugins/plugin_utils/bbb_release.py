# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed BigBlueButton release of a node, as an operator finds it: one reading, two users.

The bbb_node role's facts (through the installed_version filter) and the node's upgrade self-heal hook (installed
beside it, roles/bbb_node/tasks/model/selfheal.yml) both read the version here, so the role and the hook never
disagree on what is installed. Standard library only (it runs on the node under the system Python 3.8+).

The release file is what ``bbb-conf --check`` reports (``BIGBLUEBUTTON_RELEASE=3.0.30`` in
/etc/bigbluebutton/bigbluebutton-release); without it, the ``bigbluebutton`` package's version (``1:3.0-12`` gives 3.0).
"""

from __future__ import annotations

import re

_RELEASE = re.compile(r"BIGBLUEBUTTON_RELEASE=([0-9][^\s]*)")
_PACKAGE = re.compile(r"^(?:[0-9]+:)?([0-9]+\.[0-9]+)")


def installed_version(release_text, package_version=""):
    """The release from the release file's text, else (``release_text`` None: no file) the package's version.

    An empty string where neither names a version.
    """
    if release_text is not None:
        match = _RELEASE.search(release_text)
        return match.group(1) if match else ""
    match = _PACKAGE.match((package_version or "").strip())
    return match.group(1) if match else ""
