# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# A package, so that pytest imports this folder's conftest.py as tests.conftest: the shared suite that runs in the
# same session (molecule/resources/tests) imports its own conftest.py as the module `conftest`.
