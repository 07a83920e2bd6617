# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Scalelite double in-process in front of two bbb-web doubles (the fixture lab, conftest.py), and a
client's calls to it."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.programs import (
    NODE_FILES,
    SCALELITE_FILES,
    load,
    serve,
)

NODE_SOURCE = NODE_FILES / "bbb_web_double.py"
SOURCE = SCALELITE_FILES / "scalelite_double.py"
POST_PUBLISH = NODE_FILES / "scalelite_post_publish.py"
LB_SECRET = "lb-secret-never-in-a-response"
NODE_SECRETS = {"room-a": "node-a-secret-never-shown", "room-b": "node-b-secret-never-shown"}
ALL_SECRETS = [LB_SECRET, *NODE_SECRETS.values()]
NODE_STATES = {}  # node port -> the bbb-web double's state


def start_node(tmp_path, name, started):
    base = tmp_path / name
    base.mkdir()
    (base / "bigbluebutton.properties").write_text(
        "bigbluebutton.web.serverURL=http://bigbluebutton.example.com\n"
        "defaultHTML5ClientUrl=${bigbluebutton.web.serverURL}/html5client\nsecuritySalt=package-default\n"
    )
    (base / "bbb-web.properties").write_text(
        f"bigbluebutton.web.serverURL=https://{name}.lab.test\nsecuritySalt={NODE_SECRETS[name]}\n"
        f"defaultHTML5ClientUrl=https://{name}.lab.test/html5client/\n"
    )
    (base / "release").write_text("BIGBLUEBUTTON_RELEASE=3.0.30\n")
    (base / "settings.yml").write_text("public:\n  app:\n    basename: /html5client\n")
    (base / "bbb-html5.yml").write_text("public: {}\n")
    for file in ("middleware.yml", "middleware-override.yml", "middleware.env"):
        (base / file).write_text("")
    # /usr/local/bigbluebutton/core/scripts as the lab node role lays it out: bigbluebutton.yml (bbb-record-core),
    # scalelite.yml and post_publish/scalelite_post_publish.rb (the stand-in, run with this test's interpreter)
    scripts = base / "scripts"
    (scripts / "post_publish").mkdir(parents=True)
    (scripts / "bigbluebutton.yml").write_text(
        f"recording_dir: {base / 'var/recording'}\npublished_dir: {base / 'var/published'}\n"
    )
    (scripts / "scalelite.yml").write_text(
        f"work_dir: {base / 'var/recording/scalelite'}\nspool_dir: {tmp_path / 'spool'}\nextra_rsync_opts: []\n"
        "delete_recording: false\n"
    )
    source = POST_PUBLISH.read_text().split("\n", 1)[1]
    (scripts / "post_publish/scalelite_post_publish.rb").write_text(f"#!{sys.executable}\n{source}")
    server = load(NODE_SOURCE).make_server(
        [
            "--port", "0", "--state-dir", str(base / "state"), "--properties", str(base / "bigbluebutton.properties"),
            "--override", str(base / "bbb-web.properties"), "--release-file", str(base / "release"),
            "--html5-defaults", str(base / "settings.yml"), "--html5-override", str(base / "bbb-html5.yml"),
            "--recording-dir", str(base / "var"), "--publish-delay", "0.2", "--rap-units", "none",
            "--graphql-config", str(base / "middleware.yml"), "--graphql-override", str(base / "middleware-override.yml"),
            "--graphql-env", str(base / "middleware.env"), "--log-file", str(base / "bbb-web.log"),
            "--post-scripts-dir", str(scripts / "post_publish"),
        ]
    )  # fmt: skip
    port = serve(server, started)
    NODE_STATES[port] = server.RequestHandlerClass.state
    return port


class ScaleliteLab:
    """Two bbb-web doubles (room-a, room-b) under tmp_path, and the Scalelite double in front of them (start)."""

    def __init__(self, tmp_path, started):
        self.tmp_path, self.started = tmp_path, started
        (tmp_path / "spool").mkdir()  # shared by the nodes and Scalelite, as the lab's NFS-like volume
        self.nodes = {name: start_node(tmp_path, name, started) for name in NODE_SECRETS}
        self.state_dir = tmp_path / "scalelite"
        self.spool = tmp_path / "spool"
        self.published = tmp_path / "lb/published"
        self.unpublished = tmp_path / "lb/unpublished"

    def start(self, states=None, multipliers=None, checksum_algorithm=None):
        config = {
            "secret": LB_SECRET,
            **({"checksum_algorithm": checksum_algorithm} if checksum_algorithm is not None else {}),
            "servers": [
                {
                    "id": name,
                    "url": f"http://127.0.0.1:{port}/bigbluebutton/api",
                    "secret": NODE_SECRETS[name],
                    "state": (states or {}).get(name, "enabled"),
                    "load_multiplier": (multipliers or {}).get(name, 1.0),
                }
                for name, port in self.nodes.items()
            ],
        }
        path = self.tmp_path / "config.json"
        path.write_text(json.dumps(config))
        server = load(SOURCE).make_server(
            ["--listen", "127.0.0.1", "--port", "0", "--config", str(path), "--state-dir", str(self.state_dir),
             "--poll-interval", "0", "--allow-http", "--spool-dir", str(self.spool),
             "--publish-dir", str(self.published), "--unpublish-dir", str(self.unpublished)]
        )  # fmt: skip
        self.port = serve(server, self.started)
        self.double = server.RequestHandlerClass.lab
        return self

    def poll(self):
        self.double.poll()

    def run_recording_units(self):
        """A round of every node's recording units: the pipeline, then the post_publish scripts."""
        for port in self.nodes.values():
            NODE_STATES[port].pipeline_step()

    def servers(self):
        return {s["id"]: s for s in json.loads(admin(self.port, "getServers")[2])}

    def placed(self, meeting_id):
        return self.double.meetings[meeting_id]["server"]


def request(port, path, method="GET", body=None, headers=None, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers={**({"Host": host} if host else {}), **(headers or {})})
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    for secret in ALL_SECRETS:
        assert secret not in text
        assert all(secret not in value for value in dict(response.getheaders()).values())
    return response.status, dict(response.getheaders()), text


def sign(call, query, secret=LB_SECRET, algo="sha256"):
    return hashlib.new(algo, (call + query + secret).encode()).hexdigest()


def api(port, call, secret=LB_SECRET, algo="sha256", host=None, **params):
    query = urlencode(params)
    checksum = sign(call, query, secret, algo)
    return request(port, f"/bigbluebutton/api/{call}?{query}{'&' if query else ''}checksum={checksum}", host=host)


def admin(port, call, body=None, content_type="application/json", secret=LB_SECRET, **params):
    query = urlencode(params)
    checksum = sign(call, query, secret)
    path = f"/scalelite/api/{call}?{query}{'&' if query else ''}checksum={checksum}"
    if body is None:
        return request(port, path)
    return request(port, path, "POST", json.dumps(body), {"Content-Type": content_type})


def join(port, **params):
    """A browser's join: Scalelite's 302, then the node's join; then the client starts (the user is present)."""
    status, headers, _unused = api(port, "join", **params)
    assert status == 302
    location = urlsplit(headers["Location"])
    answer = request(location.port, f"{location.path}?{location.query}")
    token = dict(parse_qsl(urlsplit(answer[1]["Location"]).query))["sessionToken"]
    node = NODE_STATES[location.port]
    if hasattr(node, "make_present"):  # the node double counts a user once the client has started
        node.make_present(token)
    return answer
