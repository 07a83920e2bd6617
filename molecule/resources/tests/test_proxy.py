# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster proxy serves each node's own client at its path, and nothing else."""

from __future__ import annotations

import re
import uuid

import pytest
from conftest import PROXY, capabilities_of, fetch, inventory, node_names, node_secrets, reload_nginx

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
    if capabilities_of(node_host(host, node))["graphql"]:
        status, _unused, body = fetch(host, f"https://{PROXY}/{label}/html5client/static/app.js")
        assert status == 200
        assert "window.bbbLab" in body
    status, _unused, body = fetch(host, f"https://{PROXY}/{label}/html5client/locales/en.json")
    assert status == 200
    assert "Welcome to the BBB lab" in body


@pytest.mark.parametrize("node", NODES)
def test_api_location_only_where_the_client_asks_its_node_s_api_under_the_proxy(host, node):
    """docs/versions.md, Proxy side: 3.0 and 4.0 add /<label>/bigbluebutton/api; 2.x has none."""
    label = node.split(".")[0]
    status, _unused, body = fetch(host, f"https://{PROXY}/{label}/bigbluebutton/api")
    if capabilities_of(node_host(host, node))["proxy_api_location"]:
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


SECOND = NODES[1].split(".")[0]
NODE_ACCESS_LOG = "/var/log/nginx/bigbluebutton.access.log"  # the lab node's site (bbb_lab_node, bigbluebutton.site.j2)


@pytest.mark.parametrize(
    "path,reaches",
    [
        (f"/{FIRST}/html5client/../../{SECOND}/html5client/", SECOND),
        (f"/{FIRST}/html5client/%2e%2e/%2E%2E/{SECOND}/html5client/", SECOND),
        (f"/{FIRST}/html5client/..%2f..%2f{SECOND}/html5client/", SECOND),
        (f"//{FIRST}//html5client//", FIRST),
        (f"/{FIRST}/html5client/../../bigbluebutton/api", None),
        (f"/{FIRST}/html5client/%2e%2e/%2e%2e/bigbluebutton/api/create", None),
        (f"/{FIRST}/html5client/..%2F..%2F", None),
        (f"/{FIRST}/html5client/../", None),
        (f"/{FIRST}%2Fhtml5client/../../etc/passwd", None),
    ],
)
def test_traversals_reach_only_the_node_of_the_normalized_path(host, path, reaches):
    """The proxy matches a node's prefix on the normalized path and forwards the raw request line, which the node's
    nginx normalizes the same way (docs/design.md, "The proxy at scale"): a request reaches the node its normalized
    path names, or none (404). Which node it reached is read from the nodes' access logs (a 2.x node hands the raw
    URI on to its client server, which may answer 404 itself)."""
    mark = f"traversal-{uuid.uuid4().hex}"
    status, _headers, body = fetch(host, f"https://{PROXY}{path}?{mark}", "--path-as-is")
    reached = [
        n for n in NODES if node_host(host, n).run(f"grep -qs {mark} {NODE_ACCESS_LOG} && echo yes").stdout.strip()
    ]
    if reaches is None:
        assert (status, reached) == (404, [])
        return
    named = [n for n in NODES if n.startswith(reaches + ".")][0]
    assert reached == [named], (status, reached)
    assert status in (200, 404)
    if status == 200:
        assert f"node: {named}" in body
        assert all(f"node: {n}" not in body for n in NODES if n != named)


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


def node_address(host, node):
    """The node's address on the lab network, as the proxy resolves its name."""
    return host.run(f"getent ahostsv4 {node}").stdout.split()[0]


