# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Scalelite double imports recordings from its spool and serves them as Scalelite v1.8.5."""

from __future__ import annotations

import io
import tarfile
import time
import xml.etree.ElementTree as ET

from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.scalelite import (
    NODE_SECRETS,
    api,
    join,
    request,
)


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
