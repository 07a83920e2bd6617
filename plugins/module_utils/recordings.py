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

One pass over the directories (``scan``: a node with thousands of recordings is read in milliseconds), two readings
of what it found:

- ``pipeline`` (module recording_status, the health playbook): a recording is *failed* where any of its steps has a
  ``.fail`` (one recording, however many steps failed); *published* where every wanted format has
  ``published/<id>-<format>.done``; otherwise *waiting* (queued, running or lost), its age counted from
  ``archived/<id>.done`` or, before that, ``raw/<id>``; *stuck* when waiting longer than ``stuck_after``.
  *unstarted*: ``recorded/<id>.done`` older than ``unstarted_after`` (bbb-rap-starter is not taking them).
- ``last_steps`` (the metrics script, metric ``recordings{state}``): each recording *failed* (any ``.fail``, also
  of ``recorded``), else *norecord*, else by the last step it completed (*recorded* also for one only queued by
  rap-starter, ``raw/<id>``, a file too); the age of the oldest one recorded, archived or sane but not processed,
  counted from its ``recorded`` or ``archived`` marker, else from ``raw/<id>``. A recording published in one of
  several formats is *published* here and waiting for ``pipeline``: the two are kept as they were defined.

Runs on the managed node (module recording_status) and in the metrics script (roles/bbb_metrics installs this file
beside it): Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import os

STEPS = ("archived", "sanity", "processed", "published")
# The metric's states: the steps a recording completes, in order (recorded: bbb-web's marker), then the two ends.
STATES = ("recorded",) + STEPS + ("failed", "norecord")
MARKERS = ("done", "fail", "norecord")


def _entries(directory):
    try:
        with os.scandir(directory) as found:
            return list(found)
    except OSError:
        return []


def _split_format(base, formats):
    """(<id>, <format>) of a processed/published marker's base name ``<id>-<format>`` (or (base, '') for another)."""
    for fmt in formats:
        if base.endswith("-" + fmt):
            return base[: -len(fmt) - 1], fmt
    head, sep, tail = base.rpartition("-")
    if sep and not tail.isdigit():  # <id>-<a format not wanted here>, e.g. -sender; ids end in -<milliseconds>
        return head, tail
    return base, ""


def scan(status_dir, raw_dir, formats=("presentation",)):
    """Every recording the node shows a trace of, by id: ``raw`` (mtime of ``raw/<id>``, None without),
    ``raw_dir`` (that is a directory, as rap-starter makes it), ``done`` ({step: {format: mtime}} of the ``.done``
    markers, format '' where the step has none), ``fail`` and ``norecord`` (the steps with such a marker), ``sender``
    (Scalelite's ``published/<id>-sender.done``). A marker removed while it is read (a worker starting) is gone."""
    recs = {}

    def rec(record_id):
        found = {"raw": None, "raw_dir": False, "done": {}, "fail": set(), "norecord": set(), "sender": False}
        return recs.setdefault(record_id, found)

    for entry in _entries(raw_dir):
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        rec(entry.name).update(raw=mtime, raw_dir=entry.is_dir())
    for step in STATES[:5]:
        for entry in _entries(os.path.join(status_dir, step)):
            base, dot, ext = entry.name.rpartition(".")
            if not dot or ext not in MARKERS:
                continue
            try:
                mtime = entry.stat().st_mtime
            except OSError:
                continue
            record_id, fmt = (base, "") if step in STATES[:3] else _split_format(base, formats)
            found = rec(record_id)
            if fmt == "sender":
                found["sender"] = True
            elif ext == "done":
                found["done"].setdefault(step, {})[fmt] = mtime
            else:
                found[ext].add(step)
    return recs


def pipeline(status_dir, raw_dir, formats=("presentation",), now=0.0, unstarted_after=300, stuck_after=6 * 3600):
    """Counts of the node's recordings: waiting, stuck, failed, published, norecord, unstarted, the age in seconds
    of the oldest waiting one (0 when none), and untransferred: published in every format longer than
    ``unstarted_after`` ago without Scalelite's ``published/<id>-sender.done``."""
    formats = tuple(formats) or ("presentation",)
    counts = {"waiting": 0, "stuck": 0, "failed": 0, "published": 0, "norecord": 0, "unstarted": 0, "oldest_waiting": 0}
    counts["untransferred"] = 0
    for found in scan(status_dir, raw_dir, formats).values():
        done = found["done"]
        if "recorded" in done and now - done["recorded"][""] > unstarted_after:
            counts["unstarted"] += 1
        fail, norecord = found["fail"] - {"recorded"}, found["norecord"] - {"recorded"}
        if not (found["raw_dir"] or set(done) - {"recorded"} or fail or norecord):
            continue  # a recorded marker only (counted above), a raw file, or Scalelite's marker of a deleted one
        published = done.get("published", {})
        if fail:
            counts["failed"] += 1
        elif norecord:
            counts["norecord"] += 1
        elif set(published) >= set(formats):
            counts["published"] += 1
            if not found["sender"] and now - max(published[fmt] for fmt in formats) > unstarted_after:
                counts["untransferred"] += 1
        else:
            counts["waiting"] += 1
            since = done.get("archived", {}).get("", found["raw"] if found["raw_dir"] else None)
            age = max(now - since, 0.0) if since is not None else 0.0
            counts["oldest_waiting"] = max(counts["oldest_waiting"], int(age))
            if age > stuck_after:
                counts["stuck"] += 1
    return counts


def last_steps(status_dir, raw_dir, now):
    """(count per state of STATES, age in seconds of the oldest recording recorded, archived or sane but not
    processed yet, 0.0 when none)."""
    counts = dict.fromkeys(STATES, 0)
    oldest = 0.0
    for found in scan(status_dir, raw_dir).values():
        done = found["done"]
        if found["fail"]:
            state = "failed"
        elif found["norecord"]:
            state = "norecord"
        else:
            state = next((step for step in reversed(STATES[:5]) if step in done), None)
            if state is None and found["raw"] is not None:
                state = "recorded"  # queued by rap-starter, not archived yet
            if state is None:
                continue
        counts[state] += 1
        stamps = [done[step][""] for step in STATES[:2] if step in done]
        since = min(stamps) if stamps else found["raw"]
        if state in STATES[:3] and since is not None:
            oldest = max(oldest, now - since)
    return counts, oldest


def oldest_published(status_dir, raw_dir, now):
    """Age in seconds of the oldest published recording, counted from its first published format (the
    ``published/<id>-<format>.done`` marker the publish worker writes; Scalelite's ``-sender.done`` is none), 0.0
    when there is none: what the collection's daily job (bbb_node_retention_published_days) deletes by."""
    oldest = 0.0
    for found in scan(status_dir, raw_dir).values():
        published = found["done"].get("published")
        if published:
            oldest = max(oldest, now - min(published.values()))
    return oldest


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
