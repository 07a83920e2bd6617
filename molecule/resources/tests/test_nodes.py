# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each simulated BBB node holds exactly the values of docs/versions.md (Node side) for its version, and was restarted once per change."""

from __future__ import annotations

import json
import re

import yaml
from conftest import PROXY, fetch, node_secrets

testinfra_hosts = ["ansible://bbb_nodes"]

METEOR_UNITS = ("bbb-html5-frontend@.service", "bbb-html5-backend@.service")
ETHERPAD = "/usr/share/etherpad-lite/settings.json"  # bbb-etherpad's settings (its after-install's TARGET)


def properties(host):
    values = {}
    for line in host.file("/etc/bigbluebutton/bbb-web.properties").content_string.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _unused, value = line.partition("=")
            values[key.strip()] = value
    return values


def expected_properties(caps, node, label):
    """docs/versions.md, Node side (2.6/2.7, 3.0, 4.0), value for value."""
    common = {
        "presentationBaseURL": f"https://{node}/bigbluebutton/presentation",
        "accessControlAllowOrigin": f"https://{PROXY}",
        # T8: the React client needs the trailing slash (else a redirect loop); /join only on 2.x
        "defaultHTML5ClientUrl": f"https://{PROXY}/{label}/html5client/{caps['join_suffix']}",
    }
    if caps["graphql"]:
        return dict(
            common,
            apiUrl=f"https://{node}/bigbluebutton",
            graphqlWebsocketUrl=f"wss://{node}/graphql",
            graphqlApiUrl=f"https://{node}/api/rest",
        )
    return dict(common, defaultGuestWaitURL=f"https://{node}/{label}/html5client/guestWait")


def test_bbb_web_properties_spec_values(host, node_name, label, caps):
    props = properties(host)
    for key, value in expected_properties(caps, node_name, label).items():
        assert props.get(key) == value, key
    assert props["defaultHTML5ClientUrl"].endswith(("/html5client/", "/html5client/join"))
    if caps["graphql"]:
        # 3.0 keeps the package default guest wait URL (docs/versions.md, Node side), also after a 2.x run (T12)
        assert "defaultGuestWaitURL" not in props
        for key in ("apiUrl", "graphqlWebsocketUrl"):
            assert (
                "/v1/graphql" not in props[key]
            )  # stale doc value (docs/versions.md, Stale values of the upstream guide)
    else:
        for key in ("apiUrl", "graphqlWebsocketUrl", "graphqlApiUrl"):
            assert key not in props


def test_bbb_web_properties_keeps_secret_server_url_and_operator_keys(host, node_name):
    """T3: the file is shared with bbb-conf/bbb-install; it is edited key by key, never rewritten."""
    props = properties(host)
    assert props["securitySalt"] in node_secrets()
    assert props["bigbluebutton.web.serverURL"] == f"https://{node_name}"
    assert props["defaultGuestPolicy"] == "ASK_MODERATOR"
    text = host.file("/etc/bigbluebutton/bbb-web.properties").content_string
    assert text.startswith("#\n# Overrides for /usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties\n")


def test_bbb_html5_yml_merged(host, node_name, label, caps):
    """docs/versions.md, Node side: the client keys merged, no yq (T6); maps merge, lists replace, operator keys kept (T11)."""
    settings = yaml.safe_load(host.file("/etc/bigbluebutton/bbb-html5.yml").content_string)
    public = settings["public"]
    assert public["app"]["basename"] == f"/{label}/html5client"
    assert public["app"]["bbbWebBase"] == f"https://{node_name}/bigbluebutton"
    assert public["app"]["learningDashboardBase"] == f"https://{node_name}/learning-analytics-dashboard"
    assert public["media"]["stunTurnServersFetchAddress"] == f"https://{node_name}/bigbluebutton/api/stuns"
    if caps["sip_audio"]:
        assert public["media"]["sip_ws_host"] == node_name
    else:  # 4.0 removed SIP.js: nothing written, and what a 3.0 run wrote is gone (T12)
        assert "sip_ws_host" not in public["media"]
    assert public["kurento"]["wsUrl"] == f"wss://{node_name}/bbb-webrtc-sfu"
    assert public["presentation"]["uploadEndpoint"] == f"https://{node_name}/bigbluebutton/presentation/upload"
    if host.file(ETHERPAD).exists:
        assert public["pads"]["url"] == f"https://{node_name}/pad"
    else:  # no Etherpad (optional from 4.0): no pads URL, also none left from a 3.0 run (T12)
        assert "pads" not in public
    assert "note" not in public  # only for 2.4 (docs/versions.md, Stale values of the upstream guide)
    if caps["livekit"]:  # LiveKit's URL on the node wherever the client can use LiveKit, never left to the proxy
        assert public["media"]["livekit"] == {"url": f"wss://{node_name}/livekit"}
    else:
        assert "livekit" not in public["media"]
    if caps.get("blocknote"):  # BlockNote's websocket and API on the node, never the proxy
        assert public["sharedNotes"] == {"serverHostname": node_name}
    else:
        assert "sharedNotes" not in public
    assert "graphqlUrl" not in public["app"]  # superseded key (docs/versions.md, Stale values of the upstream guide)
    # the operator's own key survives the merge
    assert public["app"]["appName"] == "BBB Lab"
    # a list from bbb_node_html5_extra_settings replaces the operator's list (not appended), beside kept keys
    assert public["kurento"]["cameraProfiles"] == [{"id": "high", "default": True}]
    assert public["kurento"]["enableScreensharing"] is True


