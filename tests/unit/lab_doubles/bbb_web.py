# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double (molecule/resources/roles/bbb_lab_node/files/bbb_web_double.py) in-process, for the
double's contract tests and for the modules that talk to a node's API (node_ready)."""

from __future__ import annotations

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.programs import NODE_FILES, serve
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.programs import load as load_program

SOURCE = NODE_FILES / "bbb_web_double.py"
SECRET = "lab-secret-never-in-a-response"
PROXY = "https://proxy.lab.test"
STATES = {}  # port -> the double's State: STATES[port].pipeline_step() runs a round of its recording units


def load():
    return load_program(SOURCE)


RELEASES = {"2.x": "2.7.12", "3.0": "3.0.30", "4.0": "4.0.0-rc.1"}  # the release file of a double per family


def start_bbb_web(
    tmp_path,
    monkeypatch,
    servers,
    family="3.0",
    graphql_override="server:\n  authorized_cross_origin: 'proxy.lab.test'\n",
    graphql_env="",
    properties="",
    turn_config=None,
    livekit_keys="keys:\n  room-a-lab-key: room-a-lab-livekit-secret\n",
):
    """turn_config: the text of /etc/bigbluebutton/turn-stun-servers.xml (None: no such file); livekit_keys: the text
    of /etc/bigbluebutton/livekit.yaml (bbb-livekit's keys)."""
    package = tmp_path / "bigbluebutton.properties"
    package.write_text(
        "bigbluebutton.web.serverURL=http://bigbluebutton.example.com\n"
        "defaultHTML5ClientUrl=${bigbluebutton.web.serverURL}/html5client\n"
        "defaultGuestWaitURL=${bigbluebutton.web.serverURL}/html5client/guestWait\n"
        "defaultGuestPolicy=ALWAYS_ACCEPT\nsecuritySalt=package-default\n"
    )
    suffix = "join" if family == "2.x" else ""
    override = tmp_path / "bbb-web.properties"
    override.write_text(
        "bigbluebutton.web.serverURL=https://room-a.lab.test\n"
        f"securitySalt={SECRET}\n"
        f"defaultHTML5ClientUrl={PROXY}/room-a/html5client/{suffix}\n"
        "defaultGuestWaitURL=https://room-a.lab.test/room-a/html5client/guestWait\n"
        f"accessControlAllowOrigin={PROXY}\n"
        "graphqlWebsocketUrl=wss://room-a.lab.test/graphql\n" + properties
    )
    release = tmp_path / "release"
    release.write_text(f"BIGBLUEBUTTON_RELEASE={RELEASES[family]}\n")
    html5 = tmp_path / "bbb-html5.yml"
    html5.write_text(
        "public:\n  app:\n    basename: /room-a/html5client\n  kurento:\n    wsUrl: wss://room-a.lab.test/bbb-webrtc-sfu\n"
    )
    defaults = tmp_path / "settings.yml"
    defaults.write_text("public:\n  app:\n    basename: /html5client\n    appName: BBB\n  list: [1, 2]\n")
    monkeypatch.setenv(
        "JDK_JAVA_OPTIONS",
        f"-Dgrails.cors.enabled=true -Dgrails.cors.allowCredentials=true -Dgrails.cors.allowedOrigins={PROXY},https://room-a.lab.test",
    )
    (tmp_path / "middleware.yml").write_text("server:\n  listen_port: 8378\n  # authorized_cross_origin: 'x'\n")
    (tmp_path / "middleware-override.yml").write_text(graphql_override)
    (tmp_path / "middleware.env").write_text(graphql_env)
    (tmp_path / "graphql-server.env").write_text(f'HASURA_GRAPHQL_CORS_DOMAIN="{PROXY}"\n')
    (tmp_path / "livekit.yaml").write_text(livekit_keys)
    if turn_config is not None:
        (tmp_path / "turn-stun-servers.xml").write_text(turn_config)
    server = load().make_server(
        [
            "--port", "0", "--state-dir", str(tmp_path / "state"), "--properties", str(package),
            "--override", str(override), "--release-file", str(release), "--html5-defaults", str(defaults),
            "--html5-override", str(html5), "--recording-dir", str(tmp_path / "var"), "--publish-delay", "0.3", "--rap-units", "none",
            "--graphql-config", str(tmp_path / "middleware.yml"),
            "--graphql-override", str(tmp_path / "middleware-override.yml"),
            "--graphql-env", str(tmp_path / "middleware.env"),
            "--post-scripts-dir", str(tmp_path / "post_publish"),
            "--graphql-server-env", str(tmp_path / "none.env"), str(tmp_path / "graphql-server.env"),
            "--log-file", str(tmp_path / "log/bbb-web.log"), "--turn-config", str(tmp_path / "turn-stun-servers.xml"),
            "--livekit-keys", str(tmp_path / "livekit.yaml"),
        ]
    )  # fmt: skip
    port = serve(server, servers)
    STATES[port] = server.RequestHandlerClass.state
    return port
