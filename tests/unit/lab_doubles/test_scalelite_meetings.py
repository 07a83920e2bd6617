# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Scalelite double places and routes meetings as Scalelite v1.8.5 in front of two bbb-web doubles."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.scalelite import (
    NODE_SECRETS,
    admin,
    api,
    join,
    request,
    sign,
)


def test_checksums_over_the_loadbalancer_secret_only(lab):
    port = lab.start().port
    lab.poll()
    status, _unused, body = request(port, "/bigbluebutton/api")
    assert status == 200 and "<returncode>SUCCESS</returncode>" in body and "<version>2.0</version>" in body
    for algo in ("sha1", "sha256", "sha512"):
        assert "<returncode>SUCCESS</returncode>" in api(port, "isMeetingRunning", algo=algo, meetingID="x")[2]
    for bad in (
        api(port, "isMeetingRunning", secret=NODE_SECRETS["room-a"], meetingID="x"),  # a node's secret is not the LB's
        api(port, "isMeetingRunning", algo="md5", meetingID="x"),  # wrong length
        request(port, "/bigbluebutton/api/isMeetingRunning?meetingID=x"),
        request(
            port, f"/bigbluebutton/api/isMeetingRunning?meetingID=y&checksum={sign('isMeetingRunning', 'meetingID=x')}"
        ),
    ):
        assert (
            bad[0] == 200
            and "<returncode>FAILED</returncode>" in bad[2]
            and "<messageKey>checksumError</messageKey>" in bad[2]
        )
    # the checksum covers the call name
    query = "meetingID=x"
    assert (
        "checksumError"
        in request(port, f"/bigbluebutton/api/getMeetingInfo?{query}&checksum={sign('isMeetingRunning', query)}")[2]
    )
    assert "unsupportedRequest" in request(port, "/bigbluebutton/api/nosuchcall")[2]
    assert "unsupportedRequest" in request(port, "/bigbluebutton/api/join", "POST")[2]  # join is GET only


def test_servers_are_unavailable_until_polled(lab):
    port = lab.start().port
    body = api(port, "create", meetingID="early")[2]
    assert "<messageKey>internalError</messageKey>" in body and "Could not find any available servers." in body
    assert {s["online"] for s in lab.servers().values()} == {"offline"}
    lab.poll()
    assert {s["online"] for s in lab.servers().values()} == {"online"}
    assert "<returncode>SUCCESS</returncode>" in api(port, "create", meetingID="early")[2]


def test_placement_is_lowest_load_not_round_robin(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="busy")  # equal loads (0, 0): the lower id wins, as Redis orders equal scores
    assert lab.placed("busy") == "room-a"
    join(port, meetingID="busy", fullName="T", role="MODERATOR")
    lab.poll()  # a meeting younger than 15 minutes counts as 15 users (LOAD_MIN_USER_COUNT)
    servers = lab.servers()
    assert (servers["room-a"]["load"], servers["room-b"]["load"]) == (15.0, 0.0)
    for index in range(15):  # all 15 land on room-b (load 0 .. 14 < 15), not alternately
        assert "<returncode>SUCCESS</returncode>" in api(port, "create", meetingID=f"m{index}")[2]
        assert lab.placed(f"m{index}") == "room-b"
    assert lab.servers()["room-b"]["load"] == 15.0
    api(port, "create", meetingID="tie")
    assert lab.placed("tie") == "room-a"
    # an existing meetingID sticks to its server and adds no load
    api(port, "create", meetingID="m0")
    assert lab.placed("m0") == "room-b" and lab.servers()["room-b"]["load"] == 15.0