def test_previous_files_are_backed_up(host):
    backups = host.run("ls /etc/bigbluebutton/bbb-html5.yml.*~").stdout.split()
    assert backups, "no backup of bbb-html5.yml"
    assert "basename: /html5client" in host.file(sorted(backups)[0]).content_string
    assert host.run("ls /etc/bigbluebutton/bbb-web.properties.*~").stdout.split()


def test_etherpad_cors(host):
    """Where Etherpad is installed (bbb-etherpad's settings.json), its cluster setting; where not (optional from
    4.0), none, and the file a 3.0 run wrote is gone (T12), with its backup."""
    if host.file(ETHERPAD).exists:
        etherpad = json.loads(host.file("/etc/bigbluebutton/etherpad.json").content_string)
        assert etherpad == {"cluster_proxies": [f"https://{PROXY}"]}
    else:
        assert not host.file("/etc/bigbluebutton/etherpad.json").exists


def test_graphql_cors(host, caps):
    if not caps["graphql"]:
        # graphql exists from BBB 3.0 on: the role writes none of its files on 2.x
        for path in ("/etc/bigbluebutton/bbb-graphql-middleware.yml", "/etc/bigbluebutton/bbb-graphql-server.env"):
            assert not host.file(path).exists, path
        return
    middleware = yaml.safe_load(host.file("/etc/bigbluebutton/bbb-graphql-middleware.yml").content_string)
    assert middleware == {"server": {"authorized_cross_origin": PROXY}}
    env = host.file("/etc/bigbluebutton/bbb-graphql-server.env").content_string
    assert f'HASURA_GRAPHQL_CORS_DOMAIN="https://{PROXY}"' in env.splitlines()
    # the package's yml-era middleware config stays untouched (T1)
    config = host.file("/usr/share/bbb-graphql-middleware/config.yml").content_string
    assert "# authorized_cross_origin: 'bbb-proxy.example.com'" in config


def test_bbb_web_cors_via_drop_in(host, node_name, host_vars):
    """T2: bbb-web CORS through a drop-in, not the conffile; T10: in effect after daemon-reload;
    T9: SameSite=None; Secure for the session cookie only where asked for (all lab hosts are one site)."""
    env = host.run("systemctl show bbb-web -p Environment").stdout
    options = (
        "JDK_JAVA_OPTIONS=-Dgrails.cors.enabled=true -Dgrails.cors.allowCredentials=true "
        f"-Dgrails.cors.allowedOrigins=https://{PROXY},https://{node_name}"
    )
    cross_site = " -Dserver.servlet.session.cookie.same-site=none -Dserver.servlet.session.cookie.secure=true"
    if host_vars.get("bbb_node_session_cookie_same_site", "auto") == "none":
        assert options + cross_site in env
    else:
        assert options in env
        assert "same-site" not in env
    assert (
        "https://https://" not in env
    )  # doubled scheme of the upstream doc (docs/versions.md, Stale values of the upstream guide)
    # the conffile /etc/default/bbb-web is not edited (T2), nor the package's application.properties (T1, T9)
    assert "JDK_JAVA_OPTIONS" not in host.file("/etc/default/bbb-web").content_string
    assert host.service("bbb-web").is_running
    # the running process got the options (the unit was restarted after the daemon-reload, T10)
    pid = host.run("systemctl show bbb-web -p MainPID --value").stdout.strip()
    assert pid not in ("", "0")
    assert options in host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout


def test_meteor_drop_ins(host, node_name, label, caps):
    """2.x: ROOT_URL/DDP drop-ins (docs/versions.md, Node side) in effect; React client: none, and 2.x leftovers
    removed (T12)."""
    for unit in METEOR_UNITS:
        dropin = host.file(f"/etc/systemd/system/{unit}.d/cluster-proxy.conf")
        if caps["graphql"]:
            assert not dropin.exists
            assert not host.file(f"/etc/systemd/system/{unit}.d/cluster.conf").exists
        else:
            assert f'Environment="ROOT_URL=https://127.0.0.1/{label}/html5client"' in dropin.content_string
            assert (
                f'Environment="DDP_DEFAULT_CONNECTION_URL=https://{node_name}/{label}/html5client"'
                in dropin.content_string
            )
    if not caps["graphql"]:
        env = host.run("systemctl show bbb-html5-frontend@1 -p Environment").stdout
        assert f"ROOT_URL=https://127.0.0.1/{label}/html5client" in env
        assert host.service("bbb-html5-frontend@1").is_running


