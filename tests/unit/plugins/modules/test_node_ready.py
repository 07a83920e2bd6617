# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""node_ready, the check after `bbb-conf --restart`: units from a fake systemd (systemctl show and journalctl as
systemd 252 prints them), the API and the graphql websocket of the lab's bbb-web double (which answers and refuses
as bbb-web and bbb-graphql-middleware do: tests/unit/lab_doubles/test_bbb_web_api.py and
test_bbb_web_graphql.py)."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from ansible.module_utils import basic
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import bbb_api
from ansible_collections.bbb.cluster_proxy.plugins.modules import node_ready
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import SECRET


@pytest.fixture
def node(bbb_web):
    """bbb-web doubles of room-a (tests/unit/conftest.py): node(family) starts one, returns its port."""
    return bbb_web


UNITS_30 = ["nginx", "freeswitch", "redis-server", "bbb-apps-akka", "bbb-graphql-middleware", "bbb-web"]
LINE = "—" * 29 + "►"


class FakeSystemd:
    """systemctl, journalctl and bbb-conf of a node whose units' state the test sets (or changes per call)."""

    def __init__(self, units, secret=SECRET):
        self.units = {u: {"ActiveState": "active", "SubState": "running", "MainPID": 100 + i, "NRestarts": 0}
                      for i, u in enumerate(units)}  # fmt: skip
        self.secret = secret
        self.on_show = []  # callables run before each systemctl show (a unit that crashes between two looks)
        self.calls = []

    def status(self):
        lines = []
        for unit, shown in self.units.items():
            state = shown["ActiveState"]
            mark = "✔" if state == "active" else "✘"
            lines.append(f"{unit} {LINE[len(unit) :]} [{mark} - {state}]")
        return "\n".join(lines) + "\n"

    def show(self, names):
        blocks = []
        for name in names:
            shown = self.units[name[: -len(".service")] if name.endswith(".service") else name]
            blocks.append(
                "\n".join(
                    [
                        f"ActiveState={shown['ActiveState']}",
                        f"SubState={shown['SubState']}",
                        f"MainPID={shown['MainPID'] if shown['ActiveState'] == 'active' else 0}",
                        f"NRestarts={shown['NRestarts']}",
                        f"ActiveEnterTimestampMonotonic={1000 * shown['MainPID']}",
                    ]
                )
            )
        return "\n\n".join(blocks) + "\n"

    def run_command(self, module, argv, **kwargs):
        self.calls.append(list(argv))
        tool = argv[0].rsplit("/", 1)[-1]
        if tool == "bbb-conf" and argv[1] == "--status":
            return 0, self.status(), ""
        if tool == "bbb-conf" and argv[1] == "--secret":
            return 0, f"\n    URL: http://127.0.0.1/bigbluebutton/\n    Secret: {self.secret}\n\n", ""
        if tool == "systemctl" and argv[1] == "show":
            for change in self.on_show:
                change(self)
            return 0, self.show(argv[argv.index("--") + 1 :]), ""
        if tool == "journalctl":
            unit = argv[argv.index("-u") + 1]
            lines = [f"2026-12-06T06:00:0{i}+0000 room-a {unit}[4242]: line {i}" for i in range(11)]
            lines.append(
                f"2026-12-06T06:00:11+0000 room-a {unit}[4242]: CHECKSUM=0123456789abcdef0123456789abcdef01234567 length=40"
            )
            return 0, "\n".join(lines), ""
        raise AssertionError(f"unexpected command {argv}")


@pytest.fixture
def systemd(monkeypatch):
    def make(units=tuple(UNITS_30), secret=SECRET):
        fake = FakeSystemd(units, secret)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(self, argv))
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/bin/{name}")
        return fake

    return make


def args(port, **extra):
    return {"api_url": f"http://127.0.0.1:{port}/bigbluebutton/api", "timeout": 3, "settle": 0, **extra}


def meetings(port):
    query = urlencode({})
    checksum = bbb_api.checksum("getMeetings", query, SECRET)
    with urlopen(f"http://127.0.0.1:{port}/bigbluebutton/api/getMeetings?checksum={checksum}") as answer:  # noqa: S310
        return answer.read().decode()


def test_a_node_that_came_back_passes_every_check(node, systemd, run_module):
    port = node("3.0")
    fake = systemd()
    client = f"http://127.0.0.1:{port}/bigbluebutton/api"  # a URL that answers 200 (the client's, on the proxy)
    failed, result, out = run_module(node_ready.main, args(port, graphql=True, client_url=client, settle=1))
    assert not failed, result
    assert [u["unit"] for u in result["units"]] == [f"{u}.service" for u in UNITS_30]
    assert all(u["state"] == "active" for u in result["units"])
    assert (result["api"], result["graphql"], result["client_status"]) == ("SUCCESS", "connection_ack", 200)
    assert result["failed_check"] == "" and result["seconds"] >= 1  # the settle time was waited for
    assert SECRET not in out
    assert "bbb-cluster-proxy-ready-" not in meetings(port)  # the check meeting was ended
    assert ["/usr/bin/bbb-conf", "--status"] in fake.calls  # the units are those bbb-conf --status lists


