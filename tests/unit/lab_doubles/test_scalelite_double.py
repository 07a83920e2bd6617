# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's Scalelite double behaves as Scalelite v1.8.5 in front of two bbb-web doubles."""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import io
import json
import sys
import tarfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
NODE_SOURCE = ROOT / "molecule/resources/roles/bbb_lab_node/files/bbb_web_double.py"
SOURCE = ROOT / "molecule/resources/roles/bbb_lab_scalelite/files/scalelite_double.py"
POST_PUBLISH = ROOT / "molecule/resources/roles/bbb_lab_node/files/scalelite_post_publish.py"
LB_SECRET = "lb-secret-never-in-a-response"
NODE_SECRETS = {"room-a": "node-a-secret-never-shown", "room-b": "node-b-secret-never-shown"}
ALL_SECRETS = [LB_SECRET, *NODE_SECRETS.values()]
NODE_STATES = {}  # node port -> the bbb-web double's state


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    server = load("bbb_web_double", NODE_SOURCE).make_server(
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
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    started.append(server)
    NODE_STATES[server.server_address[1]] = server.RequestHandlerClass.state
    return server.server_address[1]


@pytest.fixture
def lab(tmp_path):
    """Two bbb-web doubles (room-a, room-b) and the Scalelite double in front; returns a helper object."""
    started = []

    (tmp_path / "spool").mkdir()  # shared by the nodes and Scalelite, as the lab's NFS-like volume

    class Lab:
        nodes = {name: start_node(tmp_path, name, started) for name in NODE_SECRETS}
        state_dir = tmp_path / "scalelite"
        spool = tmp_path / "spool"
        published = tmp_path / "lb/published"
        unpublished = tmp_path / "lb/unpublished"

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
            path = tmp_path / "config.json"
            path.write_text(json.dumps(config))
            server = load("scalelite_double", SOURCE).make_server(
                ["--listen", "127.0.0.1", "--port", "0", "--config", str(path), "--state-dir", str(self.state_dir),
                 "--poll-interval", "0", "--allow-http", "--spool-dir", str(self.spool),
                 "--publish-dir", str(self.published), "--unpublish-dir", str(self.unpublished)]
            )  # fmt: skip
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
            started.append(server)
            self.port = server.server_address[1]
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

    yield Lab()
    for server in started:
        server.shutdown()
        server.server_close()


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


def test_get_recordings_rewrites_the_playback_host_to_the_requests(lab):
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="rec", name="Lesson", record="true", autoStartRecording="true")
    join(port, meetingID="rec", fullName="T", role="MODERATOR")
    api(port, "end", meetingID="rec")
    lab.run_recording_units()  # still processing on the node: no tar in the spool, nothing imported
    body = api(port, "getRecordings", host="lb.lab.test")[2]
    assert "<messageKey>noRecordings</messageKey>" in body
    assert "<message>There are not recordings for the meetings</message>" in body
    time.sleep(0.5)
    lab.run_recording_units()  # published; the node's post_publish script drops the tar into the spool
    body = api(port, "getRecordings", host="lb.lab.test", meetingID="rec")[2]
    assert "<url>http://lb.lab.test/playback/presentation/2.3/" in body
    assert ".lab.test/playback" in body and "room-a.lab.test" not in body and "room-b.lab.test" not in body
    record_id = body.split("<recordID>")[1].split("</recordID>")[0]
    assert f"<recordID>{record_id}</recordID>" in api(port, "getRecordings", recordID=record_id[:12])[2]  # prefix
    assert "noRecordings" in api(port, "getRecordings", meetingID="other")[2]
    status, _unused, metadata = request(port, f"/presentation/{record_id}/metadata.xml")
    assert status == 200 and f"<id>{record_id}</id>" in metadata  # the file the node published, imported
    assert request(port, "/presentation/no-such-recording/metadata.xml")[0] == 404
    assert request(port, f"/recording/{record_id}/presentation")[0] == 307
    assert request(port, f"/playback/presentation/2.3/{record_id}")[0] == 200  # the static player (nginx try_files)


def spool_tar(path, files):
    """A tar as scalelite_post_publish.rb makes it: members <format>/<record_id>/..."""
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


RECORD_ID = "0123456789abcdef0123456789abcdef01234567-1700000000000"


