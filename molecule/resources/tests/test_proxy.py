# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster proxy serves each node's own client at its path, and nothing else."""

from __future__ import annotations

import re

import pytest
from conftest import PROXY, family_of, fetch, inventory, node_names, node_secrets

testinfra_hosts = ["ansible://bbb_proxy"]
NODES = node_names()
FIRST = NODES[0].split(".")[0]

CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
PROXY_VARS = inventory().get_variables(PROXY)
ASSET_CACHE = bool(PROXY_VARS.get("bbb_proxy_asset_cache", False))
CA_FILE = PROXY_VARS.get("bbb_proxy_upstream_ca_file", "/etc/ssl/certs/ca-certificates.crt")
ASSET_RE = "ico|css|js|gif|jpeg|jpg|png|woff|ttf|otf|svg|woff2|eot"
# Nodes that left the inventory after an earlier rollout (upgrade scenario).
RETIRED = [n.split(".")[0] for n in inventory().get_hosts("lab_nodes_retired")]


@pytest.mark.parametrize("node", NODES)
def test_client_page_of_each_node_through_the_proxy(host, node):
    label = node.split(".")[0]
    status, headers, body = fetch(host, f"https://{PROXY}/{label}/html5client/")
    assert status == 200
    assert f"node: {node}" in body
    other = [n for n in NODES if n != node][0]
    assert f"node: {other}" not in body


def node_host(host, node):
    return host.get_host(f"ansible://{node}", ansible_inventory=host.backend.ansible_inventory)


@pytest.mark.parametrize("node", NODES)
def test_client_assets_come_through_the_proxy(host, node):
    label = node.split(".")[0]
    if family_of(node_host(host, node)) == "3.0":
        status, _unused, body = fetch(host, f"https://{PROXY}/{label}/html5client/static/app.js")
        assert status == 200
        assert "window.bbbLab" in body
    status, _unused, body = fetch(host, f"https://{PROXY}/{label}/html5client/locales/en.json")
    assert status == 200
    assert "Welcome to the BBB lab" in body


@pytest.mark.parametrize("node", NODES)
def test_api_location_only_for_bbb30_nodes(host, node):
    """docs/versions.md, Proxy side: 3.0 adds /<label>/bigbluebutton/api; 2.x has none."""
    label = node.split(".")[0]
    status, _unused, body = fetch(host, f"https://{PROXY}/{label}/bigbluebutton/api")
    if family_of(node_host(host, node)) == "3.0":
        assert status == 200
        assert "<returncode>SUCCESS</returncode>" in body
    else:
        assert status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/html5client/",
        "/no-such-node/html5client/",
        f"/{FIRST}/",
        f"/{FIRST}/other",
        "/bigbluebutton/api",
        f"/{NODES[0]}/",
    ]
    + [f"/{label}/html5client/" for label in RETIRED]
    + [f"/{label}/bigbluebutton/api" for label in RETIRED],
)
def test_unknown_paths_are_404(host, path):
    status, _unused, _unused = fetch(host, f"https://{PROXY}{path}")
    assert status == 404


def test_client_path_without_slash_redirects_to_the_slash(host):
    status, headers, _unused = fetch(host, f"https://{PROXY}/{FIRST}/html5client")
    assert status == 301
    assert f"/{FIRST}/html5client/" in headers


def test_http_redirects_to_https(host):
    status, headers, _unused = fetch(host, f"http://{PROXY}/{FIRST}/html5client/")
    assert status == 301
    assert f"location: https://{PROXY}/{FIRST}/html5client/" in headers.lower()


def test_reachable_from_another_host(host):
    """The same request from a node container goes over the lab network."""
    first, last = NODES[0], NODES[-1]
    status, _unused, body = fetch(node_host(host, last), f"https://{PROXY}/{first.split('.')[0]}/html5client/")
    assert status == 200
    assert f"node: {first}" in body


def test_one_exact_location_set_per_node_and_no_catch_all(host):
    conf = host.file(CONF).content_string
    # exactly the inventory's nodes: those that left it have no location any more
    labels = re.findall(r"^\s*location /([a-z0-9-]+)/html5client/ \{$", conf, re.M)
    assert sorted(labels) == sorted(n.split(".")[0] for n in NODES)
    locations = 0
    for node in NODES:
        label = node.split(".")[0]
        assert conf.count(f"location /{label}/html5client/ {{") == 1
        assert f"proxy_pass https://{node}/{label}/html5client/;" in conf
        locations += 1
        if family_of(node_host(host, node)) == "3.0":
            assert f"location /{label}/bigbluebutton/api {{" in conf
            assert f"proxy_pass https://{node}/bigbluebutton/api;" in conf
            locations += 1
        else:
            assert f"location /{label}/bigbluebutton/api" not in conf
    if ASSET_CACHE:
        # docs/versions.md, Proxy side: one regex location per node, anchored to its literal prefix, literal upstream
        for node in NODES:
            label = node.split(".")[0]
            assert conf.count(f"location ~* ^/{label}/html5client/.+\\.({ASSET_RE})$ {{") == 1
            assert f"proxy_pass https://{node};" in conf
        locations += len(NODES)
        assert conf.count("location ~") == len(NODES)
        assert "proxy_cache_path /var/cache/nginx/bbb-cluster-proxy levels=1:2 keys_zone=bbb_cluster_proxy:10m" in conf
    else:
        assert "location ~" not in conf
        assert "proxy_cache" not in conf
    # websocket upgrade headers on every proxied location
    assert conf.count("proxy_set_header Upgrade $http_upgrade;") == locations
    assert conf.count('proxy_set_header Connection "Upgrade";') == locations
    # no upstream built from request data (docs/versions.md, Proxy side)
    assert "proxy_pass https://$" not in conf
    # TLS towards the nodes is verified with SNI, against the configured CA file
    assert "proxy_ssl_server_name on;" in conf
    assert "proxy_ssl_verify on;" in conf
    assert f"proxy_ssl_trusted_certificate {CA_FILE};" in conf


def test_asset_cache(host):
    """Off by default; when on, a 3.0 node's script is served from the proxy's cache after three requests."""
    nodes_30 = [n for n in NODES if family_of(node_host(host, n)) == "3.0"]
    url = f"https://{PROXY}/{nodes_30[0].split('.')[0]}/html5client/static/app.js"
    states = [fetch(host, url)[1].lower() for _attempt in range(4)]
    if not ASSET_CACHE:
        assert all("x-cache-status" not in headers for headers in states)
        return
    assert all("x-asset: yes" in headers for headers in states)
    assert "x-cache-status: hit" in states[-1]
    assert host.file("/var/cache/nginx/bbb-cluster-proxy").is_directory


def test_nginx_config_is_valid_and_running(host):
    assert host.run("nginx -t").rc == 0
    assert host.service("nginx").is_running


def test_no_secret_on_the_proxy(host):
    for secret in node_secrets():
        found = host.run(f"grep -rl -- '{secret}' /etc /var/www /usr/share/nginx /var/log/nginx")
        assert found.stdout == "", f"secret found in {found.stdout}"
