#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test sanity of the collection as shipped (the built tarball, so what
# galaxy.yml's build_ignore leaves out, the Molecule lab and tools/, is not in
# it), with the ansible-test of the given virtualenv.
#
#   tools/sanity.sh VENV TARBALL WORKDIR [ANSIBLE-TEST OPTIONS...]
#
# ansible-test wants the collection at .../ansible_collections/bbb/cluster_proxy,
# in git, and fetches a get-pip script from the network: the offline stand-in
# (tests/sanity/get_pip_standin.py) goes where ansible-test looks first, under
# the pip version that ansible-test itself asks for (its get_venv_packages()).
set -euo pipefail
venv=$1 tarball=$2 work=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
python=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

pip=$("$venv/bin/python" - "$python" <<'EOF'
import sys
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

print(get_venv_packages(SimpleNamespace(version=sys.argv[1]))["pip"])
EOF
)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/sanity/get_pip_standin.py" ~/.ansible/test/cache/get_pip_"${pip//./_}".py

tree=$work/ansible_collections/bbb/cluster_proxy
rm -rf "$work" && mkdir -p "$tree"
tar -xzf "$tarball" -C "$tree"
printf "tests/output/\n" >"$tree/.gitignore"
cd "$tree" && git init -q && git add -A
echo "sanity: $("$venv/bin/ansible-test" --version) on Python ${python} (pip ${pip})"
"$venv/bin/ansible-test" sanity --venv --python "$python" --requirements --color no "$@"
