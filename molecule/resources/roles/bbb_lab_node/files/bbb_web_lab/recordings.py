# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recordings: record-and-playback's pipeline as far as its units run (status markers, metadata.xml, post_publish
scripts) and bbb-web's getRecordings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

from bbb_web_lab import LOCK
from bbb_web_lab.api import xml


class RecordingPipeline:
    """The State's recordings (recordings.json) and the recording units' rounds."""

    def recordings(self):
        try:
            with open(self.recordings_file, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def save_recordings(self, recordings):
        tmp = self.recordings_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(recordings, handle, indent=2)
        os.replace(tmp, self.recordings_file)

    def rap_running(self, unit):
        """Whether a recording unit runs (systemd's view in the lab; --rap-units none: always, for unit tests)."""
        if self.args.rap_units == "none":
            return True
        done = subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False)  # noqa: S603, S607
        return done.returncode == 0

    def publish_due(self):
        """Move recordings through the pipeline, with BBB's status markers, as far as the recording units run:
        rap-starter.rb (bbb-rap-starter) makes raw/<id>/ and deletes recorded/<id>.done as soon as it queued the
        archive job; the workers of bbb-rap-resque-worker archive and check at once, then, after the processing time
        (--publish-delay), process and publish - or fail the process step (a meeting named with fail-recording):
        processed/<id>-presentation.fail, the chain halts (base_worker.rb), the recording stays processing."""
        recordings = self.recordings()
        status = os.path.join(self.args.recording_dir, "recording", "status")
        changed = False

        def touch(target):
            os.makedirs(os.path.join(status, os.path.dirname(target)), exist_ok=True)
            with open(os.path.join(status, target), "w", encoding="utf-8"):
                pass

        starter = worker = None
        for record_id, rec in recordings.items():
            if rec["state"] != "processing" or rec.get("failed"):
                continue
            stage = rec.get("stage", "archived")  # a recording of an earlier double: archived
            if stage == "recorded":
                starter = self.rap_running("bbb-rap-starter.service") if starter is None else starter
                if not starter:
                    continue
                os.makedirs(os.path.join(self.args.recording_dir, "recording", "raw", record_id), exist_ok=True)
                try:
                    os.remove(os.path.join(status, "recorded", record_id + ".done"))
                except OSError:
                    pass
                rec["stage"] = stage = "queued"
                changed = True
            worker = self.rap_running("bbb-rap-resque-worker.service") if worker is None else worker
            if not worker:
                continue
            if stage == "queued":
                touch(f"archived/{record_id}.done")  # archive_worker.rb
                touch(f"sanity/{record_id}.done")  # sanity_worker.rb
                rec["stage"] = stage = "archived"
                changed = True
            if stage == "archived" and time.time() >= rec["ended"] + self.args.publish_delay:
                failed = "fail-recording" in rec["name"]
                touch(f"processed/{record_id}-presentation." + ("fail" if failed else "done"))  # process_worker.rb
                rec["failed"] = failed
                if not failed:
                    published = os.path.join(self.args.recording_dir, "published", "presentation", record_id)
                    os.makedirs(published, exist_ok=True)
                    with open(os.path.join(published, "metadata.xml"), "w", encoding="utf-8") as handle:
                        handle.write(self.metadata_xml(record_id, rec))  # publish/presentation.rb
                    touch(f"published/{record_id}-presentation.done")  # publish_worker.rb
                    rec["state"] = "published"
                    self.post_publish_due.append((record_id, "presentation"))  # run_post_scripts, after the lock
                rec["stage"] = "done"
                changed = True
        if changed:
            self.save_recordings(recordings)
        return recordings

    def metadata_xml(self, record_id, rec):
        """metadata.xml of a published presentation: the process script's (id, state, published, start_time,
        end_time, participants, the events' <meeting>, meta) as the publish script leaves it (state published,
        published true, <playback> added). A recording of an earlier double lacks start, participants and meta."""
        root = ET.Element("recording")
        start = int(rec.get("start") or record_id.rsplit("-", 1)[-1] or 0)  # the record id's milliseconds
        end = int(rec["ended"] * 1000)
        for key, value in (
            ("id", record_id),
            ("state", "published"),
            ("published", "true"),
            ("start_time", start),
            ("end_time", end),
            ("participants", rec.get("participants", 0)),
        ):
            ET.SubElement(root, key).text = str(value)
        ET.SubElement(root, "meeting", id=record_id, externalId=rec["meetingID"], name=rec["name"], breakout="false")
        meta = ET.SubElement(root, "meta")
        # MeetingService.handleCreateMeeting: a TreeMap of the meta params and meetingId, meetingName, isBreakout
        values = {**rec.get("meta", {}), "meetingId": rec["meetingID"], "meetingName": rec["name"]}
        values["isBreakout"] = "false"
        for key in sorted(values):
            ET.SubElement(meta, key).text = values[key]
        playback = ET.SubElement(root, "playback")
        host = urlparse(self.config().get("bigbluebutton.web.serverURL", "")).hostname or "localhost"
        for key, value in (
            ("format", "presentation"),
            ("link", f"https://{host}/playback/presentation/2.3/{record_id}"),  # playback_protocol://playback_host
            ("processing_time", int(max(time.time() - rec["ended"], 0) * 1000)),
            ("duration", max(end - start, 0)),  # events.rb get_recording_length: the recorded time
        ):
            ET.SubElement(playback, key).text = str(value)
        return ET.tostring(root, encoding="unicode") + "\n"

    def pipeline_step(self):
        """One round of the recording units: the pipeline under the lock, then, outside it, publish_worker's
        run_post_scripts for each format published in the round (a script may take its time: a tar, a transfer)."""
        with LOCK:
            try:
                self.publish_due()
            except OSError as error:
                sys.stderr.write(f"bbb-web-double: recording pipeline: {error}\n")
            due, self.post_publish_due = self.post_publish_due, []
        for record_id, format_name in due:
            self.run_post_scripts(record_id, format_name)

    def run_post_scripts(self, record_id, format_name):
        """base_worker.rb run_post_scripts: every *.rb of the directory, sorted, `-m <id> -f <format>`; a script
        that fails is logged as a warning and the next one runs. Upstream runs `ruby <script>`; the lab has no Ruby,
        so the double runs the interpreter the script's #! line names."""
        directory = self.args.post_scripts_dir
        try:
            scripts = sorted(n for n in os.listdir(directory) if n.endswith(".rb") and not n.startswith("."))  # glob
        except OSError:
            return  # Dir.glob of a missing directory: nothing to run
        for name in scripts:
            script = os.path.join(directory, name)
            post_type = name[: -len(".rb")]
            sys.stderr.write(f"bbb-web-double: Running post publish script {post_type}\n")
            try:
                with open(script, "rb") as handle:
                    first = handle.readline().decode(errors="replace")
                if not first.startswith("#!") or not first[2:].split():
                    raise OSError("no #! line (upstream runs it with ruby, which the lab has not)")
                command = first[2:].split() + [script, "-m", record_id, "-f", format_name]
                done = subprocess.run(  # noqa: S603 - the node's own post_publish scripts, as the rap worker runs them
                    command,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.args.post_script_timeout,
                    check=False,
                )
                output = (done.stdout + done.stderr).decode(errors="replace")
                succeeded = done.returncode == 0
            except (OSError, subprocess.SubprocessError) as error:
                output, succeeded = f"{error}\n", False
            for line in output.splitlines():
                sys.stderr.write(f"bbb-web-double: {post_type}: {line}\n")
            if not succeeded:
                sys.stderr.write(f"bbb-web-double: WARN Post publish script {script}/{post_type} failed\n")


