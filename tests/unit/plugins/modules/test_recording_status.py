# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""recording_status (module_utils/recordings.py): the recordings of a node from the markers that persist, as the
record-and-playback workers of 2.7 and 3.0 leave them (rap-starter.rb deletes recorded/<id>.done at once; each worker
writes its step's .done/.fail/.norecord; Scalelite's post_publish writes published/<id>-sender.done)."""

from __future__ import annotations

import os
import time

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.recordings import pipeline
from ansible_collections.bbb.cluster_proxy.plugins.modules import recording_status

NOW = 1_800_000_000.0


def marker(root, step, name, age):
    path = root / "status" / step / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    os.utime(path, (NOW - age, NOW - age))


def queued(root, record_id, age):
    path = root / "raw" / record_id
    path.mkdir(parents=True, exist_ok=True)
    os.utime(path, (NOW - age, NOW - age))


def read(root, **kw):
    return pipeline(str(root / "status"), str(root / "raw"), now=NOW, **kw)


def test_a_queue_behind_a_running_rap_starter_is_the_backlog(tmp_path):
    """The old count (recorded/*.done without processed) read 0 here: rap-starter had taken all of them."""
    for n in range(40):
        queued(tmp_path, f"q{n}-17000000{n:05d}", 600 + n)  # queued, not archived yet (the archive queue is long)
    for n in range(25):
        queued(tmp_path, f"a{n}-17000001{n:05d}", 9000)
        marker(tmp_path, "archived", f"a{n}-17000001{n:05d}.done", 8000)
        marker(tmp_path, "sanity", f"a{n}-17000001{n:05d}.done", 7900)
    counts = read(tmp_path, stuck_after=7200)
    assert counts["waiting"] == 65 and counts["unstarted"] == 0 and counts["failed"] == 0
    # archived more than 2 h ago and not published: lost by a worker that died, or a queue that stalled
    assert counts["stuck"] == 25 and counts["oldest_waiting"] == 8000


def test_published_failed_and_unmarked_recordings(tmp_path):
    record = "m1-1700000000001"
    queued(tmp_path, record, 9000)
    for step in ("archived", "sanity"):
        marker(tmp_path, step, f"{record}.done", 8000)
    for step in ("processed", "published"):
        marker(tmp_path, step, f"{record}-presentation.done", 7000)
    marker(tmp_path, "published", f"{record}-sender.done", 6000)  # Scalelite's transfer: not a format
    # a failed process step: one recording, however many steps or formats failed; a .done of archive beside a
    # .fail (archive.rb wrote it, the worker still failed): the .fail wins
    marker(tmp_path, "archived", "f2-1700000000002.done", 5000)
    marker(tmp_path, "archived", "f2-1700000000002.fail", 5000)
    marker(tmp_path, "processed", "f3-1700000000003-presentation.fail", 5000)
    marker(tmp_path, "processed", "f3-1700000000003-video.fail", 5000)
    marker(tmp_path, "archived", "n4-1700000000004.norecord", 5000)  # no marks: never published, normal
    counts = read(tmp_path)
    assert {k: counts[k] for k in ("waiting", "failed", "published", "norecord")} == {
        "waiting": 0,
        "failed": 2,
        "published": 1,
        "norecord": 1,
    }


def test_a_recording_published_in_one_of_two_formats_still_waits(tmp_path):
    record = "m1-1700000000001"
    marker(tmp_path, "archived", f"{record}.done", 100)
    marker(tmp_path, "published", f"{record}-presentation.done", 50)
    assert read(tmp_path, formats=("presentation", "video"))["waiting"] == 1
    assert read(tmp_path)["waiting"] == 0


def test_recorded_markers_count_only_when_rap_starter_does_not_take_them(tmp_path):
    marker(tmp_path, "recorded", "r1-1700000000001.done", 10)  # rap-starter takes it in a moment
    marker(tmp_path, "recorded", "r2-1700000000002.done", 3600)  # bbb-rap-starter is down
    counts = read(tmp_path)
    assert counts["unstarted"] == 1 and counts["waiting"] == 0


def test_thousands_of_recordings_are_read_in_milliseconds(tmp_path):
    for n in range(3000):
        record = f"m{n}-17{n:011d}"
        marker(tmp_path, "archived", f"{record}.done", 9000)
        marker(tmp_path, "published", f"{record}-presentation.done", 8000)
    started = time.monotonic()
    counts = read(tmp_path)
    assert counts["published"] == 3000 and time.monotonic() - started < 1.0


def test_the_module_reads_a_node(tmp_path, run_module):
    marker(tmp_path, "archived", "m1-1700000000001.done", 60)
    failed, result, _out = run_module(
        recording_status.main, {"recording_dir": str(tmp_path), "disk_path": str(tmp_path)}, check_mode=True
    )
    assert not failed and result["waiting"] == 1 and result["failed_recordings"] == 0 and not result["changed"]
    assert 0 <= result["disk_percent"] <= 100
    assert recording_status.disk_percent(str(tmp_path / "missing")) == -1


def test_published_recordings_that_were_not_handed_to_scalelite(tmp_path):
    """publish_worker.rb runs post_publish/*.rb right after the publish; scalelite_post_publish.rb writes
    published/<id>-sender.done after its transfer. Published minutes ago without it: not handed over."""
    for record, age, sent in (("t1-1700000000001", 3600, True), ("u2-1700000000002", 3600, False),
                              ("j3-1700000000003", 20, False)):  # fmt: skip
        marker(tmp_path, "archived", f"{record}.done", age + 60)
        marker(tmp_path, "published", f"{record}-presentation.done", age)
        if sent:
            marker(tmp_path, "published", f"{record}-sender.done", age - 5)
    # delete_recording: true removes the recording after the transfer; only its sender.done stays
    marker(tmp_path, "published", "d4-1700000000004-sender.done", 100)
    counts = read(tmp_path)
    assert counts["published"] == 3 and counts["untransferred"] == 1 and counts["waiting"] == 0


def scripts(root, script=True, config="work_dir: /tmp/w\nspool_dir: {spool}\n", spool=None):
    (root / "post_publish").mkdir(parents=True, exist_ok=True)
    if script:
        (root / "post_publish" / "scalelite_post_publish.rb").write_text("# Scalelite recording transfer script\n")
    if config is not None:
        (root / "scalelite.yml").write_text(config.format(spool=spool or root / "spool"))
    return str(root)


def test_what_keeps_a_node_from_handing_its_recordings_to_scalelite(tmp_path):
    from ansible_collections.bbb.cluster_proxy.plugins.module_utils.recordings import transfer_problem

    (tmp_path / "spool").mkdir()
    assert transfer_problem(scripts(tmp_path / "ok", spool=tmp_path / "spool")) == ""
    assert transfer_problem(scripts(tmp_path / "rsync", spool="spool@lb.example.com:/var/bigbluebutton/spool")) == ""
    assert "no " in transfer_problem(scripts(tmp_path / "none", script=False))
    assert "scalelite_post_publish.rb: nothing hands" in transfer_problem(scripts(tmp_path / "none2", script=False))
    assert "no readable" in transfer_problem(scripts(tmp_path / "noconf", config=None))
    assert "sets no spool_dir" in transfer_problem(scripts(tmp_path / "nospool", config="#spool_dir: /x\n"))
    unmounted = transfer_problem(scripts(tmp_path / "nfs", spool="/mnt/scalelite-recordings/var/bigbluebutton/spool"))
    assert "is not a directory here (is Scalelite's shared spool mounted?)" in unmounted


def test_the_module_names_the_transfer_problem_only_for_scalelite(tmp_path, run_module):
    args = {"recording_dir": str(tmp_path), "disk_path": str(tmp_path), "scripts_dir": str(tmp_path / "scripts")}
    failed, result, _out = run_module(recording_status.main, args, check_mode=True)
    assert not failed and result["transfer_problem"] == ""
    failed, result, _out = run_module(recording_status.main, dict(args, scalelite=True), check_mode=True)
    assert not failed and result["transfer_problem"].startswith(
        f"no {tmp_path}/scripts/post_publish/scalelite_post_publish.rb"
    )
