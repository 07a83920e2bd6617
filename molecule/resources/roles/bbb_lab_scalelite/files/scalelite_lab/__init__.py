# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Scalelite double's modules (lab only, not Scalelite): scalelite_double.py, the program the unit starts, names
per behaviour the upstream file and function (scalelite v1.8.5) each mirrors; the modules say which part they hold.
"""
