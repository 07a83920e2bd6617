# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a node's recordings are in BigBlueButton's processing, from the markers that persist.

Upstream (bigbluebutton/bigbluebutton, record-and-playback/core, 2.7 and 3.0):

- bbb-web writes ``status/recorded/<id>.done`` when a recorded meeting ends (bbb-common-web RecordingService,
  ``startIngestAndProcessing``); ``rap-starter.rb`` (unit bbb-rap-starter) creates ``raw/<id>/``, queues the archive
  job and deletes that ``.done`` at once (``archive_recorded_meetings``). So ``recorded/*.done`` only stays while
  bbb-rap-starter is down (or the name is not a meeting id): it says nothing about the queue behind it.
- Each worker (lib/recordandplayback/workers/*_worker.rb, queues of bbb-rap-resque-worker) deletes its own markers at
  its start and writes ``archived/<id>.done|.norecord|.fail``, ``sanity/<id>.done|.fail``,
  ``processed/<id>-<format>.done|.fail``, ``published/<id>-<format>.done|.fail``; these persist until
  ``bbb-record --delete`` or a rebuild. A failed step never queues the next one (base_worker.rb ``perform``), and a
  worker killed in the middle of a job leaves no marker at all: only the age of the recording shows it.
- ``archived/<id>.norecord``: a meeting without recording marks, never published (normal).
- Scalelite's ``scalelite_post_publish.rb`` writes ``published/<id>-sender.done``: not a format. It is the node's
  only way into Scalelite (Scalelite never asks nodes for recordings: its importer reads the tars this script puts
  in its spool; scalelite lib/tasks/recordings.rake ``watch``, lib/recording_importer.rb). The publish worker runs
  every ``post_publish/*.rb`` right after a format is published (workers/publish_worker.rb, base_worker.rb
  ``run_post_scripts``), so a published recording without it, minutes later, was not handed to Scalelite.

A recording is here: *failed* where any of its steps has a ``.fail`` (one recording, however many steps failed);
*published* where every wanted format has ``published/<id>-<format>.done``; otherwise *waiting* (queued, running or
lost), its age counted from ``archived/<id>.done`` or, before that, ``raw/<id>``; *stuck* when waiting longer than
``stuck_after``. *unstarted*: ``recorded/<id>.done`` older than ``unstarted_after`` (bbb-rap-starter is not taking
them). One pass over the directories: a node with thousands of recordings is read in milliseconds.

Runs on the managed node (module recording_status) and in the metrics script (roles/bbb_metrics installs this file
beside it): Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import os

STEPS = ("archived", "sanity", "processed", "published")


def _names(directory):
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _split_format(base, formats):
    """(<id>, <format>) of a processed/published marker's base name ``<id>-<format>`` (or (base, '') for another)."""
    for fmt in formats:
        if base.endswith("-" + fmt):
            return base[: -len(fmt) - 1], fmt
    head, sep, tail = base.rpartition("-")
    if sep and not tail.isdigit():  # <id>-<a format not wanted here>, e.g. -sender; ids end in -<milliseconds>
        return head, tail
    return base, ""


def pipeline(status_dir, raw_dir, formats=("presentation",), now=0.0, unstarted_after=300, stuck_after=6 * 3600):
    """Counts of the node's recordings: waiting, stuck, failed, published, norecord, unstarted, the age in seconds
    of the oldest waiting one (0 when none), and untransferred: published in every format longer than
    ``unstarted_after`` ago without Scalelite's ``published/<id>-sender.done``."""
    formats = tuple(formats) or ("presentation",)
    recs = {}
    senders = set()

    def rec(record_id):
        return recs.setdefault(record_id, {"fail": False, "norecord": False, "published": set(), "since": None})

    for name in _names(raw_dir):
        path = os.path.join(raw_dir, name)
        if os.path.isdir(path):
            rec(name)["since"] = _mtime(path)
    for step in STEPS:
        directory = os.path.join(status_dir, step)
        for name in _names(directory):
            base, dot, ext = name.rpartition(".")
            if not dot or ext not in ("done", "fail", "norecord"):
                continue
            record_id, fmt = (base, "") if step in ("archived", "sanity") else _split_format(base, formats)
            if fmt == "sender":
                senders.add(record_id)
                continue
            entry = rec(record_id)
            if ext == "fail":
                entry["fail"] = True
            elif ext == "norecord":
                entry["norecord"] = True
            elif step == "published" and fmt in formats:
                entry["published"].add(fmt)
                stamp = _mtime(os.path.join(directory, name))
                entry["published_at"] = max(entry.get("published_at") or 0.0, stamp or 0.0)
            elif step == "archived":
                entry["since"] = _mtime(os.path.join(directory, name)) or entry["since"]
    counts = {"waiting": 0, "stuck": 0, "failed": 0, "published": 0, "norecord": 0, "unstarted": 0, "oldest_waiting": 0}
    counts["untransferred"] = 0
    for record_id, entry in recs.items():
        if entry["fail"]:
            counts["failed"] += 1
        elif entry["norecord"]:
            counts["norecord"] += 1
        elif entry["published"] >= set(formats):
            counts["published"] += 1
            if record_id not in senders and now - entry.get("published_at", now) > unstarted_after:
                counts["untransferred"] += 1
        else:
            counts["waiting"] += 1
            age = max(now - entry["since"], 0.0) if entry["since"] is not None else 0.0
            counts["oldest_waiting"] = max(counts["oldest_waiting"], int(age))
            if age > stuck_after:
                counts["stuck"] += 1
    recorded = os.path.join(status_dir, "recorded")
    for name in _names(recorded):
        if name.endswith(".done"):
            stamp = _mtime(os.path.join(recorded, name))
            if stamp is not None and now - stamp > unstarted_after:
                counts["unstarted"] += 1
    return counts


TRANSFER_SCRIPT = "scalelite_post_publish.rb"


def transfer_problem(scripts_dir):
    """What keeps this node from handing its recordings to Scalelite, '' when nothing does: Scalelite's
    bigbluebutton/README.md installs scalelite_post_publish.rb in <scripts>/post_publish and scalelite.yml in
    <scripts>; the script stops without spool_dir there (scalelite_post_publish.rb: ``raise('Unable to determine
    spool_dir ...')``), and rsync fails where a local spool_dir (a shared mount) is not there."""
    script = os.path.join(scripts_dir, "post_publish", TRANSFER_SCRIPT)
    config = os.path.join(scripts_dir, "scalelite.yml")
    if not os.path.isfile(script):
        return (
            f"no {script}: nothing hands this node's recordings to Scalelite (Scalelite never asks a node for them; "
            f"install {TRANSFER_SCRIPT} and scalelite.yml as Scalelite's bigbluebutton/README.md says)"
        )
    try:
        with open(config, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return f"no readable {config}: {TRANSFER_SCRIPT} stops without it"
    spool = ""
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip() == "spool_dir" and not line.lstrip().startswith("#"):
            spool = value.strip().strip("'\"")
    if not spool:
        return f"{config} sets no spool_dir: {TRANSFER_SCRIPT} stops without it"
    remote = "::" in spool or spool.startswith("rsync://") or (":" in spool and not spool.startswith("/"))
    if not remote and not os.path.isdir(spool):
        return f"spool_dir {spool} of {config} is not a directory here (is Scalelite's shared spool mounted?)"
    return ""
