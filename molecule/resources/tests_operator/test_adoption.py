# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adoption of a hand-made setup, in the operations lab (molecule/operations).

ops-c (BBB 3.0.30, like ops-a) has its package files owned by real Debian packages (dpkg, a local apt repository)
and was set up by hand as the upstream guide tells a person (molecule/operations/prepare.yml): client locations
prefixed in the package's nginx file, the slides' CORS origin in the package's loadbalancer.nginx, the guide's
bbb-cluster.nginx, JDK_JAVA_OPTIONS and Hasura's origin appended to their /etc/default conffiles, the guide's keys in
bbb-web.properties, bbb-html5.yml, etherpad.json (tabs) and the middleware override. Before the first converge the
prepare recorded the operator's first look: the preflight and `site --check --diff` (in the ephemeral directory,
adoption/). The converge then migrated it. These tests read that record and the converged lab.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from lab_runs import NODES, PROXIES, SECRETS, host

PROXY = PROXIES[0]
FRESH, ADOPTED = NODES[0], "ops-c.lab.test"  # ops-a: a fresh node of the same release
RECORD = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "adoption"

# The files the role manages and the package files the guide edits, compared file by file with the fresh node.
COMPARED = [
    "/etc/bigbluebutton/bbb-web.properties",
    "/etc/bigbluebutton/bbb-html5.yml",
    "/etc/bigbluebutton/etherpad.json",
    "/etc/bigbluebutton/bbb-graphql-server.env",
    "/etc/bigbluebutton/bbb-graphql-middleware.yml",
    "/etc/bigbluebutton/nginx/zz-cluster-proxy.nginx",
    "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf",
    "/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static",
    "/usr/share/bigbluebutton/nginx/bbb-html5.nginx",
    "/usr/share/bigbluebutton/nginx/loadbalancer.nginx",
    "/etc/default/bbb-web",
    "/etc/default/bbb-graphql-server",
]
# Where the guide's edits were, and whose listings must be the fresh node's (backups aside).
LISTED = ["/etc/bigbluebutton/nginx", "/usr/share/bigbluebutton/nginx", "/etc/bigbluebutton", "/etc/default"]
# What the guide had the person write, per file (read back from the backups the migration kept).
HAND_EDITS = {
    "/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static": r"^location (/ops-c/html5client|=/html5client/locale)",
    "/usr/share/bigbluebutton/nginx/loadbalancer.nginx": r"^set \$bbb_loadbalancer_node https://",
    "/etc/bigbluebutton/nginx/bbb-cluster.nginx": r"^set \$bbb_cors_origin ",
    "/etc/default/bbb-web": r"^JDK_JAVA_OPTIONS=",
    "/etc/default/bbb-graphql-server": r"^HASURA_GRAPHQL_CORS_DOMAIN=",
}


OWN_SITE = "/etc/nginx/sites-enabled/bbb-proxy"  # the operator's own proxy configuration (prepare.yml)
PROXY_CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
ADOPTED_BACKUPS = "/var/backups/bbb-cluster-proxy/adopted"


def own_site_locations():
    """The location lines (number, text) of the operator's own proxy site, from its target in sites-available."""
    text = host(PROXY).file("/etc/nginx/sites-available/bbb-proxy").content_string
    return [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip().startswith("location /ops-c/")]


def record(name):
    path = RECORD / name
    assert path.exists(), f"{path} is missing: the operations scenario's prepare.yml records it before the converge"
    text = path.read_text()
    for secret in SECRETS:
        assert secret not in text, f"a node's shared secret is in {path}"
    return text


def backups(path):
    """The backups the migration kept of ``path`` (``path.<pid>.<time>~``, as the role's other backups)."""
    out = host(ADOPTED).run(f"ls -1 {path}.*~ 2>/dev/null").stdout.split()
    return [p for p in out if re.fullmatch(re.escape(path) + r"\.\d+\.[\d@:-]+~", p)]


def hand_made(path):
    """The lines (number, text) of the guide's edit in ``path`` before the migration, from its backup."""
    (backup,) = backups(path)
    text = host(ADOPTED).file(backup).content_string
    return [(n, line) for n, line in enumerate(text.split("\n"), 1) if re.search(HAND_EDITS[path], line)]


def content(name, path):
    """A file as the fresh node would have it: the node's name swapped for the fresh node's, the secret masked."""
    node = host(name)
    real = node.run(f"readlink -f {path}").stdout.strip()
    text = node.file(path).content_string if node.file(path).exists else None
    if text is None:
        return None
    text = re.sub(r"(?m)^(securitySalt=).*$", r"\1********", text)
    label, fresh_label = name.split(".")[0], FRESH.split(".")[0]
    return real.replace(label, fresh_label), text.replace(label, fresh_label)


def listing(name, directory):
    out = host(name).run(f"ls -1A {directory}").stdout.split()
    return sorted(entry.replace(name.split(".")[0], "NODE") for entry in out if not entry.endswith("~"))


