# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each simulated BBB 3.0 node holds exactly the values of the spec (§5) and was restarted once."""

from __future__ import annotations

import json

import yaml
from conftest import PROXY, SECRETS, fetch

testinfra_hosts = ["ansible://bbb_nodes"]


def properties(host):
    values = {}
    for line in host.file("/etc/bigbluebutton/bbb-web.properties").content_string.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def test_bbb_web_properties_spec_values(host, node_name, label):
    props = properties(host)
    assert props["defaultHTML5ClientUrl"] == f"https://{PROXY}/{label}/html5client/"
    assert props["presentationBaseURL"] == f"https://{node_name}/bigbluebutton/presentation"
    assert props["accessControlAllowOrigin"] == f"https://{PROXY}"
    assert props["apiUrl"] == f"https://{node_name}/bigbluebutton"
    assert props["graphqlWebsocketUrl"] == f"wss://{node_name}/graphql"
    assert props["graphqlApiUrl"] == f"https://{node_name}/api/rest"
    # 3.0 keeps the package default guest wait URL (spec §5.1)
    assert "defaultGuestWaitURL" not in props


def test_bbb_web_properties_keeps_secret_server_url_and_operator_keys(host, node_name):
    props = properties(host)
    assert props["securitySalt"] in SECRETS
    assert props["bigbluebutton.web.serverURL"] == f"https://{node_name}"
    assert props["defaultGuestPolicy"] == "ASK_MODERATOR"
    text = host.file("/etc/bigbluebutton/bbb-web.properties").content_string
    assert text.startswith("#\n# Overrides for /usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties\n")


def test_bbb_html5_yml_merged(host, node_name, label):
    settings = yaml.safe_load(host.file("/etc/bigbluebutton/bbb-html5.yml").content_string)
    public = settings["public"]
    assert public["app"]["basename"] == f"/{label}/html5client"
    assert public["app"]["bbbWebBase"] == f"https://{node_name}/bigbluebutton"
    assert public["app"]["learningDashboardBase"] == f"https://{node_name}/learning-analytics-dashboard"
    assert public["media"]["stunTurnServersFetchAddress"] == f"https://{node_name}/bigbluebutton/api/stuns"
    assert public["media"]["sip_ws_host"] == node_name
    assert public["kurento"]["wsUrl"] == f"wss://{node_name}/bbb-webrtc-sfu"
    assert public["presentation"]["uploadEndpoint"] == f"https://{node_name}/bigbluebutton/presentation/upload"
    assert public["pads"]["url"] == f"https://{node_name}/pad"
    assert "note" not in public
    assert "livekit" not in public["media"]
    # the operator's own key survives the merge
    assert public["app"]["appName"] == "BBB Lab"


def test_previous_files_are_backed_up(host):
    for name in ("bbb-web.properties", "bbb-html5.yml"):
        backups = host.run(f"ls /etc/bigbluebutton/{name}.*~").stdout.split()
        assert len(backups) == 1, backups
    original = host.file(backups[0]).content_string
    assert "basename: /html5client" in original


def test_etherpad_and_graphql_cors(host):
    etherpad = json.loads(host.file("/etc/bigbluebutton/etherpad.json").content_string)
    assert etherpad == {"cluster_proxies": [f"https://{PROXY}"]}
    middleware = yaml.safe_load(host.file("/etc/bigbluebutton/bbb-graphql-middleware.yml").content_string)
    assert middleware == {"server": {"authorized_cross_origin": PROXY}}
    env = host.file("/etc/bigbluebutton/bbb-graphql-server.env").content_string
    assert f'HASURA_GRAPHQL_CORS_DOMAIN="https://{PROXY}"' in env.splitlines()
    # the package's yml-era middleware config stays untouched (T1)
    assert (
        "# authorized_cross_origin: 'bbb-proxy.example.com'"
        in host.file("/usr/share/bbb-graphql-middleware/config.yml").content_string
    )


def test_bbb_web_cors_via_drop_in(host, node_name):
    env = host.run("systemctl show bbb-web -p Environment").stdout
    assert (
        "JDK_JAVA_OPTIONS=-Dgrails.cors.enabled=true -Dgrails.cors.allowCredentials=true "
        f"-Dgrails.cors.allowedOrigins=https://{PROXY},https://{node_name}"
    ) in env
    # the conffile /etc/default/bbb-web is not edited (T2)
    assert "JDK_JAVA_OPTIONS" not in host.file("/etc/default/bbb-web").content_string
    assert host.service("bbb-web").is_running


def test_node_nginx_locations(host, label):
    conf = host.file("/etc/bigbluebutton/nginx/zz-cluster-proxy.nginx").content_string
    assert f"location /{label}/html5client {{" in conf
    assert f"location /{label}/html5client/locales {{" in conf
    assert f"location /{label}/html5client/wasm {{" in conf
    assert "alias /usr/share/bigbluebutton/html5-client/;" in conf
    assert f"set $bbb_cors_origin 'https://{PROXY}';" in conf
    assert host.run("nginx -t").rc == 0
    # the package file is not edited (T1)
    static = host.file("/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static").content_string
    assert "location /html5client {" in static
    assert f"/{label}/" not in static


def test_node_serves_client_at_prefix_and_original_path(host, node_name, label):
    for path in (f"/{label}/html5client/", "/html5client/"):
        status, _, body = fetch(host, f"https://{node_name}{path}")
        assert status == 200, path
        assert f"node: {node_name}" in body


def test_guest_lobby_locale_redirect(host, node_name, label):
    status, headers, _ = fetch(host, f"https://{node_name}/html5client/locale?lang=de")
    assert status == 301
    assert f"location: https://{node_name}/{label}/html5client/locale?lang=de" in headers.lower()


def test_exactly_one_restart_after_converge_and_idempotence(host):
    restarts = host.file("/var/lib/bbb-conf-double/restarts.log").content_string.splitlines()
    assert len(restarts) == 1, restarts
    calls = host.file("/var/log/bbb-conf-double.log").content_string.splitlines()
    assert [c.split(" ", 1)[1] for c in calls] == ["--restart"]


def test_bbb_services_running_after_restart(host):
    for unit in ("nginx", "bbb-web", "bbb-graphql-server", "bbb-graphql-middleware"):
        assert host.service(unit).is_running, unit
