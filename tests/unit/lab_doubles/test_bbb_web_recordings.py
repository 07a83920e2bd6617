# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's bbb-web double records as BigBlueButton does: the recording units' markers, metadata.xml, post_publish
scripts, getRecordings."""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import STATES
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web_client import (
    api,
    start_client,
)


@pytest.mark.parametrize("family", ["3.0", "2.x"])
def test_meetings_end_and_recordings_publish_after_processing(node, tmp_path, family):
    port = node(family)
    assert "noMeetings" in api(port, "getMeetings")[2]
    api(port, "create", meetingID="rec", name="Lesson", record="true", autoStartRecording="true")
    api(port, "join", meetingID="rec", fullName="Registered only", role="VIEWER")
    listed = api(port, "getMeetings")[2]  # listed, but a join alone does not make the meeting run
    assert "<meetingID>rec</meetingID>" in listed and "<running>false</running>" in listed
    start_client(port, family, meetingID="rec", fullName="T", role="MODERATOR")
    assert "<running>true</running>" in api(port, "getMeetings")[2]
    assert "<running>true</running>" in api(port, "isMeetingRunning", meetingID="rec")[2]
    assert "<returncode>SUCCESS</returncode>" in api(port, "end", meetingID="rec")[2]
    assert "<running>false</running>" in api(port, "isMeetingRunning", meetingID="rec")[2]
    # RecordingService.shouldIncludeState: without state=, a recording still processing is not listed
    assert "<messageKey>noRecordings</messageKey>" in api(port, "getRecordings", meetingID="rec")[2]
    body = api(port, "getRecordings", meetingID="rec", state="any")[2]
    assert "<state>processing</state>" in body and "<published>false</published>" in body
    assert "<state>processing</state>" in api(port, "getRecordings", meetingID="rec", state="processing,published")[2]
    time.sleep(0.4)
    body = api(port, "getRecordings", meetingID="rec")[2]
    assert "<state>published</state>" in body
    assert "<url>https://room-a.lab.test/playback/presentation/2.3/" in body
    status_dir = tmp_path / "var/recording/status"
    assert len(list((status_dir / "published").glob("*-presentation.done"))) == 1
    assert len(list((tmp_path / "var/published/presentation").glob("*/metadata.xml"))) == 1  # nginx serves it
    # rap-starter.rb took it: raw/<id>/ made, recorded/<id>.done (bbb-web's) deleted as soon as it was queued
    assert not list((status_dir / "recorded").glob("*.done"))
    assert len(list((tmp_path / "var/recording/raw").iterdir())) == 1
    # a marker per step of the pipeline, as the record-and-playback workers write them
    for step in ("archived", "sanity"):
        assert len(list((status_dir / step).glob("*.done"))) == 1
    assert len(list((status_dir / "processed").glob("*-presentation.done"))) == 1
    # recordings survive a restart of the service
    port2 = node(family)
    assert "<state>published</state>" in api(port2, "getRecordings")[2]


@pytest.mark.parametrize(
    ("create", "client"),
    [
        ({}, True),  # autoStartRecording=false (the package default): nobody pressed record
        ({"autoStartRecording": "true"}, False),  # nobody's client ever started
    ],
)
def test_a_recorded_meeting_without_recording_marks_is_never_published(node, tmp_path, create, client):
    """archive.rb archive_has_recording_marks?: no RecordStatusEvent -> .norecord, the pipeline halts."""
    port = node()
    api(port, "create", meetingID="quiet", record="true", **create)
    if client:
        start_client(port, "3.0", meetingID="quiet", fullName="T", role="MODERATOR")
    else:
        api(port, "join", meetingID="quiet", fullName="T", role="MODERATOR")
    assert "<returncode>SUCCESS</returncode>" in api(port, "end", meetingID="quiet")[2]
    time.sleep(0.4)
    body = api(port, "getRecordings", meetingID="quiet")[2]
    assert "<messageKey>noRecordings</messageKey>" in body and "<recording>" not in body
    assert len(list((tmp_path / "var/recording/status/archived").glob("*.norecord"))) == 1
    assert not (tmp_path / "var/recording/status/published").exists()


def test_failed_processing_leaves_a_fail_marker_and_the_recording_processing(node, tmp_path):
    """process_worker.rb touches processed/<id>-<format>.fail and the chain halts (base_worker.rb): nothing is
    published, getRecordings has no failed state - the recording stays processing, listed only with state=."""
    port = node()
    api(port, "create", meetingID="bad", name="fail-recording demo", record="true", autoStartRecording="true")
    start_client(port, "3.0", meetingID="bad", fullName="T", role="MODERATOR")
    api(port, "end", meetingID="bad")
    time.sleep(0.4)
    assert "<messageKey>noRecordings</messageKey>" in api(port, "getRecordings")[2]
    body = api(port, "getRecordings", state="any")[2]
    assert "<state>processing</state>" in body and "failed" not in body
    assert list((tmp_path / "var/recording/status/processed").glob("*-presentation.fail"))
    assert not (tmp_path / "var/recording/status/published").exists()


def published_recording(port, **create):
    """A record=true meeting with a moderator's client in it, ended, past the processing time; then a round of the
    recording units (the pipeline, then the post_publish scripts, as the double's own thread runs it). Its id."""
    api(port, "create", meetingID="pub", name="Lesson", record="true", autoStartRecording="true", **create)
    start_client(port, "3.0", meetingID="pub", fullName="T", role="MODERATOR")
    api(port, "end", meetingID="pub")
    time.sleep(0.4)
    STATES[port].pipeline_step()
    body = api(port, "getRecordings", meetingID="pub")[2]
    assert "<state>published</state>" in body
    return body.split("<recordID>")[1].split("</recordID>")[0]


def test_publish_presentation_rb_writes_the_metadata_xml_that_scalelite_reads(node, tmp_path):
    """process/presentation.rb's metadata.xml (id, state, published, start_time, end_time, participants, the events'
    <meeting>, meta) as publish/presentation.rb leaves it (published, <playback> added); meta is MeetingService's
    TreeMap: the create call's meta_* (ParamsProcessorUtil.processMetaParam: lowercased, no '_' in the name) and
    meetingId, meetingName, isBreakout. Scalelite's create_from_metadata_xml reads these fields."""
    port = node()
    meta = {"meta_bbb-origin": "Greenlight", "meta_Course-Name": "Math", "meta_not_valid": "dropped"}
    record_id = published_recording(port, **meta)
    root = ET.parse(tmp_path / f"var/published/presentation/{record_id}/metadata.xml").getroot()
    assert root.tag == "recording"
    assert [child.tag for child in root] == [
        "id", "state", "published", "start_time", "end_time", "participants", "meeting", "meta", "playback",
    ]  # fmt: skip
    assert (root.findtext("id"), root.findtext("state"), root.findtext("published")) == (record_id, "published", "true")
    start, end = int(root.findtext("start_time")), int(root.findtext("end_time"))
    assert start == int(record_id.rsplit("-", 1)[1]) and end >= start  # the record id's milliseconds
    assert root.findtext("participants") == "1"
    assert root.find("meeting").attrib == {"id": record_id, "externalId": "pub", "name": "Lesson", "breakout": "false"}
    assert [(m.tag, m.text) for m in root.find("meta")] == [
        ("bbb-origin", "Greenlight"),
        ("course-name", "Math"),
        ("isBreakout", "false"),
        ("meetingId", "pub"),
        ("meetingName", "Lesson"),
    ]
    playback = root.find("playback")
    assert [child.tag for child in playback] == ["format", "link", "processing_time", "duration"]
    assert playback.findtext("format") == "presentation"
    assert playback.findtext("link") == f"https://room-a.lab.test/playback/presentation/2.3/{record_id}"
    assert int(playback.findtext("duration")) == end - start and int(playback.findtext("processing_time")) >= 0


POST_SCRIPT = """#!{python}
import sys, urllib.request
answer = urllib.request.urlopen("http://127.0.0.1:{port}/bigbluebutton/api", timeout=5).status
with open({log!r}, "a") as log:
    log.write(" ".join([{name!r}, *sys.argv[1:], str(answer)]) + "\\n")
"""


def test_run_post_scripts_runs_every_rb_of_post_publish_sorted_with_m_and_f(node, tmp_path):
    """publish_worker.rb runs run_post_scripts after the format's publish succeeded: each *.rb of post_publish,
    sorted, with -m <id> -f <format> (base_worker.rb). The script can call bbb-web meanwhile: the double does not
    hold its lock while a script runs."""
    port = node()
    scripts, log = tmp_path / "post_publish", tmp_path / "post.log"
    scripts.mkdir()
    for name in ("b.rb", "a.rb", "c.txt"):
        (scripts / name).write_text(POST_SCRIPT.format(python=sys.executable, port=port, log=str(log), name=name))
    record_id = published_recording(port)
    ran = [f"a.rb -m {record_id} -f presentation 200", f"b.rb -m {record_id} -f presentation 200"]
    assert log.read_text().splitlines() == ran
    STATES[port].pipeline_step()  # once per publish
    assert log.read_text().splitlines() == ran


def test_run_post_scripts_a_failing_script_is_only_a_warning(node, tmp_path, capsys):
    """base_worker.rb run_post_scripts: a script that fails is logged (@logger.warn "Post publish script ...
    failed") and the next one runs; the publish stays a success. A script without #! cannot run in the lab (upstream
    runs it with ruby)."""
    port = node()
    scripts, log = tmp_path / "post_publish", tmp_path / "post.log"
    scripts.mkdir()
    (scripts / "1-fails.rb").write_text(f"#!{sys.executable}\nimport sys\nsys.exit(3)\n")
    (scripts / "2-ruby.rb").write_text("puts 'a Ruby script'\n")
    (scripts / "3-ok.rb").write_text(POST_SCRIPT.format(python=sys.executable, port=port, log=str(log), name="3-ok"))
    record_id = published_recording(port)
    assert log.read_text().splitlines() == [f"3-ok -m {record_id} -f presentation 200"]
    errors = capsys.readouterr().err
    assert f"WARN Post publish script {scripts / '1-fails.rb'}/1-fails failed" in errors
    assert f"WARN Post publish script {scripts / '2-ruby.rb'}/2-ruby failed" in errors
    assert "3-ok failed" not in errors
    assert "<state>published</state>" in api(port, "getRecordings", meetingID="pub")[2]
    status = tmp_path / "var/recording/status/published"
    assert sorted(p.name for p in status.iterdir()) == [f"{record_id}-presentation.done"]