def test_the_preflight_reported_each_hand_edit_with_host_file_and_line():
    """Before any change: every line the person edited, named by host, file and line, with what site does."""
    assert record("preflight.rc").strip() == "0", record("preflight.log")[-3000:]
    log = record("preflight.log")
    every = re.findall(r'"(ops-[a-z]+\.lab\.test): hand edit: (\S+) line (\d+): (.*?)"?,?$', log, re.M)
    assert {name for name, *_ in every} == {ADOPTED, PROXY}, every  # the fresh nodes have none
    reported = [r for r in every if r[0] == ADOPTED]
    found = {(path, int(line)) for _, path, line, _ in reported}
    wanted = {(path, number) for path in HAND_EDITS for number, _ in hand_made(path)}
    assert len(wanted) >= 8
    assert found == wanted
    for _, path, _, message in reported:
        how = (
            "restores" if path.startswith("/usr/share/") else "removes this line from" if "default" in path else "moves"
        )
        assert f"Site {how} {path}" in message, message
    assert "from package bbb-html5 (apt-get install --reinstall bbb-html5)" in log
    assert "from package bbb-web (apt-get install --reinstall bbb-web)" in log
    # the proxy: the operator's own site, each of its locations for ops-c
    on_proxy = {(path, int(line), text) for name, path, line, text in every if name == PROXY}
    assert {(path, line) for path, line, _ in on_proxy} == {(OWN_SITE, n) for n, _ in own_site_locations()}
    for _, _, message in on_proxy:
        assert f"Site moves {OWN_SITE} away (backup kept); the value is in {PROXY_CONF}." in message


def test_check_diff_showed_the_migration_first_and_changed_nothing():
    assert record("check.rc").strip() == "0", record("check.log")[-3000:]
    log = record("check.log")
    assert record("before-check.sha256") == record("after-check.sha256")  # nothing changed on ops-c
    for path in HAND_EDITS:
        assert f"--- before: {path}\n" in log, path
    assert "+++ after: /usr/share/bigbluebutton/nginx/bbb-html5.nginx.static (as package bbb-html5 ships it)" in log
    assert "-location /ops-c/html5client {" in log
    assert re.search(
        r"(?m)^-JDK_JAVA_OPTIONS=.*allowedOrigins=https://ops-proxy\.lab\.test,https://ops-c\.lab\.test", log
    )
    # and the role's own files as they will be written: the wrong websocket URL of an early guide corrected
    assert "+graphqlWebsocketUrl=wss://ops-c.lab.test/graphql" in log
    assert "+++ after: /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx" in log
    assert f"--- before: {OWN_SITE}\n" in log and "-  location /ops-c/html5client/ {" in log
    assert re.search(r"ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0", log)


@pytest.mark.parametrize("path", COMPARED)
def test_the_adopted_node_has_the_files_of_a_fresh_node(path):
    fresh, adopted = content(FRESH, path), content(ADOPTED, path)
    assert fresh is not None, f"{path} is missing on the fresh node {FRESH}"
    assert adopted == fresh, f"{path} on {ADOPTED} differs from {FRESH}'s (node name swapped)"


@pytest.mark.parametrize("directory", LISTED)
def test_no_file_of_the_hand_made_setup_is_left(directory):
    assert listing(ADOPTED, directory) == listing(FRESH, directory)


def test_the_package_files_are_as_their_packages_ship_them():
    """dpkg's own check of every file of the packages (size, checksum, conffiles too): nothing differs."""
    verify = host(ADOPTED).run("dpkg --verify bbb-html5 bbb-web bbb-config bbb-graphql-server bbb-graphql-middleware")
    assert verify.rc == 0 and verify.stdout.strip() == "", verify.stdout + verify.stderr


@pytest.mark.parametrize("path", sorted(HAND_EDITS))
def test_each_changed_file_was_backed_up_with_the_hand_edit(path):
    assert len(backups(path)) == 1, f"no backup (or more than one) of {path} on {ADOPTED}"
    assert hand_made(path), f"the backup of {path} does not hold the hand edit"


def test_the_adopted_node_serves_its_client_through_the_proxy():
    page = host(PROXY).run(f"curl -sS --fail --cacert /etc/ssl/bbb-lab/ca.crt https://{PROXY}/ops-c/html5client/")
    assert page.rc == 0 and f"node: {ADOPTED}" in page.stdout, page.stderr
    lost = host(PROXY).run(
        f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert /etc/ssl/bbb-lab/ca.crt https://{ADOPTED}/ops-c/html5client/locales/en.json"
    )
    assert lost.stdout == "200"


def test_the_operators_own_proxy_site_is_out_of_nginx_and_backed_up():
    proxy = host(PROXY)
    assert not proxy.file(OWN_SITE).exists  # the link is gone, its target stays
    assert proxy.file("/etc/nginx/sites-available/bbb-proxy").exists
    copies = proxy.run(f"ls -1 {ADOPTED_BACKUPS}/etc_nginx_sites-enabled_bbb-proxy.*~").stdout.split()
    assert len(copies) == 1, copies
    assert "location /ops-c/html5client/ {" in proxy.file(copies[0]).content_string
    loaded = proxy.run("nginx -T 2>&1")
    assert loaded.rc == 0 and "conflicting server name" not in loaded.stdout, loaded.stdout[-2000:]
    assert "# configuration file /etc/nginx/sites-enabled/bbb-proxy:" not in loaded.stdout
