#!/usr/bin/env bash
# The ansible-core matrix: the oldest release galaxy.yml claims and the newest
# release, each in a virtualenv of its own (.venv/matrix/<leg>, pinned by
# tests/matrix/<leg>.txt), run the steps that depend on ansible-core.
#
#   tools/matrix.sh --python            are the matrix's Pythons here? (else: what to install)
#   tools/matrix.sh venv LEG            create/refresh .venv/matrix/LEG
#   tools/matrix.sh lint LEG            ansible-lint (production profile) with LEG's core
#   tools/matrix.sh unit LEG            unit tests -> .build/results/unit-LEG.xml
#   tools/matrix.sh sanity LEG TARBALL  ansible-test sanity of the built collection with LEG's ansible-test
#   tools/matrix.sh molecule LEG        the default Molecule scenario -> .build/results/molecule-default-LEG.xml
#
# LEG is `oldest` (ansible-core 2.16, Python 3.11) or `newest` (ansible-core
# 2.21, Python >= 3.12). The Pythons come from PATH or pyenv (the machines of
# this project have 3.12 and 3.13 under pyenv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
results=$root/.build/results

# The Python of a leg: the first of its versions found on PATH or under pyenv.
python_for() {
  local versions
  case "$1" in
    oldest) versions="3.11 3.12 3.10" ;;
    newest) versions="3.13 3.12" ;;
    *) echo "matrix: unknown leg '$1' (oldest or newest)" >&2; return 2 ;;
  esac
  for v in $versions; do
    for candidate in "$(command -v "python$v" 2>/dev/null || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v"*/bin/python3; do
      [[ -n "$candidate" && -x "$candidate" ]] || continue
      "$candidate" -c 'import venv, ensurepip, sys; print(sys.executable)' 2>/dev/null && return 0
    done
  done
  return 1
}

check_pythons() {
  local leg ok=0
  for leg in oldest newest; do
    if py=$(python_for "$leg"); then
      echo "matrix: ${leg} leg runs on $("$py" -V 2>&1) ($py)"
    else
      echo "matrix: no Python for the ${leg} ansible-core leg (wants $([[ $leg == oldest ]] && echo '3.10-3.12' || echo '>= 3.12'))." >&2
      echo "  install one, e.g. with pyenv: pyenv install $([[ $leg == oldest ]] && echo 3.11 || echo 3.13)" >&2
      echo "  or leave the matrix out: BBB_TEST_SKIP=matrix make test" >&2
      ok=1
    fi
  done
  return $ok
}

venv() {
  local leg=$1 dir=$root/.venv/matrix/$1 req=$root/tests/matrix/$1.txt py stamp
  py=$(python_for "$leg") || { check_pythons; exit 1; }
  stamp=$dir/.installed-$(cat "$req" | sha256sum | cut -c1-12)-$(basename "$(dirname "$(dirname "$py")")")
  if [[ ! -e "$stamp" ]]; then
    rm -rf "$dir"
    "$py" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" 2>&1 | grep -v '^WARNING: Location' || true
    "$dir/bin/python" -c 'import ansible, molecule, testinfra' # the install worked
    # The `ansible` package stopped shipping awx.awx (playbooks/controller.yml needs it); operators
    # install it from Galaxy, which is not reachable here: take the copy of the main tool chain's.
    site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    if [[ ! -d "$site/ansible_collections/awx/awx" ]]; then
      main=$("$root/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
      mkdir -p "$site/ansible_collections/awx"
      cp -a "$main/ansible_collections/awx/awx" "$site/ansible_collections/awx/awx"
    fi
    touch "$stamp"
  fi
  echo "matrix: ${leg}: $("$dir/bin/ansible" --version | head -n1), $("$dir/bin/python" -V)"
}

leg_env() {
  local dir=$root/.venv/matrix/$1
  export PATH=$dir/bin:$PATH
  export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections
  export BBB_MATRIX_LEG=$1
}

case "${1:-}" in
  --python) check_pythons ;;
  venv) venv "$2" ;;
  lint)
    venv "$2" >/dev/null && leg_env "$2"
    cd "$root" && ansible-lint
    ;;
  unit)
    venv "$2" >/dev/null && leg_env "$2"
    mkdir -p "$results"
    cd "$root/.build/collections/ansible_collections/bbb/cluster_proxy"
    PYTHONPATH=$root/.build/collections python -m pytest -q -p no:cacheprovider tests/unit \
      --junitxml="$results/unit-$2.xml" -o junit_suite_name="unit-$2"
    ;;
  sanity)
    venv "$2" >/dev/null && leg_env "$2"
    bash "$root/tools/sanity.sh" "$root/.venv/matrix/$2" "$3" "$root/.build/sanity-$2"
    ;;
  molecule)
    venv "$2" >/dev/null && leg_env "$2"
    mkdir -p "$results"
    cd "$root/.build/collections/ansible_collections/bbb/cluster_proxy"
    PYTEST_ADDOPTS="--junitxml=$results/molecule-default-$2.xml -o junit_suite_name=molecule-default-$2" \
      molecule test -s default
    ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
