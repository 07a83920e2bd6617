#!/usr/bin/python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab stand-in for Scalelite's recording transfer script (not Scalelite's code; Python, standard library only).

The lab node role installs it as /usr/local/bigbluebutton/core/scripts/post_publish/scalelite_post_publish.rb where
bbb_lab_node_scalelite_spool is set; the bbb-web double runs it after a format is published, as BigBlueButton's
publish worker runs the real one (base_worker.rb run_post_scripts: `-m <recordID> -f <format>`).

Every behaviour below was read from blindsidenetworks/scalelite at tag v1.8.5 (bigbluebutton/scalelite_post_publish.rb,
bigbluebutton/scalelite.yml, bigbluebutton/README.md); none of its code is copied.

| behaviour | upstream (scalelite v1.8.5, bigbluebutton/scalelite_post_publish.rb) | lab difference |
|---|---|---|
| options -m/--meeting-id (required; missing: "Meeting ID was not provided", exit 1) and -f/--format (read, not used) | OptionParser; `puts(msg) && raise(msg)` | - |
| ../bigbluebutton.yml (beside the post_publish directory): published_dir, recording_dir; ../scalelite.yml: work_dir, spool_dir, extra_rsync_opts, delete_recording; a missing file or key: exit 1 | Psych.load_file(File.join(__dir__, '../bigbluebutton.yml')), '../scalelite.yml'; `|| raise('Unable to determine <key> from <file>')` | only top-level `key: value` lines are read (no YAML library in the standard library) |
| every `*/<id>` of published_dir, all formats whichever -f names; none: "No published recording formats found", exit 0 | FileUtils.cd(published_dir) { Dir.glob("*/#{meeting_id}") } | - |
| a tar of them (members `<format>/<id>/...`) as <work_dir>/<id>.tar (work_dir made if missing); failure: "Failed to create recording archive" | system('tar', '--create', '--file', archive_file, *format_dirs) | Python's tarfile (GNU format) |
| the tar into spool_dir, the one in work_dir removed; failure: "Failed to transfer recording archive" | system('rsync', '--verbose', '--remove-source-files', '--protect-args', *extra_rsync_opts, archive_file, spool_dir) | spool_dir must be a local directory (the lab shares it between the nodes and Scalelite as an NFS mount would: README.md's shared-filesystem setup); the file appears under its name at once (written under a hidden temporary name, then renamed, as rsync does); extra_rsync_opts must be empty |
| <recording_dir>/status/published/<id>-sender.done with "Published <id>" | File.write("#{recording_dir}/status/published/#{meeting_id}-sender.done", ...) | - |
| delete_recording: true deletes the node's copy after the transfer | system('bbb-record', '--delete', meeting_id) | refused (exit 1 before anything is done): not simulated (the lab sets false) |
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tarfile
import tempfile


class Failure(Exception):
    """Upstream's `raise`: the message, exit status 1."""


def scalars(path):
    """The top-level `key: value` scalars of a YAML file (Psych.load_file raises for a missing file: so does open)."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line[0] in " \t#-":
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            value = re.sub(r"\s+#.*$", "", value).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif value in ("", "~", "null"):
                value = None
            elif value in ("true", "false"):
                value = value == "true"
            values[key.strip()] = value
    return values


def required(values, key, name):
    value = values.get(key)
    if not value or not isinstance(value, str):
        raise Failure(f"Unable to determine {key} from {name}")
    return value


def move_into(source, spool_dir):
    """rsync --remove-source-files <source> <spool_dir>/, for a local directory: a hidden temporary name, a rename."""
    if re.match(r"^[^/]*:", spool_dir):
        raise OSError(f"{spool_dir} is a remote rsync destination; the lab's spool is a local directory")
    if not os.path.isdir(spool_dir):
        raise OSError(f"{spool_dir} is not a directory")
    name = os.path.basename(source)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=spool_dir)
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as data:
            shutil.copyfileobj(data, out)
        shutil.copymode(source, temporary)
        os.replace(temporary, os.path.join(spool_dir, name))
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    os.unlink(source)


def transfer(meeting_id):
    if not meeting_id:
        print("Meeting ID was not provided")
        raise Failure("Meeting ID was not provided")
    here = os.path.dirname(os.path.realpath(__file__))  # Ruby's __dir__
    props = scalars(os.path.join(here, "../bigbluebutton.yml"))
    published_dir = required(props, "published_dir", "bigbluebutton.yml")
    recording_dir = required(props, "recording_dir", "bigbluebutton.yml")
    scalelite = scalars(os.path.join(here, "../scalelite.yml"))
    work_dir = required(scalelite, "work_dir", "scalelite.yml")
    spool_dir = required(scalelite, "spool_dir", "scalelite.yml")
    if scalelite.get("extra_rsync_opts") not in (None, "[]"):
        raise Failure("extra_rsync_opts: the lab has no rsync, only an empty list is supported")
    if scalelite.get("delete_recording"):
        raise Failure("delete_recording: not simulated in the lab (its scalelite.yml sets false)")

    print(f"Transferring recording for {meeting_id} to Scalelite")
    format_dirs = sorted(
        f"{name}/{meeting_id}"
        for name in os.listdir(published_dir)  # FileUtils.cd raises for a missing directory
        if not name.startswith(".") and os.path.exists(os.path.join(published_dir, name, meeting_id))
    )
    if not format_dirs:
        print("No published recording formats found")
        return
    for format_dir in format_dirs:
        print(f"Found recording format: {format_dir}")

    archive_file = os.path.join(work_dir, f"{meeting_id}.tar")
    print("Creating recording archive")
    os.makedirs(work_dir, exist_ok=True)
    try:
        with tarfile.open(archive_file, "w", format=tarfile.GNU_FORMAT) as tar:
            for format_dir in format_dirs:
                tar.add(os.path.join(published_dir, format_dir), arcname=format_dir)
    except (OSError, tarfile.TarError) as error:
        raise Failure(f"Failed to create recording archive ({error})") from error

    print(f"Transferring recording archive to {spool_dir}")
    try:
        move_into(archive_file, spool_dir)
    except OSError as error:
        raise Failure(f"Failed to transfer recording archive ({error})") from error

    print("Create sender.done file")
    with open(os.path.join(recording_dir, "status", "published", f"{meeting_id}-sender.done"), "w") as done:
        done.write(f"Published {meeting_id}")
    print("Recording transferring to Scalelite ends")


def main(argv=None):
    print("Recording transferring to Scalelite starts")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--meeting-id", dest="meeting_id", help="Internal Meeting ID")
    parser.add_argument("-f", "--format", dest="format", help="Recording Format")
    args = parser.parse_args(argv)
    try:
        transfer(args.meeting_id)
    except (Failure, OSError) as error:
        sys.stdout.flush()
        sys.stderr.write(f"scalelite_post_publish: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