def metadata_xml(state="available", published="true", meta_extra="", playback_format="presentation"):
    """A node's published metadata.xml (publish/presentation.rb), screenshare's state bug (available) included."""
    record_id = RECORD_ID
    return (
        f"<recording><id>{record_id}</id><state>{state}</state><published>{published}</published>"
        "<start_time>1700000000000</start_time><end_time>1700000150000</end_time><participants>3</participants>"
        f'<meeting id="{record_id}" externalId="ext-1" name="Lesson" breakout="false"/>'
        "<meta><bbb-origin>Greenlight</bbb-origin><isBreakout>false</isBreakout><meetingId>ext-1</meetingId>"
        f"<meetingName>Lesson</meetingName>{meta_extra}</meta>"
        f"<playback><format>{playback_format}</format>"
        f"<link>https://room-a.lab.test/playback/presentation/2.3/{record_id}?t=1</link>"
        "<processing_time>4000</processing_time><duration>150000</duration></playback></recording>"
    ).encode()


def test_recordings_watch_imports_the_tar_that_post_publish_dropped_into_the_spool(lab):
    """recordings:watch + RecordingImporter.import: the node's scalelite_post_publish.rb leaves <id>.tar in the
    spool; the importer reads it, moves presentation/<id> into the publish dir and deletes the tar."""
    port = lab.start().port
    lab.poll()
    api(port, "create", meetingID="spooled", name="Spooled", record="true", autoStartRecording="true")
    join(port, meetingID="spooled", fullName="T", role="MODERATOR")
    node = lab.placed("spooled")
    api(port, "end", meetingID="spooled")
    time.sleep(0.3)
    lab.run_recording_units()
    tars = list(lab.spool.glob("*.tar"))
    assert len(tars) == 1
    record_id = tars[0].name[: -len(".tar")]
    assert (lab.state_dir.parent / node / f"var/recording/status/published/{record_id}-sender.done").exists()
    body = api(port, "getRecordings", meetingID="spooled")[2]
    assert f"<recordID>{record_id}</recordID>" in body and "<name>Spooled</name>" in body
    assert "<published>true</published>" in body and "<state>published</state>" in body
    assert not list(lab.spool.iterdir())  # imported: the tar is deleted
    assert (lab.published / "presentation" / record_id / "metadata.xml").read_text().startswith("<recording>")


def test_create_from_metadata_xml_reads_the_recordings_fields(lab):
    """models/recording.rb create_from_metadata_xml: id, meta/meetingId, meta/meetingName, published, participants,
    state ('available' read as 'published'), start/end time, metadata without isBreakout/meetingId/meetingName,
    one format: url = the link's request_uri, length = duration / 60000 rounded (2.5 -> 3), no processingTime."""
    port = lab.start().port
    spool_tar(lab.spool / "one.tar", {f"presentation/{RECORD_ID}/metadata.xml": metadata_xml()})
    body = api(port, "getRecordings", host="lb.lab.test")[2]
    item = ET.fromstring(body).find("recordings/recording")
    fields = {child.tag: child.text for child in item if len(child) == 0}
    assert fields == {
        "recordID": RECORD_ID,
        "meetingID": "ext-1",
        "internalMeetingID": RECORD_ID,
        "name": "Lesson",
        "published": "true",
        "state": "published",
        "startTime": "1700000000000",
        "endTime": "1700000150000",
        "participants": "3",
    }
    assert [(m.tag, m.text) for m in item.find("metadata")] == [("bbb-origin", "Greenlight")]
    formats = item.findall("playback/format")
    assert [{c.tag: c.text for c in f} for f in formats] == [
        {"type": "presentation", "url": f"http://lb.lab.test/playback/presentation/2.3/{RECORD_ID}?t=1", "length": "3"}
    ]
    # the same recording again: updated in place, metadata merged by key; now unpublished -> the unpublish dir
    again = metadata_xml(state="unpublished", published="false", meta_extra="<course>Math</course>")
    spool_tar(lab.spool / "two.tar", {f"presentation/{RECORD_ID}/metadata.xml": again})
    body = api(port, "getRecordings", state="any")[2]
    assert body.count("<recording>") == 1 and "<published>false</published>" in body
    assert "<bbb-origin>Greenlight</bbb-origin>" in body and "<course>Math</course>" in body
    assert (lab.unpublished / "presentation" / RECORD_ID / "metadata.xml").exists()
    assert not (lab.published / "presentation" / RECORD_ID).exists()
    status, _unused, page = request(port, f"/presentation/{RECORD_ID}/metadata.xml")
    assert status == 404 and "Recording Not Found" in page  # unpublished


