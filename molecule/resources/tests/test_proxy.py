# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster proxy serves each node's own client at its path, and nothing else."""

from __future__ import annotations

import pytest
from conftest import PROXY, family_of, fetch, node_names, node_secrets

testinfra_hosts = ["ansible://bbb_proxy"]
NODES = node_names()
FIRST = NODES[0].split(".")[0]

CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"


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
        status, _, body = fetch(host, f"https://{PROXY}/{label}/html5client/static/app.js")
        assert status == 200
        assert "window.bbbLab" in body
    status, _, body = fetch(host, f"https://{PROXY}/{label}/html5client/locales/en.json")
    assert status == 200
    assert "Welcome to the BBB lab" in body


@pytest.mark.parametrize("node", NODES)
def test_api_location_only_for_bbb30_nodes(host, node):
    """Spec §2.2: 3.0 adds /<label>/bigbluebutton/api; 2.x has none."""
    label = node.split(".")[0]
    status, _, body = fetch(host, f"https://{PROXY}/{label}/bigbluebutton/api")
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
    ],
)
def test_unknown_paths_are_404(host, path):
    status, _, _ = fetch(host, f"https://{PROXY}{path}")
    assert status == 404


def test_client_path_without_slash_redirects_to_the_slash(host):
    status, headers, _ = fetch(host, f"https://{PROXY}/{FIRST}/html5client")
    assert status == 301
    assert f"/{FIRST}/html5client/" in headers


def test_http_redirects_to_https(host):
    status, headers, _ = fetch(host, f"http://{PROXY}/{FIRST}/html5client/")
    assert status == 301
    assert f"location: https://{PROXY}/{FIRST}/html5client/" in headers.lower()


def test_reachable_from_another_host(host):
    """The same request from a node container goes over the lab network."""
    first, last = NODES[0], NODES[-1]
    status, _, body = fetch(node_host(host, last), f"https://{PROXY}/{first.split('.')[0]}/html5client/")
    assert status == 200
    assert f"node: {first}" in body


def test_one_exact_location_set_per_node_and_no_catch_all(host):
    conf = host.file(CONF).content_string
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
    # websocket upgrade headers on every proxied location
    assert conf.count("proxy_set_header Upgrade $http_upgrade;") == locations
    assert conf.count('proxy_set_header Connection "Upgrade";') == locations
    # no regex location and no upstream built from request data
    assert "location ~" not in conf
    assert "proxy_pass https://$" not in conf
    # TLS towards the nodes is verified with SNI
    assert "proxy_ssl_server_name on;" in conf
    assert "proxy_ssl_verify on;" in conf


def test_nginx_config_is_valid_and_running(host):
    assert host.run("nginx -t").rc == 0
    assert host.service("nginx").is_running


def test_no_secret_on_the_proxy(host):
    for secret in node_secrets():
        found = host.run(f"grep -rl -- '{secret}' /etc /var/www /usr/share/nginx /var/log/nginx")
        assert found.stdout == "", f"secret found in {found.stdout}"