def test_one_exact_location_set_per_node_and_no_catch_all(host):
    """docs/design.md, "The proxy at scale": exact prefix locations per node that only name the node, a few named
    locations with the only proxy_pass lines, one upstream per node (its address, keepalive)."""
    conf = host.file(CONF).content_string
    # exactly the inventory's nodes: those that left it have no location any more
    labels = re.findall(r"^\s*location /([a-z0-9-]+)/html5client/ \{$", conf, re.M)
    assert sorted(labels) == sorted(n.split(".")[0] for n in NODES)
    named = ["client"]
    for node in NODES:
        label = node.split(".")[0]
        assert conf.count(f"location /{label}/html5client/ {{") == 1
        api_location = capabilities_of(node_host(host, node))["proxy_api_location"]
        assert conf.count(f"set $bbb_cluster_proxy_label {label};") == 1 + int(ASSET_CACHE) + int(api_location)
        assert f"    {label} {node};\n" in conf  # Host, SNI and verification name
        upstream = re.search(rf"^upstream bbb_cluster_proxy_{label} \{{\n(.*?)^\}}", conf, re.M | re.S).group(1)
        assert f"server {node_address(host, node)}:443;" in upstream
        assert "keepalive 16;" in upstream
        if api_location:
            assert conf.count(f"location /{label}/bigbluebutton/api {{") == 1
            named.append("api")
        else:
            assert f"location /{label}/bigbluebutton/api" not in conf
    if ASSET_CACHE:
        named.append("asset")
        # docs/versions.md, Proxy side: the asset regex only nested in a node's prefix location, never top-level
        assert not re.search(r"^    location ~", conf, re.M)
        assert len(re.findall(r"^        location ~\* ", conf, re.M)) == len(NODES)
        assert "proxy_cache_path /var/cache/nginx/bbb-cluster-proxy levels=1:2 keys_zone=bbb_cluster_proxy:10m" in conf
    else:
        assert "location ~" not in conf
        assert "proxy_cache" not in conf
    # the only proxy_pass lines are in the named locations; the upstream is the node the location named
    assert sorted(re.findall(r"location @bbb_cluster_proxy_([a-z]+) \{", conf)) == sorted(set(named))
    assert len(re.findall(r"^\s+proxy_pass ", conf, re.M)) == len(set(named))
    assert conf.count("proxy_pass https://bbb_cluster_proxy_$bbb_cluster_proxy_label;") == len(set(named))
    # keepalive and the websocket upgrade, once for every location
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $bbb_cluster_proxy_connection;" in conf
    assert "proxy_http_version 1.1;" in conf
    # TLS towards the nodes is verified with SNI, against the configured CA file, in the server's one context
    assert "proxy_ssl_server_name on;" in conf
    assert "proxy_ssl_name $bbb_cluster_proxy_node;" in conf
    assert "proxy_ssl_verify on;" in conf
    assert f"proxy_ssl_trusted_certificate {CA_FILE};" in conf
    assert not re.search(r"^ {8,}proxy_ssl_", conf, re.M)


def test_connections_to_the_nodes_are_kept_open(host):
    """Upstream keepalive: after requests through the proxy, nginx keeps a connection to the node open instead of a
    TLS handshake per request (docs/benchmarks.md)."""
    node = NODES[0]
    for _attempt in range(5):
        assert fetch(host, f"https://{PROXY}/{node.split('.')[0]}/html5client/")[0] == 200
    open_connections = host.run(f"ss -Htn state established dst {node_address(host, node)}:443").stdout.splitlines()
    assert 1 <= len(open_connections) <= 2


def test_hardening_towards_browsers(host):
    """HSTS on the proxy's origin, no nginx version, Mozilla intermediate TLS (no TLS 1.1)."""
    _status, headers, _body = fetch(host, f"https://{PROXY}/{FIRST}/html5client/")
    assert "strict-transport-security: max-age=63072000" in headers.lower()
    assert re.search(r"^server: nginx\s*$", headers, re.M | re.I)
    _status, headers, _body = fetch(host, f"https://{PROXY}/no-such-node/")
    assert "strict-transport-security: max-age=63072000" in headers.lower()
    old = host.run(f"curl -sS -o /dev/null --tls-max 1.1 --tlsv1.1 https://{PROXY}/")
    assert old.rc != 0
    conf = host.file(CONF).content_string
    assert "ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:" in conf
    assert "server_tokens off;" in conf


