#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the execution environment's image (tests/ee/Containerfile) from the collection tarball, without a registry:
# the base is the lab's Debian trixie image (make lab-image). The context is written to .build/ee/image from the
# files that are the single source of each part: requirements-test.txt (the ansible-core and ansible-runner pins, and
# the versions of requirements.txt's packages the tool chain runs), requirements.txt (what the collection needs on the
# controller) and bindep.txt (its system packages, platform:dpkg). Docker's layer cache keeps the system and Python
# layers while those files do not change; the collection's layer is rebuilt for each tarball.
#
#   tools/ee_image.sh TARBALL [BASE_IMAGE]     -> image bbb-cluster-proxy-ee:<galaxy.yml version>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tarball=$1
base=${2:-bbb-cluster-proxy/debian-systemd:trixie}
version=$(sed -n 's/^version: *//p' "$root/galaxy.yml")
image=bbb-cluster-proxy-ee:$version
ctx=$root/.build/ee/image
command -v docker >/dev/null || { echo "ee_image: docker is missing (make setup-test installs it)" >&2; exit 1; }
docker image inspect "$base" >/dev/null 2>&1 || {
  echo "ee_image: the base image $base is missing: run make lab-image LAB_SUITES=trixie" >&2
  exit 1
}
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$root/tests/ee/Containerfile" "$tarball" "$ctx/"
mv "$ctx/$(basename "$tarball")" "$ctx/bbb-cluster_proxy.tar.gz"
# requirements.txt's packages at the tool chain's pins (a package the tool chain does not pin: requirements.txt's line)
pins=$(grep -E '^[A-Za-z0-9_.-]+==' "$root/requirements-test.txt")
{
  grep -E '^(ansible-core|ansible-runner)==' <<<"$pins"
  grep -vE '^[[:space:]]*(#|$)' "$root/requirements.txt" | while read -r line; do
    name=$(sed -E 's/[<>=!~ ;\[].*//' <<<"$line")
    grep -iE "^${name}==" <<<"$pins" || echo "$line"
  done
} >"$ctx/requirements.txt"
sed -n 's/^\([A-Za-z0-9.+-]*\) \[platform:dpkg\]$/\1/p' "$root/bindep.txt" | sort >"$ctx/bindep-dpkg.txt"
# The CAs this machine trusts, for pip in the build only (a network that intercepts TLS has its CA there: pip.conf's
# cert, else the system bundle); public certificates, not kept as the image's trust store
cert=$(pip config get global.cert 2>/dev/null || true)
cp "${PIP_CERT:-${cert:-/etc/ssl/certs/ca-certificates.crt}}" "$ctx/build-ca.crt"
# The same context and base as the image's last build: nothing to do (a cached docker build still costs seconds)
inputs=$( (cd "$ctx" && sha256sum Containerfile bbb-cluster_proxy.tar.gz requirements.txt bindep-dpkg.txt build-ca.crt;
  docker image inspect --format '{{.Id}}' "$base") | sha256sum | cut -c1-16)
if [[ "$(docker image inspect --format '{{index .Config.Labels "bbb.cluster_proxy.inputs"}}' "$image" 2>/dev/null)" == "$inputs" ]]; then
  echo "ee_image: $image is built from these inputs ($inputs)"
  exit 0
fi
echo "ee_image: building $image from $base (context $ctx)"
docker build --build-arg BASE="$base" --label "bbb.cluster_proxy.inputs=$inputs" -t "$image" -f "$ctx/Containerfile" "$ctx"
echo "ee_image: $image"