class RecordingCalls:
    """The Handler's getRecordings."""

    def call_getRecordings(self, params, config):  # noqa: N802
        host = urlparse(config.get("bigbluebutton.web.serverURL", "")).hostname
        wanted_meetings = set(filter(None, params.get("meetingID", "").split(",")))
        wanted_records = set(filter(None, params.get("recordID", "").split(",")))
        # RecordingController.getRecordingsHandler, RecordingService.shouldIncludeState: without state=, only published
        # and unpublished recordings; state=any adds the others (processing, processed, deleted)
        states = {s.strip() for s in params.get("state", "").split(",") if s.strip()} or {"published", "unpublished"}
        items = []
        for record_id, rec in sorted(self.state.publish_due().items()):
            if (wanted_meetings and rec["meetingID"] not in wanted_meetings) or (
                wanted_records and record_id not in wanted_records
            ):
                continue
            if "any" not in states and rec["state"] not in states:
                continue
            published = os.path.join(self.state.args.recording_dir, "published", "presentation", record_id)
            if rec["state"] == "published" and not os.path.isfile(os.path.join(published, "metadata.xml")):
                # deleted beneath bbb-web (bbb-record --delete): bbb-web lists what it reads from the formats'
                # <id>/metadata.xml (bbb-common-web service/impl/RecordingServiceFileImpl.getRecordings2x)
                continue
            item = {
                "recordID": record_id,
                "meetingID": rec["meetingID"],
                "name": rec["name"],
                "published": rec["state"] == "published",
                "state": rec["state"],
            }
            if rec["state"] == "published":
                item["playback"] = {
                    "format": {"type": "presentation", "url": f"https://{host}/playback/presentation/2.3/{record_id}"}
                }
            items.append({"recording": item})
        if not items:
            self.send(
                200,
                xml(
                    returncode="SUCCESS",
                    recordings="",
                    messageKey="noRecordings",
                    message="There are no recordings for the meeting(s).",
                ),
            )
            return
        self.send(200, xml(returncode="SUCCESS", recordings=items))
