# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's upgrade self-heal hook (roles/bbb_node/files/bbb_cluster_proxy_selfheal.py), installed as the role
installs it (next to plugins/plugin_utils/nginx_copy.py) and run as a process, with nginx, systemctl and logger
stand-ins on PATH.

The heart of it: for the package files of both version families, the hook writes byte for byte what the role
computes (node_model, from the role's own data), so a role run after a heal changes nothing.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import normalise, plan, selfheal_files
from ansible_collections.bbb.cluster_proxy.tests.unit.role_model import files as role_files

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "bbb_node"
LAB = ROOT / "molecule" / "resources" / "roles" / "bbb_lab_node"
PROXY_ORIGIN = "https://proxy.example.com"
SELF = {"basename": "/bbb-01/html5client", "label": "bbb-01"}

STANDINS = {
    # nginx -t: fails while the config holds the word BROKEN (a location nginx would refuse). As nginx does
    # (src/core/nginx.c, main: "configuration file %s test failed" is printed in test mode even with -q), the
    # reason comes first and the verdict last.
    "nginx": '#!/bin/sh\necho "nginx $*" >> "$CALLS"\n'
    'if grep -qs BROKEN "$DEST"; then echo "nginx: [emerg] unknown directive \\"BROKEN\\" in $DEST:9" >&2;'
    ' echo "nginx: configuration file /etc/nginx/nginx.conf test failed" >&2; exit 1; fi\n',
    "systemctl": '#!/bin/sh\necho "systemctl $*" >> "$CALLS"\n',
    "logger": '#!/bin/sh\necho "logger $*" >> "$CALLS"\n',
}


def package_text(family):
    if family == "3.0":
        return (LAB / "files" / "3.0" / "bbb-html5.nginx.static").read_text()
    return jinja2.Template((LAB / "templates" / "bbb-html5.nginx.j2").read_text()).render(bbb_lab_node_version="2.7")


def templated(value):
    context = {"__bbb_node_self": SELF, "__bbb_node_proxy_origin": PROXY_ORIGIN}
    if isinstance(value, dict):
        return {k: templated(v) for k, v in value.items()}
    if isinstance(value, str):
        return jinja2.Template(value, keep_trailing_newline=True).render(context)
    return value


def nginx_entries(family, source, dest):
    """The role's nginx entries of a family (tests/unit/role_model.py), normalised as the action does."""
    entries = []
    for entry in role_files(family):
        if entry["format"] == "nginx":
            entry = templated(entry)
            entry["path"] = str(dest)
            if "source" in entry:
                entry["source"] = str(source)
            entries.append(entry)
    return normalise(entries, "bbb-01")


def role_text(files, package, current=None):
    """What a role run writes: node_model.plan over what it read."""
    found = {files[0]["source"]: {"content": base64.b64encode(package.encode()).decode()}}
    if current is not None:
        found[files[0]["path"]] = {"content": base64.b64encode(current.encode()).decode()}
    return plan(files, found, "bbb-01")[0]["text"]


@pytest.fixture(params=["3.0", "2.x"])
def node(request, tmp_path):
    """A node below tmp_path with the hook installed as the role installs it; run() runs the hook."""
    family = request.param
    lib = tmp_path / "usr/local/lib/bbb-cluster-proxy"
    lib.mkdir(parents=True)
    shutil.copy(ROOT / "plugins" / "plugin_utils" / "nginx_copy.py", lib / "nginx_copy.py")
    shutil.copy(ROOT / "plugins" / "plugin_utils" / "bbb_release.py", lib / "bbb_release.py")
    shutil.copy(ROLE / "files" / "bbb_cluster_proxy_selfheal.py", lib / "bbb_cluster_proxy_selfheal.py")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STANDINS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    source = (
        tmp_path
        / "usr/share/bigbluebutton/nginx"
        / ("bbb-html5.nginx.static" if family == "3.0" else "bbb-html5.nginx")
    )
    source.parent.mkdir(parents=True)
    source.write_text(package_text(family))
    dest = tmp_path / "etc/bigbluebutton/nginx/zz-cluster-proxy.nginx"
    dest.parent.mkdir(parents=True)
    release = tmp_path / "etc/bigbluebutton/bigbluebutton-release"
    release.write_text("BIGBLUEBUTTON_RELEASE=3.0.30\n" if family == "3.0" else "BIGBLUEBUTTON_RELEASE=2.7.12\n")
    files = nginx_entries(family, source, dest)
    dest.write_text(role_text(files, source.read_text()))  # the role's rollout
    versions = yaml.safe_load((ROLE / "vars" / f"family_{family}.yml").read_text())["__bbb_node_family"]["versions"]
    config = tmp_path / "selfheal.json"
    settings = {
        "host": "bbb-01",
        "family": family,
        "versions": versions,
        "release_file": str(release),
        "package": "bigbluebutton",
        "marker": str(tmp_path / "var/lib/bbb-cluster-proxy/selfheal-failed"),
        "state_dir": str(tmp_path / "var/lib/bbb-cluster-proxy/selfheal"),
        "files": selfheal_files(files),
    }
    config.write_text(json.dumps(settings, indent=4, sort_keys=True))  # as to_nice_json writes it
    calls = tmp_path / "calls"

    class Node:
        pass

    n = Node()
    n.family, n.files, n.source, n.dest, n.release, n.config = family, files, source, dest, release, settings
    n.marker, n.calls, n.config_path = Path(settings["marker"]), calls, config

    def run(trigger="bbb-conf"):
        if calls.exists():
            calls.unlink()
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", CALLS=str(calls), DEST=str(dest))
        done = subprocess.run(
            [sys.executable, str(lib / "bbb_cluster_proxy_selfheal.py"), "--config", str(config), "--trigger", trigger],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        done.calls = calls.read_text().splitlines() if calls.exists() else []
        return done

    n.run = run
    return n


NEW_LOCATION = "\nlocation /html5client/fonts {\n    alias /usr/share/bigbluebutton/html5-client/fonts;\n}\n"


def test_nothing_to_do_after_a_rollout(node):
    before = node.dest.read_text()
    done = node.run()
    assert done.returncode == 0, done.stderr
    assert node.dest.read_text() == before
    assert not [c for c in done.calls if c.startswith(("nginx", "systemctl reload"))]
    assert not node.marker.exists()


def test_an_upgrade_in_place_is_healed_byte_for_byte_as_the_role_would_write_it(node):
    node.source.write_text(node.source.read_text() + NEW_LOCATION)
    before = node.dest.read_text()
    node.marker.parent.mkdir(parents=True)
    node.marker.write_text("an earlier refusal\n")
    done = node.run("a change of the package file")
    assert done.returncode == 0, done.stderr
    healed = node.dest.read_text()
    assert "location /bbb-01/html5client/fonts {" in healed
    # a role run now would write exactly this, so it changes nothing
    assert healed == role_text(node.files, node.source.read_text(), current=healed)
    assert "nginx -t -q" in done.calls
    assert "systemctl reload nginx" in done.calls
    assert not node.marker.exists()  # a successful heal clears the marker
    assert (Path(node.config["state_dir"]) / "zz-cluster-proxy.nginx.last-good").read_text() == before
    assert any("daemon.notice" in c and "re-derived" in c for c in done.calls)
    assert node.run().calls == []  # a second run: nothing to do, nginx untouched


def test_a_copy_that_fails_nginx_t_is_taken_back_and_reported(node):
    before = node.dest.read_text()
    node.source.write_text(node.source.read_text() + "\nlocation /html5client/bad {\n    BROKEN;\n}\n")
    done = node.run()
    assert done.returncode == 1
    assert node.dest.read_text() == before  # the last good file is back
    assert "systemctl reload nginx" not in done.calls
    reason = node.marker.read_text()
    assert "fails nginx -t" in reason and "unknown directive" in reason and "site playbook for bbb-01" in reason
    assert any(c.startswith("logger -t bbb-cluster-proxy-selfheal -p daemon.err") for c in done.calls)
    assert "SELF-HEAL REFUSED" in done.stderr


def test_a_family_change_is_left_alone_and_reported(node):
    before = node.dest.read_text()
    node.release.write_text(
        "BIGBLUEBUTTON_RELEASE=4.0.1\n" if node.family == "3.0" else "BIGBLUEBUTTON_RELEASE=3.0.30\n"
    )
    node.source.write_text(node.source.read_text() + NEW_LOCATION)
    done = node.run()
    assert done.returncode == 1
    assert node.dest.read_text() == before
    assert not [c for c in done.calls if c.startswith(("nginx", "systemctl"))]
    assert "family change" in node.marker.read_text()
    assert any("daemon.err" in c and "family change" in c for c in done.calls)
    # the operator's run of the role clears the marker; until then every trigger says it again
    assert node.run().returncode == 1


def test_a_package_file_that_is_gone_is_left_alone_and_reported(node):
    before = node.dest.read_text()
    node.source.unlink()
    done = node.run()
    assert done.returncode == 1
    assert node.dest.read_text() == before
    assert "cannot be read" in node.marker.read_text()


def test_the_configuration_holds_no_secret(node):
    text = json.dumps(node.config).lower()
    assert "secret" not in text and "salt" not in text
    assert set(node.config["files"][0]) == {"path", "source", "basename", "drop_named", "settings", "append"}


def test_without_a_configuration_it_does_nothing(node):
    """A node the role has not configured, or rolled back to a point before the hook: nothing to follow."""
    before = node.dest.read_text()
    node.config_path.unlink()
    done = node.run()
    assert done.returncode == 0, done.stderr
    assert node.dest.read_text() == before
    assert done.calls == []