def test_recordings_watch_never_asks_the_nodes_for_recordings(lab, monkeypatch):
    """Scalelite has no getRecordings poll of its servers: a recording a node has published but never transferred
    (no post_publish run) is not Scalelite's."""
    port = lab.start().port
    lab.poll()
    asked = []
    original = lab.double.node_request
    monkeypatch.setattr(lab.double, "node_request", lambda server, action, *a, **k: (
        asked.append(action), original(server, action, *a, **k))[1])  # fmt: skip
    api(port, "create", meetingID="local", record="true", autoStartRecording="true")
    join(port, meetingID="local", fullName="T", role="MODERATOR")
    name = lab.placed("local")
    api(port, "end", meetingID="local")
    time.sleep(0.3)
    body = api(lab.nodes[name], "getRecordings", secret=NODE_SECRETS[name], algo="sha1")[2]
    assert "<state>published</state>" in body  # published on the node (its pipeline ran for this call)
    assert "<messageKey>noRecordings</messageKey>" in api(port, "getRecordings")[2]
    assert request(port, "/presentation/anything/metadata.xml")[0] == 404
    assert "getRecordings" not in asked and not list(lab.spool.iterdir())


def test_recordings_watch_leaves_a_tar_that_does_not_extract(lab):
    """RecordingImporter.import raises "Failed to extract tar file"; recordings:watch logs it and goes on with the
    next tar; the broken one stays in the spool and is tried again at the next scan."""
    port = lab.start().port
    (lab.spool / "a-broken.tar").write_bytes(b"not a tar archive" * 64)
    spool_tar(lab.spool / "b-good.tar", {f"presentation/{RECORD_ID}/metadata.xml": metadata_xml()})
    assert f"<recordID>{RECORD_ID}</recordID>" in api(port, "getRecordings")[2]
    assert sorted(p.name for p in lab.spool.iterdir()) == ["a-broken.tar"]
    api(port, "getRecordings")
    assert (lab.spool / "a-broken.tar").exists()


def test_deliver_resource_serves_the_imported_file(lab):
    """playback_controller.rb resource: X-Accel-Redirect to /static-resource<path>, which nginx serves from the
    publish dir (scalelite.common); only presentation, video and screenshare play inline."""
    port = lab.start().port
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    spool_tar(
        lab.spool / "files.tar",
        {
            f"presentation/{RECORD_ID}/metadata.xml": metadata_xml(),
            f"presentation/{RECORD_ID}/shapes.svg": svg,
            f"podcast/{RECORD_ID}/metadata.xml": metadata_xml(playback_format="podcast"),
            f"podcast/{RECORD_ID}/audio.ogg": b"OggS",
        },
    )
    status, headers, body = request(port, f"/presentation/{RECORD_ID}/shapes.svg")
    assert (status, headers["Content-Type"], body.encode()) == (200, "image/svg+xml", svg)
    assert "Content-Disposition" not in headers
    status, headers, body = request(port, f"/podcast/{RECORD_ID}/audio.ogg")
    assert (status, body, headers["Content-Disposition"]) == (200, "OggS", "attachment")
    status, _unused, body = request(port, f"/presentation/{RECORD_ID}/no-such-file.xml")
    assert status == 404 and "<center>nginx</center>" in body  # nginx's answer: the file is missing
    status, _unused, body = request(port, "/presentation/unknown-recording/shapes.svg")
    assert status == 404 and "Recording Not Found" in body  # the controller's answer
    assert request(port, f"/presentation/{RECORD_ID}/%2e%2e/%2e%2e/{RECORD_ID}/metadata.xml")[0] == 404
    assert request(port, f"/video/{RECORD_ID}/shapes.svg")[0] == 404  # no video format imported


def test_verify_checksum_accepts_the_algorithms_of_LOADBALANCER_CHECKSUM_ALGORITHM(lab):  # noqa: N802 - its name
    """config/application.rb: ENV.fetch('LOADBALANCER_CHECKSUM_ALGORITHM', 'SHA1:SHA256:SHA512').split(':'); the
    names are compared as written, so a lowercase list accepts nothing; SHA-384 (96 digits) never."""
    port = lab.start(checksum_algorithm="SHA256:SHA512").port
    ok = {algo: "SUCCESS" in api(port, "isMeetingRunning", algo=algo, meetingID="x")[2] for algo in ALGOS}
    assert ok == {"sha1": False, "sha256": True, "sha384": False, "sha512": True}


