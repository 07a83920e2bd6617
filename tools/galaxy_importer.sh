#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Check a collection tarball with the Galaxy importer's own checks, as far as they run offline (`make release`):
# galaxy-importer (PyPI) in a virtualenv of its own (.venv/importer: its pins of ansible-core and ansible-lint
# must not change the tool chain's), ansible-test off (it wants a container image from a registry); its manifest,
# file, documentation, README, runtime.yml and ansible-lint checks on. Fails on an import error; warnings are shown.
#
#   tools/galaxy_importer.sh TARBALL
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
venv=$root/.venv/importer
work=$root/.build/importer
python=$(bash "$root/tools/matrix.sh" python newest)
if [[ ! -x $venv/bin/python ]]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "galaxy-importer==0.4.44"
fi
rm -rf "$work" && mkdir -p "$work"
cat >"$work/galaxy-importer.cfg" <<'CFG'
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
CHECK_CHANGELOG = True
CFG
cd "$work"
PATH=$venv/bin:$PATH GALAXY_IMPORTER_CONFIG=$work/galaxy-importer.cfg \
  "$venv/bin/python" -m galaxy_importer.main "$tarball" 2>&1 | tee "$work/importer.log"
status=${PIPESTATUS[0]}
[[ $status == 0 && -s $work/importer_result.json ]] || { echo "galaxy-importer: the import failed ($work/importer.log)" >&2; exit 1; }
if grep -E '^(ERROR|CRITICAL)' "$work/importer.log"; then echo "galaxy-importer: errors above" >&2; exit 1; fi
echo "galaxy-importer: $(basename "$tarball") imports ($work/importer_result.json)"
