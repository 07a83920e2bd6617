# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the controller-side tests: run the collection's playbooks as an operator does, look at the hosts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import urlencode

import testinfra
import testinfra.utils.ansible_runner

# tests/prerequisites.py of this checkout: a missing prerequisite fails, named, unless opted out.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
import prom_text  # noqa: E402,F401 - re-exported for the metrics test (tests/prom_text.py)
from lab_nginx import reload_nginx  # noqa: E402,F401 - re-exported for the operator tests
from prerequisites import require  # noqa: E402,F401 - re-exported for the operator tests

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
NODES = sorted(RUNNER.get_hosts("bbb_nodes"))
PROXIES = sorted(RUNNER.get_hosts("bbb_proxy"))
HOSTS = PROXIES + NODES
SECRETS = [RUNNER.get_variables(n)["bbb_lab_node_secret"] for n in NODES]
CONVERGE = str(Path(__file__).resolve().parents[1] / "converge.yml")
# Everything the roles write or read, and the restart record.
WATCHED = (
    "/etc/bigbluebutton /etc/systemd/system /etc/nginx /var/lib/bbb-conf-double /etc/default/bigbluebutton-cron-config"
)


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


def snapshot(paths=WATCHED, hosts=HOSTS):
    """sha256 of every file below ``paths``, per host."""
    return {
        name: host(name).run(f"find {paths} -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum").stdout
        for name in hosts
    }


# The playbooks (short names; the lab's converge.yml counts as site) run at -vvv in this test session, each without
# a node's secret in its output (playbook() checks every run): a scenario that shares its runs with the secret check
# asserts at its end that every operator playbook is in it.
VERBOSE_RUNS = set()


def playbook(name, *args):
    """Run a playbook (an FQCN such as bbb.cluster_proxy.drift, or a path); return (rc, output).

    Fails the test if any node's shared secret appears in the output.
    """
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, name, *args]
    done = subprocess.run(
        command, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False
    )
    output = done.stdout + done.stderr
    assert_no_secret(output, [name, *args])
    if "-vvv" in args and "ESTABLISH" in output:  # connection details show only at -vvv
        short = Path(name).stem if name.endswith(".yml") else name.rsplit(".", 1)[-1]
        VERBOSE_RUNS.add({"converge": "site"}.get(short, short))
    return done.returncode, output


def assert_no_secret(output, command):
    for secret in SECRETS:
        assert secret not in output, f"a node's shared secret was printed by: {' '.join(command)}"


def bundle(path):
    """The members of a log bundle (bbb.cluster_proxy.collect's tar.gz): {name below the bundle's directory: text}.

    Fails the test if any node's shared secret is in any member (name or content)."""
    with tarfile.open(path, "r:gz") as archive:
        members = {
            member.name.split("/", 1)[1]: archive.extractfile(member).read().decode()
            for member in archive.getmembers()
            if member.isfile()
        }
    for secret in SECRETS:
        for name, text in members.items():
            assert secret not in name and secret not in text, f"a node's shared secret is in {path}: {name}"
    return members


def no_change(output):
    """True when the play recap says changed=0 for every host."""
    recap = output[output.rindex("PLAY RECAP") :]
    return all(part == "changed=0" for part in recap.split() if part.startswith("changed="))


class Run:
    """A playbook run in the background (its own process group), its output in a file, for fault tests."""

    def __init__(self, log, name, *args):
        self.log = Path(log)
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, name, *args]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
                start_new_session=True,
            )

    def output(self):
        return self.log.read_text()

    def wait_for(self, text, timeout=300):
        """Wait until ``text`` (a string, or a compiled regular expression) appears in the output (fails if the
        run ends or the time is up first)."""
        deadline = time.monotonic() + timeout
        found = text.search if hasattr(text, "search") else lambda output: text in output
        while not found(self.output()):
            assert self.process.poll() is None, f"the run ended before {text!r}:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s"
            time.sleep(0.1)

    def kill(self):
        """SIGKILL the run and everything it started, as an operator's lost session or a killed AWX job does."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def finish(self, timeout=600):
        """Wait for the end of the run; return (rc, output), failing if a node's shared secret was printed."""
        rc = self.process.wait(timeout=timeout)
        output = self.output()
        assert_no_secret(output, self.process.args)
        return rc, output


def flat(output):
    """The output with all whitespace runs folded to one space (folded YAML messages wrap anywhere)."""
    return " ".join(output.split())


def edit(name, path, sed):
    """Hand-edit ``path`` on host ``name`` with a sed expression; return the content before the edit."""
    original = host(name).file(path).content_string
    assert host(name).run(f"sed -i '{sed}' {path}").rc == 0
    return original


def restore(name, path, original):
    """Put back the content :func:`edit` returned."""
    host(name).run(f"cat > {path} <<'EOF_LAB'\n{original}EOF_LAB")
    assert host(name).file(path).content_string == original


def restarts(name):
    return host(name).file("/var/lib/bbb-conf-double/restarts.log").content_string.count("restart")


def address(name):
    """The lab host's address on the lab network."""
    return host(name).run("hostname -I").stdout.split()[0]


