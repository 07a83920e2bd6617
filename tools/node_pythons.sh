#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The modules on the nodes' Pythons. BBB nodes run the Ubuntu of their BBB release: 20.04 (Python 3.8; BBB 2.6,
# 2.7), 22.04 (3.10; BBB 3.0), 24.04 (3.12; BBB 4.0). What runs there, plugins/modules and plugins/module_utils,
# is checked on each of those Pythons:
#
# - nothing newer than the oldest node's Python (3.8) in plugins/modules and plugins/module_utils: vermin (syntax,
#   standard library modules, functions and arguments), and tests/node/newer_api.py for what vermin cannot type
#   (text.removeprefix(...) on a variable, dict | dict);
# - ansible-test sanity's compile and import tests of them, with the oldest ansible-core's ansible-test (2.16,
#   .venv/matrix/oldest: the newest core's refuses targets older than 3.9), on the built tarball;
# - their unit tests (tests/unit/plugins/modules, tests/unit/plugins/module_utils, less the tests of controller
#   code: tests/node/node_select.py prints which and why) in a virtualenv per Python (.venv/node/X.Y, pinned by
#   tests/node/requirements.txt), with ansible-core 2.16's module_utils laid out as AnsiballZ ships them to a
#   node (ansible/ empty, ansible/module_utils) -> .build/results/node-pyX.Y.xml.
#
#   tools/node_pythons.sh [TARBALL]   (default: the tarball of galaxy.yml's version in .build/dist)
#   tools/node_pythons.sh --python    are the Pythons here? (else: what to install)
#
# The Pythons come from PATH or pyenv; a missing one fails, naming how to install it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
NODE_PYTHONS=(3.8 3.10 3.12)
oldest=${NODE_PYTHONS[0]} newest=${NODE_PYTHONS[-1]}
version=$(sed -n 's/^version: *//p' "$root/galaxy.yml")
check_only=
[[ "${1:-}" == --python ]] && check_only=1 && shift
tarball=${1:-$root/.build/dist/bbb-cluster_proxy-$version.tar.gz}
work=$root/.build/node-pythons
results=$root/.build/results
requirements=$root/tests/node/requirements.txt
start=$SECONDS
failed=()

# The interpreter of a Python version: pythonX.Y on PATH, else pyenv's newest X.Y (tools/matrix.sh finds them all).
python_for() { bash "$root/tools/matrix.sh" python "$1" 2>/dev/null; }

declare -A python
missing=()
for v in "${NODE_PYTHONS[@]}"; do
  python[$v]=$(python_for "$v") || missing+=("$v")
