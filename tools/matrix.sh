#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The ansible-core matrix. The main tool chain (requirements-test.txt, .venv)
# is the newest ansible-core release and runs everything; the oldest release
# that galaxy.yml claims runs, in a virtualenv of its own (.venv/matrix/oldest,
# pinned by tests/matrix/oldest.txt), the steps that depend on ansible-core.
#
#   tools/matrix.sh --python [LEG ...]  are the Pythons of the legs here? (else: what to install)
#   tools/matrix.sh python LEG          the Python of a leg (newest: >= 3.12, oldest: 3.10-3.12), or of a version X.Y
#   tools/matrix.sh awx VENV            put awx.awx into VENV (the `ansible` package no longer ships it)
#   tools/matrix.sh venv LEG            create/refresh .venv/matrix/LEG
#   tools/matrix.sh lint LEG            ansible-lint (production profile) of what operators run, with LEG's core
#   tools/matrix.sh unit LEG            unit tests of what runs on ansible-core -> .build/results/unit-LEG.xml
#   tools/matrix.sh sanity LEG TARBALL  ansible-test sanity of the built collection with LEG's ansible-test
#   tools/matrix.sh molecule LEG        the default Molecule scenario -> .build/results/molecule-default-LEG.xml
#
# A leg leaves out, by name, the tests whose subject does not run on ansible-core, so that their time is paid once:
# the lab's doubles, the tools and the generated docs (unit), the tests of node code that tools/node_pythons.sh runs
# with this core's module_utils on the nodes' Pythons, sanity's pylint (its verdict is the pinned pylint's, so the main
# leg's counts), and the browser's suite (default scenario: Playwright
# drives Chromium against the converged lab from pytest, whatever core converged it). Of the operator playbooks the
# leg runs site (converge, idempotence); the others, the log bundle's collect among them, it lints (ansible-lint's
# syntax check and module arguments) and ansible-test sanity checks, as the main tool chain runs them all.
#
# The Pythons come from PATH or pyenv (the machines of this project have 3.12
# and 3.13 under pyenv; Debian 12's own python3 is 3.11).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
results=$root/.build/results

# The Python of a leg (the first of its versions found), or of one version X.Y (a node's: tools/node_pythons.sh):
# pythonX.Y on PATH (a pyenv shim only if it runs), else pyenv's newest X.Y; it must be X.Y and make virtualenvs.
python_for() {
  local versions v candidate
  case "$1" in
    oldest) versions="3.11 3.12 3.10" ;;
    newest) versions="3.13 3.12" ;;
    [0-9].[0-9]*) versions=$1 ;;
    *) echo "matrix: unknown leg '$1' (oldest; newest is the main tool chain)" >&2; return 2 ;;
  esac
  for v in $versions; do
    for candidate in "$(command -v "python$v" 2>/dev/null || true)" \
      $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" 2>/dev/null | sort -V -r); do
      [[ -n "$candidate" && -x "$candidate" ]] || continue
      "$candidate" -c 'import sys, venv, ensurepip; assert "%d.%d" % sys.version_info[:2] == sys.argv[1]
print(sys.executable)' "$v" 2>/dev/null && return 0
    done
  done
  return 1
}