def walkthrough(tmp_path, *extra, hosts=()):
    """-e options of acceptance with the browser walk-through in the lab: the lab's names (the nodes, the proxy and
    ``hosts``) and CA, no media server; fails with what to install where Chromium or certutil is missing."""
    require(
        "browser",
        [tool for tool in ("chromium", "certutil") if shutil.which(tool) is None],
        "apt-get install chromium libnss3-tools",
    )
    options = {
        "bbb_acceptance_browser": True,
        "bbb_acceptance_browser_media": False,  # the lab has no SFU/media server: ICE servers are checked, not media
        "bbb_acceptance_browser_hosts": {name: address(name) for name in [*NODES, *PROXIES, *hosts]},
        "bbb_acceptance_ca_file": str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "pki" / "ca.crt"),
        "bbb_acceptance_report_dir": str(tmp_path / "report"),
    }
    return ["-e", json.dumps(options), *extra]


def api_url(node, call, **params):
    """A BBB API URL with its checksum, computed from the node's secret (never printed)."""
    secret = RUNNER.get_variables(node)["bbb_lab_node_secret"]
    query = urlencode(params)
    checksum = hashlib.sha256(
        (call + query + secret).encode()
    ).hexdigest()  # BBB's checksum (every node accepts SHA-256)
    return f"https://{node}/bigbluebutton/api/{call}?{query}&checksum={checksum}"


# A user's client starting, as the real client does after the join redirect: 2.x asks bbb-web's enter with the
# session cookie of the join (ApiController.enter), then meteor's validateAuthToken (on the node: the lab's
# loopback stand-in for akka-apps); 3.0 opens the graphql websocket with the join's session cookie and sends
# connection_init with the four headers the client sends (bbb-graphql-middleware connhandler.go,
# connectionInitHandler; bigbluebutton-html5 connection-manager), then joins with mutation userJoinMeeting and
# user_current's authToken (akka-apps UserJoinMeetingReqMsgHdlr). Until then BBB counts no user in the meeting.
_CLIENT = r"""
import base64, http.client, json, os, re, socket, ssl, sys
url, origin = sys.argv[1], sys.argv[2]
host = url.split("/")[2]
context = ssl.create_default_context()
conn = http.client.HTTPSConnection(host, context=context, timeout=10)
conn.request("GET", url.split(host, 1)[1])
answer = conn.getresponse()
body = answer.read().decode()
token = re.search(r"<session_token>([^<]+)<", body).group(1)
cookie = answer.getheader("Set-Cookie").split(";")[0]
if "/html5client/join?" in body:  # 2.x
    conn = http.client.HTTPSConnection(host, context=context, timeout=10)
    conn.request("GET", f"/bigbluebutton/api/enter?sessionToken={token}", headers={"Cookie": cookie, "Origin": origin})
    print(json.dumps(json.loads(conn.getresponse().read())["response"]))
else:  # 3.0
    raw = context.wrap_socket(socket.create_connection((host, 443), timeout=10), server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall((f"GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n"
                 "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
    stream = raw.makefile("rb")
    assert b" 101 " in stream.readline()
    while stream.readline() not in (b"\r\n", b""):
        pass
    def send(message):
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        size = bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        raw.sendall(bytes([0x81]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    def receive():
        size = stream.read(2)[1] & 0x7F
        size = int.from_bytes(stream.read(2), "big") if size == 126 else size
        return json.loads(stream.read(size))
    headers = {"X-Session-Token": token, "X-ClientSessionUUID": base64.b16encode(os.urandom(16)).decode(),
               "X-ClientType": "HTML5", "X-ClientIsMobile": "false"}
    send({"type": "connection_init", "payload": {"headers": headers}})
    answer = receive()["type"]
    if answer == "connection_ack":
        send({"id": "user", "type": "subscribe", "payload": {"query": "subscription { user_current { authToken } }"}})
        auth = receive()["payload"]["data"]["user_current"][0]["authToken"]
        receive()
        query = ("mutation UserJoin($authToken: String!, $clientType: String!, $clientIsMobile: Boolean!) "
                 "{ userJoinMeeting(authToken: $authToken, clientType: $clientType, clientIsMobile: $clientIsMobile) }")
        variables = {"authToken": auth, "clientType": "HTML5", "clientIsMobile": False}
        send({"id": "join", "type": "subscribe", "payload": {"query": query, "variables": variables}})
        assert receive()["payload"] == {"data": {"userJoinMeeting": True}}
    print(answer)
"""


def drain_retrying(node):
    """The line a run prints while bbb_node's drain waits for the meetings on ``node`` (Run.wait_for)."""
    return re.compile(rf"FAILED - RETRYING: \[{re.escape(node)}\]: .*Wait until no meeting runs on the node")


def start_client(node, meeting_id, full_name="Teacher", role="MODERATOR"):
    """Join ``meeting_id`` on ``node`` and start that user's client from the proxy host; return what it answered."""
    url = api_url(node, "join", meetingID=meeting_id, fullName=full_name, role=role, redirect="false")
    proxy = PROXIES[0]
    done = host(proxy).run(f"python3 -c '{_CLIENT}' '{url}' 'https://{proxy}'")
    assert done.rc == 0, done.stderr
    if not done.stdout.startswith("{"):
        return done.stdout.strip()  # 3.0: graphql's answer to connection_init
    entered = json.loads(done.stdout)
    assert entered["returncode"] == "SUCCESS", entered
    query = urlencode(
        {"meetingId": entered["meetingID"], "userId": entered["internalUserID"], "authToken": entered["authToken"]}
    )
    return host(node).run(f"curl -sS 'http://127.0.0.1:8090/bigbluebutton/lab/validate-auth-token?{query}'").stdout