def test_a_cordoned_server_with_no_load_is_disabled_by_the_poller(lab):
    port = lab.start(states={"room-b": "cordoned"}).port
    assert lab.servers()["room-b"]["state"] == "cordoned"
    lab.poll()
    assert lab.servers()["room-b"]["state"] == "disabled"
    admin(port, "updateServer", {"id": "room-b", "server": {"state": "enable"}})
    assert lab.servers()["room-b"]["load"] == "unavailable"  # no load until the next poll: not placed
    for index in range(3):
        api(port, "create", meetingID=f"p{index}")
        assert lab.placed(f"p{index}") == "room-a"
    lab.poll()
    # room-a's node lists its 3 meetings (getMeetings lists a meeting nobody joined yet); younger than
    # LOAD_JOIN_BUFFER_TIME each counts LOAD_MIN_USER_COUNT (poll.rake): room-a 45, room-b 0
    api(port, "create", meetingID="next")
    assert lab.placed("next") == "room-b"
    api(port, "create", meetingID="next2")
    assert lab.placed("next2") == "room-b"


def test_load_multiplier_weights_the_placement(lab):
    port = lab.start(multipliers={"room-a": 3.0}).port
    lab.poll()
    placed = []
    for index in range(4):
        api(port, "create", meetingID=f"w{index}")
        placed.append(lab.placed(f"w{index}"))
    assert placed == ["room-a", "room-b", "room-b", "room-b"]  # a: 0 -> 3; b: 0 -> 1 -> 2 -> 3
    servers = lab.servers()
    assert servers["room-a"]["load_multiplier"] == "3.0" and servers["room-b"]["load_multiplier"] == "1.0"


def test_join_redirects_to_the_nodes_join_which_the_node_accepts(lab):
    port = lab.start().port
    lab.poll()
    created = api(port, "create", meetingID="j", name="Join me")[2]
    assert "<returncode>SUCCESS</returncode>" in created and "<internalMeetingID>" in created
    node = lab.placed("j")
    status, headers, _unused = api(port, "join", meetingID="j", fullName="Ann Example", role="MODERATOR")
    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == f"http://127.0.0.1:{lab.nodes[node]}"
    assert location.path == "/bigbluebutton/api/join"
    params = dict(parse_qsl(location.query))
    assert params["fullName"] == "Ann Example" and params["meetingID"] == "j"
    unsigned = location.query.rsplit("&checksum=", 1)[0]
    assert params["checksum"] == hashlib.sha256(("join" + unsigned + NODE_SECRETS[node]).encode()).hexdigest()
    status, headers, _unused = request(lab.nodes[node], f"{location.path}?{location.query}")  # follow it
    assert status == 302 and headers["Location"].startswith(f"https://{node}.lab.test/html5client/?sessionToken=")
    # unknown meeting: HTTP 200 FAILED notFound
    status, _unused, body = api(port, "join", meetingID="nope", fullName="x")
    assert status == 200 and "<messageKey>notFound</messageKey>" in body


def test_cordoned_server_accepts_joins_but_no_new_meetings(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="c1")
    assert lab.placed("c1") == "room-a"
    status, _unused, body = admin(port, "updateServer", {"id": "room-a", "server": {"state": "cordon"}})
    assert status == 200 and json.loads(body)["state"] == "cordoned" and json.loads(body)["load"] == 1.0
    assert join(port, meetingID="c1", fullName="T", role="MODERATOR")[0] == 302
    for index in range(3):
        api(port, "create", meetingID=f"new{index}")
        assert lab.placed(f"new{index}") == "room-b"
    api(port, "create", meetingID="c1")  # still running on the cordoned server: it stays there
    assert lab.placed("c1") == "room-a"
    # the poller disables a cordoned server once its load is 0
    lab.poll()
    assert lab.servers()["room-a"]["state"] == "cordoned"  # c1 has an attendee
    api(port, "end", meetingID="c1")
    lab.poll()
    servers = lab.servers()
    assert servers["room-a"]["state"] == "disabled" and servers["room-a"]["load"] == "unavailable"


def test_stale_meeting_on_a_cordoned_server_is_placed_again(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="stale")  # created, nobody joined: not running on room-a
    assert lab.placed("stale") == "room-a"
    admin(port, "updateServer", {"id": "room-a", "server": {"state": "cordon"}})
    api(port, "create", meetingID="stale")
    assert lab.placed("stale") == "room-b"


def test_disabled_server_join_is_upstreams_http_500(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="d")
    admin(port, "updateServer", {"id": lab.placed("d"), "server": {"state": "disable"}})
    assert api(port, "join", meetingID="d", fullName="x")[0] == 500


