# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bench's lab: its own containers (bench-*), the network bbb-bench and snapshots of prepared containers, all
removed at the end; the names and the inventory of the cluster it builds."""

from __future__ import annotations

import time

from .settings import DOMAIN, IMAGE, NETWORK, PREFIX, RELEASES, SNAPSHOT, VERSIONS
from .shell import BenchError, log, run


class Lab:
    """The containers and the network of the benchmarks; removes what it created."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.images: list[str] = []
        self.network = False

    def remove_leftovers(self) -> None:
        """Remove bench-* containers and the bbb-bench network of an earlier, killed run (only those names)."""
        names = run(["docker", "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
        stale = [n for n in names if n.startswith(PREFIX)]
        if stale:
            log(f"removing {len(stale)} container(s) left by an earlier run: {', '.join(stale[:5])} ...")
            run(["docker", "rm", "-f", *stale], timeout=300)
        if run(["docker", "network", "inspect", NETWORK], check=False).returncode == 0:
            run(["docker", "network", "rm", NETWORK])
        images = run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
        stale = [i for i in images if i.startswith(SNAPSHOT)]
        if stale:
            run(["docker", "rmi", *stale], timeout=300)

    def create_network(self) -> None:
        run(["docker", "network", "create", NETWORK])
        self.network = True

    def start(self, name: str, add_hosts: list[tuple[str, str]] = (), image: str = IMAGE) -> None:
        """A systemd container with the Molecule lab's options (molecule/*/molecule.yml)."""
        assert name.startswith(PREFIX), name
        extra = [f"--add-host={host}:{ip}" for host, ip in add_hosts]
        self.containers.append(name)
        run(
            [
                "docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK,
                "--cap-add", "SYS_ADMIN", "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
                *extra, image, "/lib/systemd/systemd",
            ]
        )  # fmt: skip

    def snapshot(self, name: str) -> str:
        """The container's file system as an image (bench-snapshot/<name>), removed by close()."""
        image = f"{SNAPSHOT}{name}:prepared"
        self.images.append(image)
        run(["docker", "commit", name, image], timeout=300)
        return image

    def remove(self, names: list[str]) -> None:
        mine = [n for n in names if n in self.containers]
        if mine:
            run(["docker", "rm", "-f", *mine], check=False, timeout=300)
            self.containers = [n for n in self.containers if n not in mine]

    def close(self) -> None:
        self.remove(list(self.containers))
        if self.network:
            run(["docker", "network", "rm", NETWORK], check=False)
            self.network = False
        if self.images:
            run(["docker", "rmi", *self.images], check=False, timeout=300)
            self.images = []

    @staticmethod
    def exec(name: str, *cmd: str, timeout: float = 120) -> str:
        return run(["docker", "exec", name, *cmd], timeout=timeout).stdout

    @staticmethod
    def ip(name: str) -> str:
        fmt = '{{(index .NetworkSettings.Networks "' + NETWORK + '").IPAddress}}'
        return run(["docker", "inspect", "-f", fmt, name]).stdout.strip()


def wait_for_systemd(names: list[str]) -> None:
    for name in names:
        for _ in range(60):
            state = run(["docker", "exec", name, "systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        else:
            raise BenchError(f"systemd did not come up in {name} (state: {state})")


def container_versions(name: str, what: str = "lab image") -> dict[str, str]:
    nginx = run(["docker", "exec", name, "nginx", "-v"]).stderr.strip().replace("nginx version: ", "")
    debian = Lab.exec(name, "cat", "/etc/debian_version").strip()
    openssl = Lab.exec(name, "openssl", "version").strip()
    return {f"nginx ({what})": nginx, f"Debian ({what})": debian, f"OpenSSL ({what})": openssl}


def other_containers() -> int:
    """Running containers on the Docker daemon that are not ours (the other engineer's lab)."""
    names = run(["docker", "ps", "--format", "{{.Names}}"], check=False).stdout.split()
    return len([n for n in names if not n.startswith(PREFIX)])


def suite_image(suite: str) -> str:
    return IMAGE if suite == "bookworm" else f"bbb-cluster-proxy/debian-systemd:{suite}"


def node_name(i: int, width: int) -> str:
    return f"{PREFIX}node-{i:0{width}d}.{DOMAIN}"


def version_of(i: int) -> str:
    return VERSIONS[(i - 1) % len(VERSIONS)]


def unused_address(i: int) -> str:
    """The i-th address (from 1) of RFC 2544's benchmarking range 198.18.0.0/15: nothing is ever sent there."""
    return f"198.18.{i // 250}.{i % 250 + 1}"


def inventory(proxy: str, proxy_vars: dict, nodes: dict) -> dict:
    """The lab's inventory: the proxy in bbb_proxy (docker connection, then proxy_vars), the group bbb_nodes."""
    return {
        "all": {
            "vars": {"bbb_cluster_proxy_hostname": proxy},
            "children": {
                "bbb_proxy": {
                    "hosts": {proxy: {}},
                    "vars": {"ansible_connection": "community.docker.docker", **proxy_vars},
                },
                "bbb_nodes": nodes,
            },
        }
    }


def cluster_inventory(proxy: str, nodes: list[str]) -> dict:
    """As .config/molecule/config.yml and molecule/*/molecule.yml, with the docker connection."""
    tls = {
        "bbb_proxy_tls_certificate": f"/etc/ssl/bbb-lab/{proxy}.crt",
        "bbb_proxy_tls_certificate_key": f"/etc/ssl/bbb-lab/{proxy}.key",
    }
    hosts = {
        name: {
            "bbb_lab_node_version": version_of(i),
            "bbb_lab_node_release": RELEASES[version_of(i)],
            "bbb_lab_node_secret": f"bench-secret-{i:04d}-do-not-leak",
        }
        for i, name in enumerate(nodes, start=1)
    }
    node_vars = {
        "ansible_connection": "community.docker.docker",
        "bbb_node_html5_extra_settings": {"public": {"kurento": {"cameraProfiles": [{"id": "high", "default": True}]}}},
    }
    return inventory(proxy, tls, {"hosts": hosts, "vars": node_vars})
