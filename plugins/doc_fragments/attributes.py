# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' shared attribute documentation: written once, merged into each module's docs by ansible-doc."""

from __future__ import annotations


class ModuleDocFragment:
    # A module that only reads: check mode and diff mode have nothing to change or to compare.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing to compare.
"""

    # Runs on the managed host, any POSIX system.
    POSIX = r"""
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed host; POSIX systems only.
"""
