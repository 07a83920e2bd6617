#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# tools/pip-install.sh VENV PIP-ARGS...: install into the virtualenv VENV with uv (pinned below, from PyPI), which
# resolves and installs the tool chain in seconds where pip takes about a minute (the `ansible` package alone is
# tens of thousands of files); with pip where uv cannot be had. The versions are requirements files' pins either way.
set -uo pipefail
venv=$1
shift
UV_VERSION=0.13.9
quiet() { grep -v '^WARNING: Location' || true; }
if [[ ! -x "$venv/bin/uv" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION" 2>&1 | quiet
fi
if [[ -x "$venv/bin/uv" ]] && "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" "$@"; then
  exit 0
fi
echo "tools/pip-install.sh: uv unavailable or failed; installing with pip" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip 2>&1 | quiet
"$venv/bin/pip" install --quiet --disable-pip-version-check "$@" 2>&1 | quiet