check_pythons() {
  local leg ok=0 legs=("$@")
  ((${#legs[@]})) || legs=(newest oldest)
  for leg in "${legs[@]}"; do
    if py=$(python_for "$leg"); then
      echo "matrix: ${leg} leg runs on $("$py" -V 2>&1) ($py)"
    else
      echo "matrix: no Python for the ${leg} ansible-core leg (wants $([[ $leg == oldest ]] && echo '3.10-3.12' || echo '>= 3.12'))." >&2
      echo "  install one, e.g. with pyenv: pyenv install $([[ $leg == oldest ]] && echo 3.11 || echo 3.13)" >&2
      [[ $leg == newest ]] || echo "  or leave the matrix out: BBB_TEST_SKIP=matrix make test" >&2
      ok=1
    fi
  done
  return $ok
}

# awx.awx (playbooks/controller.yml) left the `ansible` package after 12.x;
# operators install it from Galaxy, which is not reachable here: take it from
# the last `ansible` release that ships it (pip's cache keeps the download).
AWX_FROM=ansible==12.3.0
awx() {
  local venv=$1 site tmp
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  [[ -d "$site/ansible_collections/awx/awx" ]] && return 0
  tmp=$(mktemp -d)
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$tmp" "$AWX_FROM" 2>&1 | grep -v '^WARNING: Location' || true
  "$venv/bin/python" - "$tmp"/ansible-*.whl "$site" <<'EOF'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    members = [name for name in wheel.namelist() if name.startswith("ansible_collections/awx/awx/")]
    wheel.extractall(sys.argv[2], members)
EOF
  rm -rf "$tmp"
  test -f "$site/ansible_collections/awx/awx/MANIFEST.json"
}

venv() {
  local leg=$1 dir=$root/.venv/matrix/$1 req=$root/tests/matrix/$1.txt py stamp
  py=$(python_for "$leg") || { check_pythons; exit 1; }
  stamp=$dir/.installed-$(cat "$req" | sha256sum | cut -c1-12)-$(basename "$(dirname "$(dirname "$py")")")
  if [[ ! -e "$stamp" ]]; then
    rm -rf "$dir"
    "$py" -m venv "$dir"
    bash "$root/tools/pip-install.sh" "$dir" -r "$req"
    "$dir/bin/python" -c 'import ansible, molecule, testinfra' # the install worked
    awx "$dir"
    touch "$stamp"
  fi
  echo "matrix: ${leg}: $("$dir/bin/ansible" --version | sed -n 1p), $("$dir/bin/python" -V)"
}

leg_env() {
  local dir=$root/.venv/matrix/$1
  export PATH=$dir/bin:$PATH
  export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections
  export BBB_MATRIX_LEG=$1
}

case "${1:-}" in
  --python) shift; check_pythons "$@" ;;
  python) python_for "$2" || { [[ $2 == [0-9]* ]] || check_pythons "$2"; exit 1; } ;;
  awx) awx "$2" ;;
  venv) venv "$2" ;;
  lint)
    venv "$2" >/dev/null && leg_env "$2"
    # what an operator runs on this core: roles, playbooks, plugins, meta (the lab's playbooks run on it for real in
    # the default scenario; tests, docs and the Prometheus rules hold no Ansible)
    cd "$root" && ansible-lint --exclude molecule --exclude tests --exclude docs --exclude extensions
    ;;
  unit)
    venv "$2" >/dev/null && leg_env "$2"
    mkdir -p "$results"
    cd "$root/.build/collections/ansible_collections/bbb/cluster_proxy"
    # the tests of node code that tools/node_pythons.sh runs whole, with this core's module_utils, on the nodes'
    # Pythons 3.8, 3.10 and 3.12 (tests/node/node_select.py --on-nodes) are not run a fourth time here
    mapfile -t on_nodes < <(python tests/node/node_select.py --on-nodes)
    PYTHONPATH=$root/.build/collections python -m pytest -q -p no:cacheprovider tests/unit \
      --ignore=tests/unit/lab_doubles --ignore=tests/unit/tooling --ignore=tests/unit/docs \
      "${on_nodes[@]/#/--ignore=}" \
      --junitxml="$results/unit-$2.xml" -o junit_suite_name="unit-$2"
    ;;
  sanity)
    venv "$2" >/dev/null && leg_env "$2"
    # pylint once, in the main leg: its verdict is that of the pylint and the rules the newest ansible-test pins, not
    # of ansible-core at run time; every test whose verdict depends on the core (validate-modules, ansible-doc,
    # import, compile, runtime-metadata, ...) runs here too
    bash "$root/tools/sanity.sh" "$root/.venv/matrix/$2" "$3" "$root/.build/sanity-$2" --skip-test pylint
    ;;
  molecule)
    venv "$2" >/dev/null && leg_env "$2"
    mkdir -p "$results"
    cd "$root/.build/collections/ansible_collections/bbb/cluster_proxy"
    PYTEST_ADDOPTS="--junitxml=$results/molecule-default-$2.xml -o junit_suite_name=molecule-default-$2 -k 'not test_browser.py and not test_collect.py'" \
      molecule test -s default
    ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
