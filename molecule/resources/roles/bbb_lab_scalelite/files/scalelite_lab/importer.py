# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recording import: the spool's tars (lib/tasks/recordings.rake recordings:watch, lib/recording_importer.rb) and
the recordings they make (models/recording.rb)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

from scalelite_lab.ruby import request_uri, ruby_round, ruby_to_f, ruby_to_i

INTERNAL_METADATA = {"isBreakout", "meetingId", "meetingName"}  # models/recording.rb INTERNAL_METADATA


def extract_tar(filename, directory):
    """tar --extract --file <filename> in <directory>. Lab: only files and directories inside it (GNU tar would
    extract links and devices too)."""
    with tarfile.open(filename) as tar:
        members = tar.getmembers()
        for member in members:
            name = os.path.normpath(member.name)
            if os.path.isabs(name) or name == ".." or name.startswith("../") or not (member.isfile() or member.isdir()):
                raise ValueError(f"the lab double refuses the member {member.name!r}")
        tar.extractall(directory, members=members, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))


class RecordingImporter:
    """The Lab's importer."""

    # --- recording import (lib/tasks/recordings.rake recordings:watch, lib/recording_importer.rb) ---------------
    def import_recordings(self):
        """recordings:watch: each <RECORDING_SPOOL_DIR>/*.tar in name order through RecordingImporter.import; an
        import that raises is logged and its tar stays, for the next scan. Upstream scans every `latency` (30 s); the
        double scans when asked (before getRecordings and playback): the importer's poll. It never asks a node."""
        spool = self.args.spool_dir
        try:
            os.makedirs(spool, exist_ok=True)  # FileUtils.mkdir_p(dir)
            tars = sorted(glob.glob(os.path.join(glob.escape(spool), "*.tar")))
        except OSError as error:
            sys.stderr.write(f"scalelite-double: recording spool {spool}: {error}\n")
            return
        for filename in tars:
            try:
                self.import_tar(filename)
            except Exception as error:  # noqa: BLE001 - recordings:watch rescues StandardError and goes on
                sys.stderr.write(f"scalelite-double: Failed to import recording: {error}\n")

    def import_tar(self, filename):
        """RecordingImporter.import: the tar extracted into a temporary directory (RECORDING_WORK_DIR; the double's
        is under --state-dir); each */*/metadata.xml creates or updates its recording (create_from_metadata_xml),
        whose <format>/<record_id> directory then replaces <publish dir>/<format>/<record_id> (an unpublished one:
        the unpublish dir); a metadata.xml that fails is skipped with a warning. Then the tar is deleted. Raises (the
        tar stays) for a tar that does not extract, and for one without any recording (upstream's
        `recording.meeting_id` on nil)."""
        sys.stderr.write(f"scalelite-double: Importing recording from file: {filename}\n")
        recording = None
        with tempfile.TemporaryDirectory(dir=self.args.state_dir) as tmpdir:
            try:
                extract_tar(filename, tmpdir)
            except (OSError, EOFError, tarfile.TarError, ValueError) as error:
                raise RuntimeError(f"Failed to extract tar file: {filename} ({error})") from error
            for metadata_xml in sorted(glob.glob(os.path.join(glob.escape(tmpdir), "*", "*", "metadata.xml"))):
                name = os.path.relpath(metadata_xml, tmpdir)
                sys.stderr.write(f"scalelite-double: Found metadata file: {name}\n")
                try:
                    with open(metadata_xml, "rb") as handle:
                        recording, playback_format = self.create_from_metadata_xml(handle.read())
                    self.store_format_files(tmpdir, recording, playback_format)
                    self.recordings[recording["recordID"]] = recording  # the transaction commits
                except Exception as error:  # noqa: BLE001 - upstream isolates per-format failures
                    sys.stderr.write(
                        f"scalelite-double: Skipping recording format from {name} due to import error: {error}\n"
                    )
        if recording is None:
            raise RuntimeError(f"undefined method 'meeting_id' for nil: no recording imported from {filename}")
        os.remove(filename)
        self.save()

    def create_from_metadata_xml(self, data):
        """models/recording.rb Recording.create_from_metadata_xml: the recording found by record_id or a new one,
        updated with what the metadata.xml has (id, meta/meetingId, meta/meetingName, published, participants, state
        - 'available' read as 'published' -, start_time, end_time), its metadata (meta without isBreakout, meetingId,
        meetingName) added or updated by key, its playback format (found by name) given url = the link's request_uri
        and length = duration / 60000 rounded. Thumbnails are not kept. Returns (recording, format), not stored yet:
        RecordingImporter's transaction commits them once the files are in place."""
        root = ET.fromstring(data)  # noqa: S314 - a lab node's metadata.xml
        if root.tag != "recording" or root.find("meta") is None:
            raise ValueError("undefined method 'at_xpath' for nil: no <recording> with <meta>")
        meta = root.find("meta")

        def text(parent, path):
            found = parent.find(path)
            return None if found is None else found.text or ""

        def present(value):
            return value is not None and value.strip() != ""

        params = {"recordID": text(root, "id"), "meetingID": text(meta, "meetingId"), "name": text(meta, "meetingName")}
        if present(text(root, "published")):
            params["published"] = text(root, "published") == "true"
        if present(text(root, "participants")):
            params["participants"] = ruby_to_i(text(root, "participants"))
        if present(text(root, "state")):
            params["state"] = "published" if text(root, "state") == "available" else text(root, "state")  # screenshare
        for key, tag in (("startTime", "start_time"), ("endTime", "end_time")):
            if present(text(root, tag)):
                params[key] = ruby_to_i(text(root, tag))  # Time.at(Rational(ms, 1000)), rendered as ms again
        metadata = [(m.tag, m.text or "") for m in meta if m.tag not in INTERNAL_METADATA]
        playback = root.find("playback")
        if playback is None or text(playback, "link") is None:
            raise ValueError("undefined method for nil: no <playback> with a <link>")
        link = text(playback, "link").strip()
        format_params = {"type": text(playback, "format")}
        if present(text(playback, "duration")):
            format_params["length"] = ruby_round(ruby_to_f(text(playback, "duration")) / 60000)
        if present(link):
            format_params["url"] = request_uri(link)
        if not present(params["recordID"]) or not present(params["meetingID"]):
            raise ValueError("Validation failed: record_id and meeting_id must be present")
        if params.get("state") not in (None, "processing", "processed", "published", "unpublished", "deleted"):
            raise ValueError(f"Validation failed: State {params['state']} is not included in the list")
        for value in (params["recordID"], format_params["type"]):
            if not value or "/" in value or value in (".", ".."):  # lab: never a path outside the publish dir
                raise ValueError(f"the lab double refuses {value!r} as a record id or format name")
        recording = json.loads(json.dumps(self.recordings.get(params["recordID"]))) or {
            "recordID": params["recordID"],
            "meetingID": None,
            "name": None,
            "published": False,  # db/schema.rb: default false
            "state": None,
            "startTime": None,
            "endTime": None,
            "participants": None,
            "metadata": [],
            "formats": [],
        }
        recording.update(params)
        keys = [key for key, _value in recording["metadata"]]
        for key, value in metadata:
            if key in keys:
                recording["metadata"][keys.index(key)] = [key, value]
            else:
                recording["metadata"].append([key, value])
                keys.append(key)
        playback_format = next((f for f in recording["formats"] if f["type"] == format_params["type"]), None)
        if playback_format is None:
            playback_format = {"type": format_params["type"], "url": None, "length": None, "processingTime": None}
            recording["formats"].append(playback_format)
            recording["formats"].sort(key=lambda f: f["type"])  # PlaybackFormat default_scope order(format: :asc)
        playback_format.update(format_params)
        return recording, playback_format

    def store_format_files(self, tmpdir, recording, playback_format):
        """RecordingImporter.import: published as the recording is (no publishRecordings here, so never
        publish_updated; RECORDING_IMPORT_UNPUBLISHED false): <format>/<record_id> of the tar moves to
        <publish dir>/<format>/ or <unpublish dir>/<format>/, after both old copies are removed. FileUtils.mv with
        force: true ignores errors: a tar without the directory still imports the recording, without files."""
        record_id, format_type = recording["recordID"], playback_format["type"]
        publish_format_dir = os.path.join(self.args.publish_dir, format_type)
        unpublish_format_dir = os.path.join(self.args.unpublish_dir, format_type)
        shutil.rmtree(os.path.join(publish_format_dir, record_id), ignore_errors=True)
        shutil.rmtree(os.path.join(unpublish_format_dir, record_id), ignore_errors=True)
        format_dir = publish_format_dir if recording["published"] else unpublish_format_dir
        os.makedirs(format_dir, exist_ok=True)
        try:
            shutil.move(os.path.join(tmpdir, format_type, record_id), os.path.join(format_dir, record_id))
        except OSError as error:
            sys.stderr.write(f"scalelite-double: mv {format_type}/{record_id}: {error} (ignored, as force: true)\n")
