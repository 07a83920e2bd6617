# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proxy role's nginx file, rendered through ansible-playbook and tested with the real nginx binary.

Upstreams are addresses (pinned, resolved, or none: a `down` upstream); the node's locations hold no proxy_pass;
bad pins stop the role with the host, the variable and the fix (docs/design.md, "The proxy at scale").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require
from ansible_collections.bbb.cluster_proxy.tests.proxy_render import PROXY_RENDER_PLAY
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_cli

ROOT = Path(__file__).resolve().parents[3]
# The collections path this test runs from (.build/collections: ansible_collections/bbb/cluster_proxy links here).
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NODES = {
    "bbb-01.example.com": {"bbb_node_version": "3.0.30"},
    "bbb-02.example.com": {"bbb_node_version": "2.7.12"},
    "bbb-03.example.com": {"bbb_node_version": "3.0.30"},
}


def render(tmp_path, pins, extra=None, **proxy_vars):
    """Run the role's nodes, upstreams and the template for three nodes; return (rc, output, rendered file).

    Every node is pinned (no DNS query leaves this machine); ``extra`` (extra vars) can stand in for what the proxy
    resolved."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {"bbb_cluster_proxy_hostname": "proxy.example.com"},
                    "children": {
                        "bbb_proxy": {
                            "hosts": {"proxy.example.com": None},
                            "vars": {
                                "bbb_proxy_node_addresses": pins,
                                "bbb_proxy_tls_certificate": str(tmp_path / "proxy.crt"),
                                "bbb_proxy_tls_certificate_key": str(tmp_path / "proxy.key"),
                                **proxy_vars,
                            },
                        },
                        "bbb_nodes": {"hosts": NODES},
                    },
                }
            }
        )
    )
    playbook = tmp_path / "render.yml"
    playbook.write_text(PROXY_RENDER_PLAY)
    out = tmp_path / "proxy.conf"
    run = ansible_cli(
        "ansible-playbook",
        "-i",
        inventory,
        playbook,
        *(["-e", json.dumps(extra)] if extra else []),
        env={
            "OUT": str(out),
            "TEMPLATE": str(ROOT / "roles" / "bbb_proxy" / "templates" / "bbb-cluster-proxy.conf.j2"),
        },
    )
    return run.returncode, run.stdout + run.stderr, out.read_text() if out.exists() else ""


def nginx_test(tmp_path, conf):
    """nginx -t of the rendered file inside a minimal http block (a throw-away prefix)."""
    require("nginx", [] if os.access(NGINX, os.X_OK) else [NGINX], "apt-get install nginx-light")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=proxy.example.com",
         "-keyout", str(tmp_path / "proxy.key"), "-out", str(tmp_path / "proxy.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "logs").mkdir(exist_ok=True)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; proxy_temp_path {tmp_path}/tmp; include {conf}; }}\n"
    )
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True, check=False
    )


def test_upstreams_are_addresses_and_only_named_locations_proxy(tmp_path):
    pins = {
        "bbb-01.example.com": ["192.0.2.11"],
        "bbb-02.example.com": ["2001:db8::12", "192.0.2.12"],
        "bbb-03.example.com": ["192.0.2.13"],
    }
    rc, output, conf = render(tmp_path, pins)
    assert rc == 0, output[-3000:]
    assert "upstream bbb_cluster_proxy_bbb-01 {\n    server 192.0.2.11:443;\n    keepalive 16;\n}" in conf
    assert "    server [2001:db8::12]:443;\n    server 192.0.2.12:443;\n" in conf
    assert len(re.findall(r"^\s+proxy_pass ", conf, re.M)) == 2  # @..._client and @..._api (3.0 nodes)
    assert "    bbb-02 bbb-02.example.com;\n" in conf
    assert "location /bbb-02/bigbluebutton/api" not in conf  # 2.7: no API location
    assert "listen 443 ssl http2;" in conf or "http2 on;" in conf
    check = nginx_test(tmp_path, tmp_path / "proxy.conf")
    assert check.returncode == 0, check.stderr
    assert "[warn]" not in check.stderr, check.stderr


def test_a_name_that_did_not_resolve_gets_an_upstream_that_answers_502(tmp_path):
    """What the proxy resolved stands in as extra vars: bbb-03's name did not resolve when the file was written."""
    pins = {name: [f"192.0.2.{i}"] for i, name in enumerate(NODES, start=11)}
    resolved = {**pins, "bbb-03.example.com": []}
    rc, output, conf = render(tmp_path, pins, {"__bbb_proxy_addresses": resolved})
    assert rc == 0, output[-3000:]
    assert re.search(r"upstream bbb_cluster_proxy_bbb-03 \{\n    # .*\n    server 192\.0\.2\.1:443 down;\n", conf)
    assert "bbb-03.example.com (node bbb-03.example.com) does not resolve here" in " ".join(output.split())
    check = nginx_test(tmp_path, tmp_path / "proxy.conf")
    assert check.returncode == 0, check.stderr


def test_the_asset_cache_regex_is_nested_in_each_node_prefix(tmp_path):
    pins = {name: [f"192.0.2.{i}"] for i, name in enumerate(NODES, start=11)}
    rc, output, conf = render(
        tmp_path, pins, bbb_proxy_asset_cache=True, bbb_proxy_asset_cache_path=str(tmp_path / "cache")
    )
    assert rc == 0, output[-3000:]
    assert not re.search(r"^    location ~", conf, re.M)
    assert len(re.findall(r"^        location ~\* ", conf, re.M)) == len(NODES)
    check = nginx_test(tmp_path, tmp_path / "proxy.conf")
    assert check.returncode == 0, check.stderr


def test_bad_pins_stop_with_the_variable_and_the_fix(tmp_path):
    """Every kind of bad entry at once (one run: the check names each, not the first only)."""
    pins = {
        "bbb-09.example.com": ["192.0.2.9"],  # no node of the group
        "bbb-01.example.com": "192.0.2.11",  # an address, not a list
        "bbb-02.example.com": ["bbb-02.internal"],  # a name, not an address
        "bbb-03.example.com": [],  # nothing
    }
    rc, output, conf = render(tmp_path, pins)
    assert rc != 0
    flat = " ".join(output.split())
    # in the inventory's order (yaml.safe_dump sorts the keys)
    bad = "bbb-01.example.com, bbb-02.example.com, bbb-03.example.com".replace(",", " (not a list of IP addresses),")
    named = f"{bad} (not a list of IP addresses), bbb-09.example.com (not a node)"
    assert f"Host proxy.example.com: bbb_proxy_node_addresses has {named}: each key must" in flat, flat[-2000:]
    assert "Fix the variable, or remove the entry" in flat
    assert conf == ""