def test_a_lowercase_LOADBALANCER_CHECKSUM_ALGORITHM_accepts_nothing(lab):  # noqa: N802 - its name
    port = lab.start(checksum_algorithm="sha256").port
    assert not any("SUCCESS" in api(port, "isMeetingRunning", algo=algo, meetingID="x")[2] for algo in ALGOS)


ALGOS = ("sha1", "sha256", "sha384", "sha512")


def test_update_server_rejects_wrong_content_type_and_checksum(lab):
    port = lab.start().port
    lab.poll()
    good = {"id": "room-a", "server": {"state": "cordon"}}
    status, _unused, body = admin(port, "updateServer", good, content_type="application/x-www-form-urlencoded")
    assert status == 200 and "<messageKey>unsupportedContentType</messageKey>" in body
    status, _unused, body = admin(port, "updateServer", good, secret=NODE_SECRETS["room-a"])
    assert status == 200 and "<messageKey>checksumError</messageKey>" in body
    path = "/scalelite/api/updateServer"
    assert "checksumError" in request(port, path, "POST", json.dumps(good), {"Content-Type": "application/json"})[2]
    assert lab.servers()["room-a"]["state"] == "enabled"  # nothing was changed
    status, _unused, body = admin(port, "updateServer", {"id": "room-a", "server": {"state": "pause"}})
    assert (status, json.loads(body)) == (400, {"error": "Invalid state parameter: pause"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-a"})
    assert (status, json.loads(body)) == (400, {"error": "param is missing or the value is empty: server"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-z", "server": {"state": "cordon"}})
    assert (status, json.loads(body)) == (404, {"error": "Couldn't find server with id=room-z"})
    status, _unused, body = admin(port, "updateServer", {"id": "room-a", "server": {"load_multiplier": 0}})
    assert (status, json.loads(body)) == (400, {"error": "Load-multiplier must be a non-zero number"})
    assert "unsupportedRequest" in admin(port, "updateServer")[2]  # GET is not routed
    # the body is not covered by the checksum: the same query signs any body
    status, _unused, body = admin(port, "updateServer", good)
    assert status == 200 and json.loads(body)["state"] == "cordoned"


def test_get_servers_and_server_info_shapes(lab):
    port = lab.start(states={"room-b": "disabled"}).port
    lab.poll()
    status, headers, body = admin(port, "getServers")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    servers = json.loads(body)
    assert [s["id"] for s in servers] == ["room-a", "room-b"]
    assert set(servers[0]) == {
        "id",
        "url",
        "secret",
        "tag",
        "bbb_version",
        "state",
        "load",
        "load_multiplier",
        "online",
    }
    assert servers[0]["state"] == "enabled" and servers[0]["load"] == 0.0 and servers[0]["online"] == "online"
    assert servers[1]["state"] == "disabled" and servers[1]["load"] == "unavailable"
    status, _unused, body = admin(port, "getServerInfo", id="room-b")
    assert status == 200 and json.loads(body)["url"].endswith("/bigbluebutton/api")
    assert admin(port, "getServerInfo", id="nope")[0] == 404
    assert "checksumError" in request(port, "/scalelite/api/getServers")[2]


def test_admin_calls_are_logged_without_secrets_and_state_survives_a_restart(lab):
    port = lab.start().port
    lab.poll()
    admin(port, "updateServer", {"id": "room-a", "server": {"state": "cordon", "secret": NODE_SECRETS["room-b"]}})
    admin(port, "getServers")
    log = (lab.state_dir / "calls.log").read_text()
    entries = [json.loads(line) for line in log.splitlines()]
    assert [(e["call"], e["status"]) for e in entries] == [("updateServer", 200), ("getServers", 200)]
    assert entries[0]["body"]["server"]["state"] == "cordon"
    assert "checksum" not in log and all(secret not in log for secret in ALL_SECRETS)
    assert oct((lab.state_dir / "state.json").stat().st_mode & 0o777) == "0o600"
    lab.start()  # a restart with the same configuration keeps the runtime state
    assert lab.servers()["room-a"]["state"] == "cordoned"


def test_unknown_paths_answer_as_rails_does(lab):
    port = lab.start().port
    status, _unused, body = request(port, "/no/such/path")
    assert status == 200 and "<messageKey>unsupportedRequest</messageKey>" in body
    assert request(port, "/bigbluebutton/api/publishRecordings")[0] == 501  # never a silent success