done
if ((${#missing[@]})); then
  echo "node-pythons: no Python ${missing[*]} (a BBB node's: 3.8 Ubuntu 20.04, 3.10 22.04, 3.12 24.04) on PATH or under pyenv." >&2
  echo "  install them, e.g. with pyenv: pyenv install ${missing[*]}" >&2
  exit 1
fi
if [[ -n "$check_only" ]]; then
  for v in "${NODE_PYTHONS[@]}"; do echo "node-pythons: Python $v: ${python[$v]}"; done
  exit 0
fi
[[ -f "$tarball" ]] || { echo "node-pythons: no tarball $tarball (make tarball)" >&2; exit 1; }

# The oldest ansible-core's tool chain (ansible-test 2.16, module_utils for targets 3.6+).
bash "$root/tools/matrix.sh" venv oldest >/dev/null
core=$root/.venv/matrix/oldest
core_site=$("$core/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

rm -rf "$work" && mkdir -p "$work/bin" "$work/pythonpath/ansible" "$results"
for v in "${NODE_PYTHONS[@]}"; do
  ln -s "${python[$v]}" "$work/bin/python$v" # ansible-test looks for pythonX.Y on PATH to make its virtualenvs
  echo "node-pythons: Python $v: $("${python[$v]}" -V 2>&1) (${python[$v]})"
done

# A virtualenv per node Python, with what the unit tests import (reused while the pins and the Python are the same).
for v in "${NODE_PYTHONS[@]}"; do
  dir=$root/.venv/node/$v
  stamp=$dir/.installed-$(sha256sum <"$requirements" | cut -c1-12)-$("${python[$v]}" -c 'import platform; print(platform.python_version())')
  if [[ ! -e "$stamp" ]]; then
    rm -rf "$dir"
    "${python[$v]}" -m venv "$dir"
    bash "$root/tools/pip-install.sh" "$dir" -r "$requirements"
    touch "$stamp"
  fi
done

# The tests left out (controller code) and why; the listing of controller-run modules is checked.
"$root/.venv/node/$newest/bin/python" "$root/tests/node/node_select.py"

# The collection as shipped, where ansible-test wants it (in git).
tree=$work/sanity/ansible_collections/bbb/cluster_proxy
mkdir -p "$tree"
tar -xzf "$tarball" -C "$tree"
printf "tests/output/\n" >"$tree/.gitignore"
(cd "$tree" && git init -q && git add -A)

echo "=== vermin: plugins/modules and plugins/module_utils need no more than Python $oldest"
if ! (cd "$tree" && "$root/.venv/node/$newest/bin/vermin" -t="$oldest"- --no-tips --violations \
  plugins/modules plugins/module_utils); then
  failed+=("vermin (newer than Python $oldest)")
fi
# what vermin cannot type: methods newer than the oldest Python on any object (text.removeprefix), dict | dict
if ! (cd "$tree" && "$root/.venv/node/$newest/bin/python" "$root/tests/node/newer_api.py" "$oldest" \
  plugins/modules plugins/module_utils); then
  failed+=("methods newer than Python $oldest")
fi

echo "=== ansible-test sanity --test compile --test import on Python ${NODE_PYTHONS[*]}: plugins/modules plugins/module_utils"
pip=$("$core/bin/python" - "${NODE_PYTHONS[@]}" <<'EOF'
import sys
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

versions = [*sys.argv[1:], "%d.%d" % sys.version_info[:2]]  # the nodes' and the controller's (its import venv)
print(" ".join(sorted({get_venv_packages(SimpleNamespace(version=v))["pip"] for v in versions})))
EOF
)
mkdir -p ~/.ansible/test/cache
for p in $pip; do
  cp "$root/tests/sanity/get_pip_standin.py" ~/.ansible/test/cache/get_pip_"${p//./_}".py
done
targets=()
for v in "${NODE_PYTHONS[@]}"; do
  targets+=(--target-python "$v@$work/bin/python$v")
done
if ! (cd "$tree" && PATH=$work/bin:$PATH "$core/bin/ansible-test" sanity --color no --test compile --test import \
  "${targets[@]}" plugins/modules/ plugins/module_utils/ 2>&1 | tee "$work/sanity.log"); then
  failed+=("ansible-test sanity (compile, import)")
elif grep -q 'Skipping sanity test' "$work/sanity.log"; then
  failed+=("ansible-test sanity skipped a Python (see above)")
fi

# ansible-core's module_utils as a node gets them from AnsiballZ: an empty ansible package and its module_utils.
: >"$work/pythonpath/ansible/__init__.py"
ln -s "$core_site/ansible/module_utils" "$work/pythonpath/ansible/module_utils"
coll=$root/.build/collections/ansible_collections/bbb/cluster_proxy
[[ -e "$coll" ]] || { mkdir -p "$(dirname "$coll")" && ln -sfn "$root" "$coll"; }
# The three runs side by side (much of their time is the tests' waits: servers, timeouts, a settle time), each with
# its own output and temporary directory; the tests that take fixed ports hold a lock (tests/node/node_select.py).
declare -A pid
for v in "${NODE_PYTHONS[@]}"; do
  (cd "$coll" && PYTHONPATH=$work/pythonpath:$root/.build/collections:$root/tests/node NODE_SELECT_LOCK=$work/ports.lock \
    "$root/.venv/node/$v/bin/python" -m pytest -q -p no:cacheprovider -p node_select --rootdir . \
    --basetemp "$work/tmp-py$v" tests/unit/plugins/modules tests/unit/plugins/module_utils \
    --junitxml="$results/node-py$v.xml" -o junit_suite_name="node-py$v") >"$work/unit-py$v.log" 2>&1 &
  pid[$v]=$!
done
for v in "${NODE_PYTHONS[@]}"; do
  status=0
  wait "${pid[$v]}" || status=$?
  echo "=== unit tests of the node's code on Python $v -> $results/node-py$v.xml"
  cat "$work/unit-py$v.log"
  ((status == 0)) || failed+=("unit tests on Python $v")
done

echo "node-pythons: $((SECONDS - start)) s"
if ((${#failed[@]})); then
  printf 'node-pythons: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
