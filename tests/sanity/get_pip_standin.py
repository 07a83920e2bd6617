# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip script that `ansible-test ... --requirements` downloads.

ansible-test bootstraps pip in the virtual environments it makes by running
https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py, a host
that CI here cannot reach. `make sanity` copies this file to
~/.ansible/test/cache/get_pip_<version>.py, where ansible-test looks first.
It bootstraps pip from the interpreter's own ensurepip, then installs what
ansible-test asked for (the pinned pip, from the package index) with pip.
"""

import ensurepip
import os
import subprocess
import sys

environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
# ensurepip clobbers PIP_CONFIG_FILE (and other PIP_* settings) for the process.
os.environ.clear()
os.environ.update(environment)
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