def test_node_nginx_locations(host, label, family, caps):
    conf = host.file("/etc/bigbluebutton/nginx/zz-cluster-proxy.nginx").content_string
    assert f"location /{label}/html5client {{" in conf
    assert f"location /{label}/html5client/locales {{" in conf
    assert "location /html5client {" not in conf
    assert "location =/html5client/locale {" in conf
    if caps["graphql"]:
        static = "/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static"
        assert f"location /{label}/html5client/wasm {{" in conf
        # the client's directory as the package's file names it (3.0: /usr/share/..., 4.0: /var/bigbluebutton/...)
        (alias,) = set(re.findall(r"^\s*alias (\S+/html5-client/);", host.file(static).content_string, re.M))
        assert f"alias {alias};" in conf
        assert f"set $bbb_cors_origin 'https://{PROXY}';" in conf
        assert "$bbb_loadbalancer_node" not in conf
    else:
        assert "location @html5client" not in conf  # stays in the package file only (T5)
        assert f"location /{label}/html5client/sockjs {{" in conf
        assert f"set $bbb_loadbalancer_node https://{PROXY};" in conf
        static = "/usr/share/bigbluebutton/nginx/bbb-html5.nginx"
    if family == "2.7":
        assert f"location /{label}/html5client/__meteor__/dynamic-import/fetch {{" in conf
    assert host.run("nginx -t").rc == 0
    # the package file is not edited (T1), and every location it has now is served under the prefix
    # (re-derived on each run, so a package upgrade's new locations follow: T1)
    package = host.file(static).content_string
    assert "location /html5client {" in package
    assert f"/{label}/" not in package
    paths = re.findall(r"^\s*location\s+(/html5client[^\s{]*)\s*\{", package, re.M)
    assert paths
    for path in paths:
        assert f"location /{label}{path} {{" in conf, path


def test_slides_cors_origin_wins_over_the_package_default(host, caps):
    """T4/T7: the node's `set` (file zz-cluster-proxy.nginx, sorted after include_default.nginx) comes after
    the package's reset of the variable, so the proxy origin is in effect."""
    dump = host.run("nginx -T").stdout
    var = "$bbb_cors_origin" if caps["graphql"] else "$bbb_loadbalancer_node"
    sets = [line.strip() for line in dump.splitlines() if line.strip().startswith(f"set {var}")]
    assert sets, dump[:2000]
    assert PROXY in sets[-1]


def test_shared_notes_allow_the_proxy_s_origin_not_any(host, node_name, caps):
    """BlockNote (4.0): bbb-shared-notes-server's nginx file sets $bbb_cors_origin to * only where nothing set it
    (PR #25194); the node's cluster-proxy origin is the one its answers carry, with credentials."""
    if not caps.get("blocknote"):
        return
    _status, headers, _body = fetch(
        host, f"https://{node_name}/hocuspocus/api/documents/x/export/pdf", f"-H 'Origin: https://{PROXY}'"
    )
    assert f"access-control-allow-origin: https://{PROXY}" in headers.lower()
    assert "access-control-allow-credentials: true" in headers.lower()


def test_node_serves_client_at_its_prefix(host, node_name, label, caps):
    status, _unused, body = fetch(host, f"https://{node_name}/{label}/html5client/")
    assert status == 200
    assert f"node: {node_name}" in body
    if not caps["graphql"]:
        # meteor serves only below its ROOT_URL, which the drop-in set
        assert f"ROOT_URL: https://127.0.0.1/{label}/html5client" in body
        assert f"DDP_DEFAULT_CONNECTION_URL: https://{node_name}/{label}/html5client" in body


def test_guest_lobby_locale_redirect(host, node_name, label):
    status, headers, _unused = fetch(host, f"https://{node_name}/html5client/locale?lang=de")
    assert status == 301
    assert f"location: https://{node_name}/{label}/html5client/locale?lang=de" in headers.lower()


def test_restarts_once_per_converge_that_changed_something(host, host_vars):
    restarts = host.file("/var/lib/bbb-conf-double/restarts.log").content_string.splitlines()
    assert len(restarts) == int(host_vars.get("lab_expected_restarts", 1)), restarts
    calls = host.file("/var/log/bbb-conf-double.log").content_string.splitlines()
    # each restart, then the check after it (node_ready): the units --status lists, the secret for its API call
    assert [c.split(" ", 1)[1] for c in calls] == ["--restart", "--status", "--secret"] * len(restarts)


def test_bbb_services_running_after_restart(host, caps):
    units = ["nginx", "bbb-web"] + (["bbb-graphql-server", "bbb-graphql-middleware"] if caps["graphql"] else [])
    for unit in units:
        assert host.service(unit).is_running, unit
    # every component the node's bbb-conf lists (15 to 20: 4.0 without the optional Etherpad has the fewest), none down;
    # in a UTF-8 locale as an operator's shell (in
    # the C locale bbb-conf's ${line:N} cuts its arrow by bytes, which is not UTF-8)
    status = host.run("LC_ALL=C.UTF-8 bbb-conf --status")
    assert status.rc == 0 and status.stdout.count("[✔ - active]") >= 15 and "[✘" not in status.stdout, status.stdout