def test_offline_after_two_failed_polls(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="off")
    lab.double.servers["room-a"]["url"] = "http://127.0.0.1:9/bigbluebutton/api"  # the node stops answering
    lab.poll()
    assert lab.servers()["room-a"]["online"] == "online"  # one failure is not enough
    lab.poll()
    servers = lab.servers()
    assert servers["room-a"]["online"] == "offline" and servers["room-a"]["load"] == "unavailable"
    assert (
        "<messageKey>notFound</messageKey>" in api(port, "join", meetingID="off", fullName="x")[2]
    )  # meetings cleared
    api(port, "create", meetingID="after")
    assert lab.placed("after") == "room-b"


def test_meeting_calls_are_routed_to_the_meetings_server(lab):
    port = lab.start().port
    lab.poll()
    assert "noMeetings" in api(port, "getMeetings")[2]
    api(port, "create", meetingID="r1")
    api(port, "create", meetingID="r2")
    assert {lab.placed("r1"), lab.placed("r2")} == {"room-a", "room-b"}
    for meeting_id in ("r1", "r2"):
        join(port, meetingID=meeting_id, fullName="T", role="MODERATOR")
    body = api(port, "getMeetings")[2]
    assert "<meetingID>r1</meetingID>" in body and "<meetingID>r2</meetingID>" in body
    assert "<running>true</running>" in api(port, "isMeetingRunning", meetingID="r2")[2]
    assert "<participantCount>1</participantCount>" in api(port, "getMeetingInfo", meetingID="r1")[2]
    # a disabled server's meetings are left out of getMeetings
    admin(port, "updateServer", {"id": lab.placed("r1"), "server": {"state": "disable"}})
    body = api(port, "getMeetings")[2]
    assert "<meetingID>r1</meetingID>" not in body and "<meetingID>r2</meetingID>" in body
    assert "<messageKey>notFound</messageKey>" in api(port, "getMeetingInfo", meetingID="nope")[2]
    assert "<running>false</running>" in api(port, "isMeetingRunning", meetingID="nope")[2]
    assert "<messageKey>notFound</messageKey>" in api(port, "end", meetingID="nope")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "end", meetingID="r2")[2]
    assert "<messageKey>missingParamMeetingID</messageKey>" in api(port, "create")[2]


def test_create_forwards_the_xml_body(lab):
    port = lab.start().port
    lab.poll()
    query = "meetingID=slides"
    path = f"/bigbluebutton/api/create?{query}&checksum={sign('create', query)}"
    modules = "<modules><module name='presentation'></module></modules>"
    assert (
        "<returncode>SUCCESS</returncode>"
        in request(port, path, "POST", modules, {"Content-Type": "application/xml"})[2]
    )
    body = request(port, path, "POST", modules, {"Content-Type": "application/json"})[2]
    assert "<messageKey>unsupportedContentType</messageKey>" in body


ALGOS = ("sha1", "sha256", "sha384", "sha512")


def test_verify_checksum_accepts_the_algorithms_of_LOADBALANCER_CHECKSUM_ALGORITHM(lab):  # noqa: N802 - its name
    """config/application.rb: ENV.fetch('LOADBALANCER_CHECKSUM_ALGORITHM', 'SHA1:SHA256:SHA512').split(':'); the
    names are compared as written, so a lowercase list accepts nothing; SHA-384 (96 digits) never."""
    port = lab.start(checksum_algorithm="SHA256:SHA512").port
    ok = {algo: "SUCCESS" in api(port, "isMeetingRunning", algo=algo, meetingID="x")[2] for algo in ALGOS}
    assert ok == {"sha1": False, "sha256": True, "sha384": False, "sha512": True}


def test_a_lowercase_LOADBALANCER_CHECKSUM_ALGORITHM_accepts_nothing(lab):  # noqa: N802 - its name
    port = lab.start(checksum_algorithm="sha256").port
    assert not any("SUCCESS" in api(port, "isMeetingRunning", algo=algo, meetingID="x")[2] for algo in ALGOS)