def test_a_unit_in_auto_restart_fails_with_its_state_and_journal(node, systemd, run_module):
    """bbb-web's Restart=always: a bbb-web that dies at start is 'activating (auto-restart)' for RestartSec=60."""
    port = node("3.0")
    fake = systemd()
    fake.units["bbb-web"].update(ActiveState="activating", SubState="auto-restart", NRestarts=3)
    started = time.monotonic()
    failed, result, out = run_module(node_ready.main, args(port, timeout=2))
    assert failed and result["failed_check"] == "units"
    assert 2 <= time.monotonic() - started < 10  # waited for the timeout, not longer
    assert result["msg"] == "1 unit(s) not active 2 s after the restart: bbb-web.service is activating (auto-restart)"
    (unit,) = result["failed_units"]
    assert unit["unit"] == "bbb-web.service" and len(unit["journal"]) == 10
    assert unit["journal"][-2].endswith("bbb-web.service[4242]: line 10")
    assert unit["journal"][-1].endswith("CHECKSUM=[REDACTED] length=40")  # the log bundle's redaction
    assert SECRET not in out


def test_a_unit_that_restarts_during_the_settle_time_is_not_up(node, systemd, run_module):
    """Active at each look, but another process and one more restart: a crash loop, not a component that is up."""
    port = node("3.0")
    fake = systemd()
    looks = []

    def crash(fake):
        looks.append(1)
        if len(looks) > 1:  # after the first look (all active): bbb-graphql-middleware was restarted by systemd
            fake.units["bbb-graphql-middleware"].update(MainPID=999, NRestarts=1)

    fake.on_show.append(crash)
    failed, result, _out = run_module(node_ready.main, args(port, settle=1))
    assert failed and result["failed_check"] == "settle"
    assert "bbb-graphql-middleware.service is active, restarted or stopped" in result["msg"]
    assert result["msg"].startswith("1 unit(s) did not stay up for 1 s")
    assert [u["unit"] for u in result["failed_units"]] == ["bbb-graphql-middleware.service"]


def test_an_api_that_refuses_the_checksum_fails_with_bbb_webs_answer(node, systemd, run_module):
    port = node("3.0")
    systemd(secret="not-the-secret-of-this-node")
    failed, result, out = run_module(node_ready.main, args(port, timeout=1))
    assert failed and result["failed_check"] == "api"
    assert result["api"] == "FAILED (checksumError: Checksums do not match)"
    assert "did not answer getMeetings with SUCCESS within 1 s after the restart" in result["msg"]
    assert "not-the-secret-of-this-node" not in out


def test_a_bbb_web_that_does_not_answer_fails(systemd, run_module):
    systemd()
    failed, result, _out = run_module(node_ready.main, dict(api_url="http://127.0.0.1:9/bigbluebutton/api", timeout=1))
    assert failed and result["failed_check"] == "api" and result["api"].startswith("HTTP -1")


def test_a_client_that_does_not_answer_200_fails(node, systemd, run_module):
    port = node("3.0")
    systemd()
    client = f"http://127.0.0.1:{port}/bbb-30/html5client/nothing-here"
    failed, result, _out = run_module(node_ready.main, args(port, client_url=client, timeout=1))
    assert failed and result["failed_check"] == "client"
    assert result["msg"] == f"the client at {client} answered HTTP 404, not 200"


def test_the_websocket_needs_the_session_cookie_of_the_join(node):
    """bbb_api.graphql_connection_init against the double: the join's JSESSIONID makes the session (bbb-web's
    checkGraphqlAuthorization); without it bbb-graphql-middleware refuses with 4403."""
    port = node("3.0")
    api = f"http://127.0.0.1:{port}/bigbluebutton/api"
    with urlopen(bbb_api.call_url(api, "create", {"meetingID": "ws"}, SECRET)) as answer:  # noqa: S310
        assert bbb_api.parse_answer(answer.read().decode())["returncode"] == "SUCCESS"
    join = {"meetingID": "ws", "fullName": "T", "role": "MODERATOR", "redirect": "false"}
    with urlopen(bbb_api.call_url(api, "join", join, SECRET)) as answer:  # noqa: S310
        token = bbb_api.parse_answer(answer.read().decode())["session_token"]
        cookie = node_ready.session_cookie(answer.headers)
    assert cookie.startswith("JSESSIONID=")
    url, origin = f"ws://127.0.0.1:{port}/graphql", f"http://127.0.0.1:{port}"
    assert bbb_api.graphql_connection_init(url, token, origin, cookie=cookie) == ("connection_ack", "")
    assert bbb_api.graphql_connection_init(url, token, origin) == (
        "closed",
        "4403 error on trying to check authorization (check_authorization_error)",
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<html><body>502 Bad Gateway</body></html>", "XML without <response><returncode> (root <html>)"),
        ("Service Unavailable", "not XML"),
        ("", "not XML"),
    ],
)
def test_an_answer_that_is_not_bbbs_xml_is_named(text, error):
    with pytest.raises(bbb_api.ApiAnswerError, match=error.replace("(", r"\(").replace(")", r"\)")):
        bbb_api.parse_answer(text)


def test_the_checksum_is_bbbs_for_each_algorithm():
    """ParamsProcessorUtil.isChecksumSame: hash(call + query string + secret); the length tells the algorithm."""
    query = urlencode({"meetingID": "m 1", "name": "A&B"})
    lengths = {alg: len(bbb_api.checksum("create", query, "s", alg)) for alg in bbb_api.ALGORITHMS}
    assert lengths == {"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}
    assert bbb_api.checksum("create", query, "s", "sha1") == hashlib.sha1(f"create{query}s".encode()).hexdigest()  # noqa: S324
    assert bbb_api.checksum("create", query, "s") == hashlib.sha256(f"create{query}s".encode()).hexdigest()  # default
    with pytest.raises(ValueError, match="unsupported checksum algorithm 'md5'"):
        bbb_api.checksum("create", query, "s", "md5")


def test_the_documentation_parses():
    assert json.dumps(__import__("yaml").safe_load(node_ready.DOCUMENTATION))
