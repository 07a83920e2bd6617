#!/usr/bin/env bash
# Build the systemd test image for the Molecule lab without any registry:
# debootstrap a Debian suite, then `docker import`. Cached by tag: an existing
# image with the same tag (which encodes this script's hash) is reused.
#
#   build-image.sh [SUITE]   bookworm (default: nodes and the default proxy, nginx 1.22),
#                            bullseye (nginx 1.18) or trixie (nginx 1.26): the proxies of the
#                            upgrade and mixed scenarios, the nginx versions operators run
#
#   BBB_LAB_IMAGE        use this image instead (e.g. a registry image you can pull)
#   BBB_LAB_MIRROR       Debian mirror (default: http://deb.debian.org/debian)
#   BBB_LAB_REBUILD=1    rebuild even if the tag exists
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [[ -n "${BBB_LAB_IMAGE:-}" ]]; then
  echo "BBB_LAB_IMAGE=${BBB_LAB_IMAGE} given: not building a local image."
  exit 0
fi

suite=${1:-bookworm}
case "$suite" in bullseye|bookworm|trixie) ;; *) echo "unknown suite '$suite' (bullseye, bookworm, trixie)" >&2; exit 2;; esac
hash=$(sha256sum "$0" | cut -c1-12)
tag="bbb-cluster-proxy/debian-systemd:${suite}-${hash}"
mirror=${BBB_LAB_MIRROR:-http://deb.debian.org/debian}

if [[ "${BBB_LAB_REBUILD:-0}" != 1 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "image ${tag} is cached"
else
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  root=$(mktemp -d /var/tmp/bbb-lab-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  packages=systemd,systemd-sysv,dbus,python3,python3-apt,python3-yaml,ca-certificates,curl,openssl,nginx,iproute2,procps,sudo,gnupg
  echo "debootstrap ${suite} into ${root} (a few minutes) ..."
  debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"${root}.log" 2>&1 \
    || { tail -n 30 "${root}.log" >&2; exit 1; }
  rm -f "${root}.log"
  # A container, not a machine: no getty, no udev, no remount of /; nginx and
  # everything else is started by the roles or the lab's prepare step.
  chroot "$root" systemctl mask getty.target systemd-udevd.service systemd-remount-fs.service \
    systemd-logind.service console-getty.service >/dev/null 2>&1 || true
  chroot "$root" systemctl disable nginx.service >/dev/null 2>&1 || true
  rm -f "$root"/etc/machine-id && : > "$root"/etc/machine-id
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  echo "bbb-lab" > "$root"/etc/hostname
  tar -C "$root" -c . | docker import \
      --change 'CMD ["/lib/systemd/systemd"]' \
      --change 'ENV container=docker' \
      - "$tag" >/dev/null
  echo "built ${tag}"
fi
docker tag "$tag" "bbb-cluster-proxy/debian-systemd:${suite}"
echo "bbb-cluster-proxy/debian-systemd:${suite} -> ${tag}"
