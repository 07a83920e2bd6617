#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# What `make demo` and `make test` need on the machine, installed and started
# on a fresh Debian/Ubuntu machine. Called by both targets (and so by .ci/run).
#
#   tools/setup.sh demo    Docker (running), debootstrap, Chromium and certutil (the
#                          browser suite of the lab's check), a Python >= 3.12
#   tools/setup.sh test    the same, plus nginx (unit tests of nginx_file run the
#                          real `nginx -t`), the Python of the oldest ansible-core and
#                          promtool (unpacked from Debian's prometheus package into .build/promtool),
#                          pandoc (the docsite's guides, tools/docsite.sh)
#
# As root it installs what is missing with apt-get (services are not started by
# the packages: nginx would take port 80) and starts dockerd if it is not
# running. Not as root it changes nothing and stops at once with the one command
# to run. Nothing is skipped: a missing prerequisite stops here, named.
set -euo pipefail

what=${1:-test}
# dockerd, debootstrap and nginx live in sbin, which a user's PATH may lack.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
case "$what" in demo | test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

# command-or-path -> Debian package
declare -A package=(
  [dockerd]=docker.io
  [debootstrap]=debootstrap
  [/usr/sbin/nginx]=nginx-light
  [chromium]=chromium
  [certutil]=libnss3-tools
  [git]=git
  [curl]=curl
  [/usr/share/publicsuffix/public_suffix_list.dat]=publicsuffix
  [pandoc]=pandoc
)
# A suite the user left out with BBB_TEST_SKIP (tests/prerequisites.py) needs nothing here.
skipping() { [[ ",${BBB_TEST_SKIP:-}," == *",$1,"* || ",${BBB_TEST_SKIP:-}," == *",all,"* ]]; }
# The Public Suffix List file: the fallback of the cluster's same-site check, tested beside the Python package
wanted=(dockerd debootstrap git curl /usr/share/publicsuffix/public_suffix_list.dat)
[[ "$what" == test ]] && ! skipping nginx && wanted+=(/usr/sbin/nginx)
[[ "$what" == test ]] && wanted+=(pandoc)  # the docsite: guides converted to RST (tools/docsite.sh)
# The demo's check runs the default scenario's browser suite too.
skipping browser || wanted+=(chromium certutil)

need=()
for cmd in "${wanted[@]}"; do
  if [[ "$cmd" == /* ]]; then test -e "$cmd" && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
  need+=("${package[$cmd]}")
done
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# Ubuntu ships Chromium only as a snap (its apt package is a transitional wrapper).
snaps=()
if grep -qx 'ID=ubuntu' /etc/os-release 2>/dev/null && [[ " ${need[*]} " == *" chromium "* ]]; then
  snaps=(chromium)
  for i in "${!need[@]}"; do [[ ${need[$i]} == chromium ]] && unset "need[$i]"; done
  need=("${need[@]}")
fi

if ((${#snaps[@]})); then
  if ((EUID != 0)); then
    echo "setup: this machine lacks ${snaps[*]}; install it as root, then run make ${what} again:" >&2
    echo "  sudo snap install ${snaps[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${snaps[*]} (snap)"
  snap install "${snaps[@]}"
  export PATH=$PATH:/snap/bin
fi

if ((${#need[@]})); then
  if ((EUID != 0)); then
    echo "setup: this machine lacks ${need[*]}; install them as root, then run make ${what} again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    echo "(or run make ${what} as root: it installs them and starts dockerd)" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# promtool (the unit tests of the metrics and of extensions/prometheus' alert rules): Debian's prometheus
# package, downloaded and unpacked into .build/promtool, never installed as a service.
root_dir=$(cd "$(dirname "$0")/.." && pwd)
promtool="$root_dir/.build/promtool/root/usr/bin/promtool"
if [[ "$what" == test ]] && ! skipping metrics && [[ ! -x "$promtool" ]] && ! command -v promtool >/dev/null 2>&1; then
  mkdir -p "$root_dir/.build/promtool"
  if ! (cd "$root_dir/.build/promtool" && { apt-get download prometheus >/dev/null 2>&1 ||
    { ((EUID == 0)) && apt-get update -qq && apt-get download prometheus >/dev/null; }; } &&
    dpkg-deb -x prometheus_*.deb root) || [[ ! -x "$promtool" ]]; then
    echo "setup: promtool is missing and Debian's prometheus package could not be downloaded; run:" >&2
    echo "  (mkdir -p .build/promtool && cd .build/promtool && apt-get download prometheus && dpkg-deb -x prometheus_*.deb root)" >&2
    exit 1
  fi
  echo "setup: promtool unpacked into .build/promtool"
fi

if ! docker info >/dev/null 2>&1; then
  if ((EUID != 0)); then
    echo "setup: the Docker engine is not running, or you may not use it; as root, start it and let yourself in:" >&2
    echo "  sudo sh -c 'systemctl start docker && usermod -aG docker $(id -un)'   # then log in again" >&2
    echo "(or run make ${what} as root: it starts dockerd)" >&2
    exit 1
  fi
  echo "setup: starting dockerd (log: /var/log/bbb-lab-dockerd.log)"
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl start docker || true
  fi
  docker info >/dev/null 2>&1 || (setsid dockerd >/var/log/bbb-lab-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    tail -n 40 /var/log/bbb-lab-dockerd.log >&2 || true
    echo "setup: dockerd did not start (log above)" >&2
    exit 1
  fi
fi

# The tool chain's ansible-core wants Python >= 3.12, the matrix's oldest core 3.10-3.12 (tools/matrix.sh).
legs=(newest)
[[ "$what" == test ]] && ! skipping matrix && legs+=(oldest)
if ! bash "$(dirname "$0")/matrix.sh" --python "${legs[@]}" >/dev/null 2>&1; then
  bash "$(dirname "$0")/matrix.sh" --python "${legs[@]}" || true
  exit 1
fi
echo "setup: ready for make ${what}"
