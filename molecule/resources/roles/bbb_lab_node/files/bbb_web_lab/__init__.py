# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bbb-web double's modules (lab only, not BigBlueButton): bbb_web_double.py, the program the unit starts,
names per behaviour the upstream file and function each mirrors; the modules say which part they hold.
"""

import threading

LOCK = threading.Lock()  # the double's state: one request, or one round of the recording units, at a time