def test_a_name_that_stops_resolving_does_not_stop_the_proxy(host):
    """With DNS gone on the proxy (every node's name stops resolving), nginx still tests, reloads and serves each
    node: the upstreams are the addresses resolved when the file was written. Then one node is down: only its
    path answers 502."""
    pinned = f"--resolve {PROXY}:443:127.0.0.1"
    assert (
        host.run("cp /etc/resolv.conf /run/resolv.conf.lab && echo 'nameserver 127.0.0.1' > /etc/resolv.conf").rc == 0
    )
    try:
        assert host.run(f"getent hosts {NODES[0]}").rc != 0
        assert host.run("nginx -t").rc == 0
        reload_nginx(host)
        for node in NODES:
            status, _headers, body = fetch(host, f"https://{PROXY}/{node.split('.')[0]}/html5client/", pinned)
            assert status == 200
            assert f"node: {node}" in body
    finally:
        assert host.run("cat /run/resolv.conf.lab > /etc/resolv.conf").rc == 0
    down, up = NODES[-1], NODES[0]
    node = node_host(host, down)
    assert node.run("systemctl stop nginx").rc == 0
    try:
        reload_nginx(host)
        assert fetch(host, f"https://{PROXY}/{down.split('.')[0]}/html5client/")[0] == 502
        assert fetch(host, f"https://{PROXY}/{up.split('.')[0]}/html5client/")[0] == 200
    finally:
        assert node.run("systemctl start nginx").rc == 0


def test_asset_cache(host):
    """Off by default; when on, a 3.0 node's script is served from the proxy's cache after three requests."""
    react_nodes = [n for n in NODES if capabilities_of(node_host(host, n))["graphql"]]
    url = f"https://{PROXY}/{react_nodes[0].split('.')[0]}/html5client/static/app.js"
    states = [fetch(host, url)[1].lower() for _attempt in range(4)]
    if not ASSET_CACHE:
        assert all("x-cache-status" not in headers for headers in states)
        return
    assert all("x-asset: yes" in headers for headers in states)
    assert "x-cache-status: hit" in states[-1]
    assert host.file("/var/cache/nginx/bbb-cluster-proxy").is_directory


def test_nginx_config_is_valid_and_running(host):
    """On every nginx version of the lab (default: bookworm's 1.22, upgrade: bullseye's 1.18, mixed: trixie's
    1.26), without a warning (1.25.1 deprecates `listen ... http2`)."""
    check = host.run("nginx -t")
    assert check.rc == 0
    assert "[warn]" not in check.stderr, check.stderr
    assert host.service("nginx").is_running


def test_no_secret_on_the_proxy(host):
    for secret in node_secrets():
        found = host.run(f"grep -rl -- '{secret}' /etc /var/www /usr/share/nginx /var/log/nginx")
        assert found.stdout == "", f"secret found in {found.stdout}"


def test_the_access_log_names_the_node_its_address_and_times(host):
    """bbb_cluster_proxy_access_log: one line per request, buffered (written within bbb_proxy_access_log_flush, 5 s),
    naming the node the request went to and the address nginx used for it."""
    log = PROXY_VARS.get("bbb_cluster_proxy_access_log", "/var/log/nginx/bbb-cluster-proxy.access.log")
    node = NODES[-1]
    label = node.split(".")[0]
    marker = f"accesslog-{uuid.uuid4().hex}"
    status, _unused, _unused = fetch(host, f"https://{PROXY}/{label}/html5client/?{marker}")
    assert status == 200
    lines = []
    for _unused in range(15):
        lines = [line for line in host.file(log).content_string.splitlines() if marker in line]
        if lines:
            break
        host.run("sleep 1")
    assert len(lines) == 1, f"no line with {marker} in {log} after 15 s (flush is 5 s)"
    address = host.check_output(f"getent hosts {node}").split()[0]
    assert f" node={node} " in lines[0]
    assert f" upstream={address}:443 " in lines[0]
    assert re.search(r" rt=\d+\.\d{3} urt=\d+\.\d{3} cache=-$", lines[0]), lines[0]
