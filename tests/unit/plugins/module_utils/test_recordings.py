# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/recordings.py: one scan of a node's recording markers, read two ways. ``pipeline`` is the
health playbook's (module recording_status; tests/unit/plugins/modules/test_recording_status.py); ``last_steps`` is
the metrics script's (``recordings{state}``, ``recording_oldest_unprocessed_age_seconds``), tested here. Fixtures are
written as upstream writes them: rap-starter.rb makes raw/<id>/ and deletes recorded/<id>.done at once, each worker
writes its step's .done/.fail/.norecord, Scalelite's post_publish writes published/<id>-sender.done."""

from __future__ import annotations

import os
import time

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.recordings import (
    STATES,
    last_steps,
    oldest_published,
    pipeline,
    scan,
)

NOW = 1_800_000_000.0


def marker(status, step, name, age):
    path = status / step / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    os.utime(path, (NOW - age, NOW - age))


def read(status):
    return last_steps(str(status), str(status.parent / "raw"), NOW)


def test_recordings_by_state_and_oldest_unprocessed(tmp_path):
    status = tmp_path / "status"
    # waiting for archive for 2 h, archived and sane for 1 h, published, failed in processing, without marks
    marker(status, "recorded", "m1-1700000000001.done", 7200)
    for step in ("recorded", "archived", "sanity"):
        marker(status, step, "m2-1700000000002.done", 3600)
    for step, name in (
        ("recorded", "m3-1700000000003.done"),
        ("archived", "m3-1700000000003.done"),
        ("sanity", "m3-1700000000003.done"),
        ("processed", "m3-1700000000003-presentation.done"),
        ("published", "m3-1700000000003-presentation.done"),
    ):
        marker(status, step, name, 9000)
    marker(status, "recorded", "m4-1700000000004.done", 99999)
    marker(status, "archived", "m4-1700000000004.done", 99999)
    marker(status, "processed", "m4-1700000000004-presentation.fail", 99999)
    marker(status, "recorded", "m5-1700000000005.done", 50000)
    marker(status, "archived", "m5-1700000000005.norecord", 50000)
    counts, oldest = read(status)
    assert counts == {
        "recorded": 1,
        "archived": 0,
        "sanity": 1,
        "processed": 0,
        "published": 1,
        "failed": 1,
        "norecord": 1,
    }
    assert oldest == pytest.approx(7200, abs=1)
    assert read(tmp_path / "none" / "status") == (dict.fromkeys(STATES, 0), 0.0)


def test_recordings_as_rap_starter_leaves_them(tmp_path):
    """A recording queued but not archived is only its raw directory, an archived one has no recorded marker; both
    wait, aged from what they have. Scalelite's published/<id>-sender.done is not a format."""
    status = tmp_path / "recording" / "status"
    raw = tmp_path / "recording" / "raw" / "q1-1700000000001"
    raw.mkdir(parents=True)
    os.utime(raw, (NOW - 10800, NOW - 10800))
    marker(status, "archived", "a2-1700000000002.done", 5000)
    marker(status, "sanity", "a2-1700000000002.done", 4000)
    for step in ("archived", "sanity"):
        marker(status, step, "p3-1700000000003.done", 9000)
    for step in ("processed", "published"):
        marker(status, step, "p3-1700000000003-presentation.done", 8000)
    marker(status, "published", "p3-1700000000003-sender.done", 8000)
    counts, oldest = read(status)
    assert (counts["recorded"], counts["sanity"], counts["published"]) == (1, 1, 1)
    assert sum(counts.values()) == 3
    assert oldest == pytest.approx(10800, abs=1)


def test_one_scan_two_readings(tmp_path):
    """Health and metrics read the same markers the same way; they differ only in what they count (a recording
    published in one of two wanted formats waits for health, and is published for the metric)."""
    status = tmp_path / "status"
    marker(status, "archived", "m1-1700000000001.done", 600)
    marker(status, "published", "m1-1700000000001-presentation.done", 300)
    marker(status, "processed", "m1-1700000000001-video.done", 300)
    marker(status, "published", "m1-1700000000001-sender.done", 200)
    found = scan(str(status), str(tmp_path / "raw"), ("presentation", "video"))
    assert found == {
        "m1-1700000000001": {
            "raw": None,
            "raw_dir": False,
            "done": {
                "archived": {"": NOW - 600},
                "processed": {"video": NOW - 300},
                "published": {"presentation": NOW - 300},
            },
            "fail": set(),
            "norecord": set(),
            "sender": True,
        }
    }
    assert pipeline(str(status), str(tmp_path / "raw"), ("presentation", "video"), NOW)["waiting"] == 1
    assert read(status)[0]["published"] == 1


def test_a_processed_marker_without_a_format_is_the_same_recording(tmp_path):
    """Upstream always writes processed/<id>-<format>; a name without the format is the recording's id, not a
    second recording (the metrics script's own split took the id's -<milliseconds> for a format)."""
    status = tmp_path / "status"
    marker(status, "archived", "m1-1700000000001.done", 600)
    marker(status, "processed", "m1-1700000000001.done", 300)
    counts, _oldest = read(status)
    assert counts["processed"] == 1 and sum(counts.values()) == 1


@pytest.mark.at_size
def test_thousands_of_recordings_are_counted_exactly_and_fast(tmp_path):
    status = tmp_path / "status"
    for n in range(3000):
        steps = ("recorded", "archived", "sanity", "processed", "published")[: 1 + n % 5]
        for step in steps:
            name = f"{n:040x}-{1700000000000 + n}" + ("-presentation" if step in ("processed", "published") else "")
            marker(status, step, name + ".done", 100 + n)
    started = time.monotonic()
    counts, oldest = read(status)
    assert time.monotonic() - started < 10
    steps = {"recorded": 600, "archived": 600, "sanity": 600, "processed": 600, "published": 600}
    assert counts == dict(steps, failed=0, norecord=0)
    assert oldest == pytest.approx(100 + 2997, abs=1)  # the oldest of those stopped before processing (n % 5 < 3)


def test_the_oldest_published_recording_counts_from_its_first_format(tmp_path):
    status = tmp_path / "status"
    assert oldest_published(str(status), str(tmp_path / "raw"), NOW) == 0.0
    marker(status, "published", "m1-1700000000001-presentation.done", 40 * 86400)
    marker(status, "published", "m1-1700000000001-video.done", 86400)
    marker(status, "published", "m2-1700000000002-presentation.done", 3600)
    marker(status, "published", "m3-1700000000003-sender.done", 90 * 86400)  # Scalelite's: no format
    marker(status, "processed", "m4-1700000000004-presentation.done", 60 * 86400)  # not published
    assert oldest_published(str(status), str(tmp_path / "raw"), NOW) == pytest.approx(40 * 86400)
