# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's stand-in for Scalelite's scalelite_post_publish.rb (v1.8.5) transfers as upstream's script does."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "molecule/resources/roles/bbb_lab_node/files/scalelite_post_publish.py"
RECORD_ID = "0123456789abcdef0123456789abcdef01234567-1700000000000"


@pytest.fixture
def node(tmp_path):
    """/usr/local/bigbluebutton/core/scripts of a node (bigbluebutton.yml as bbb-record-core ships it, keys nested
    and all; scalelite.yml as upstream's sample), its published recordings and the spool, under tmp_path."""
    scripts = tmp_path / "scripts"
    (scripts / "post_publish").mkdir(parents=True)
    script = scripts / "post_publish/scalelite_post_publish.rb"
    script.write_text(SOURCE.read_text())
    (scripts / "bigbluebutton.yml").write_text(
        'bbb_version: \'3.0.9\'\nredis_port: 6379\nsteps:\n  archive: "sanity"\n  sanity: "captions"\n'
        "notes_formats:\n  - etherpad\n# For PRODUCTION\nlog_dir: /var/log/bigbluebutton\n"
        f"recording_dir: {tmp_path / 'recording'}\npublished_dir: {tmp_path / 'published'}\n"
        "playback_host: 127.0.0.1\n"
    )
    (scripts / "scalelite.yml").write_text(
        "# Directory for temporary storage of working files\n"
        f"work_dir: {tmp_path / 'recording/scalelite'}\n#\n"
        f"spool_dir: {tmp_path / 'spool'}  # the shared spool\n"
        "#spool_dir: scalelite-spool@scalelite-import.example.com:/var/bigbluebutton/spool\n"
        "extra_rsync_opts: []\n\ndelete_recording: false\n"
    )
    (tmp_path / "recording/status/published").mkdir(parents=True)
    (tmp_path / "spool").mkdir()
    for format_name, files in (("presentation", ["metadata.xml", "shapes.svg"]), ("video", ["metadata.xml"])):
        for name in files:
            path = tmp_path / "published" / format_name / RECORD_ID / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{format_name} {name}\n")
    (tmp_path / "published/presentation/other-1700000000001").mkdir()  # another recording: not sent
    return script


def run(script, *args):
    """As base_worker.rb run_script (upstream with ruby; here the interpreter of this test run)."""
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, check=False)


def test_scalelite_post_publish_tars_every_format_into_the_spool_and_writes_sender_done(node, tmp_path):
    """Every */<id> of published_dir (whichever -f names) in <work_dir>/<id>.tar, moved into spool_dir (rsync
    --remove-source-files), then status/published/<id>-sender.done."""
    done = run(node, "-m", RECORD_ID, "-f", "presentation")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Recording transferring to Scalelite starts"
    assert lines[-1] == "Recording transferring to Scalelite ends"
    assert (
        f"Found recording format: presentation/{RECORD_ID}" in lines
        and f"Found recording format: video/{RECORD_ID}" in lines
    )
    assert [p.name for p in (tmp_path / "spool").iterdir()] == [f"{RECORD_ID}.tar"]  # no temporary file left
    with tarfile.open(tmp_path / "spool" / f"{RECORD_ID}.tar") as tar:
        assert sorted(tar.getnames()) == [
            f"presentation/{RECORD_ID}",
            f"presentation/{RECORD_ID}/metadata.xml",
            f"presentation/{RECORD_ID}/shapes.svg",
            f"video/{RECORD_ID}",
            f"video/{RECORD_ID}/metadata.xml",
        ]
    assert not list((tmp_path / "recording/scalelite").iterdir())  # the source removed after the transfer
    sender = tmp_path / f"recording/status/published/{RECORD_ID}-sender.done"
    assert sender.read_text() == f"Published {RECORD_ID}"


def test_scalelite_post_publish_fails_without_scalelite_yml(node, tmp_path):
    """Psych.load_file of the missing ../scalelite.yml raises: exit status not 0, nothing sent, no sender.done."""
    (node.parent.parent / "scalelite.yml").unlink()
    done = run(node, "-m", RECORD_ID, "-f", "presentation")
    assert done.returncode != 0 and "scalelite.yml" in done.stderr
    assert not list((tmp_path / "spool").iterdir())
    assert not list((tmp_path / "recording/status/published").iterdir())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("spool_dir", "spool_dir:\n"), "Unable to determine spool_dir from scalelite.yml"),
        (("spool_dir", f"spool_dir: /no/such/spool-{RECORD_ID}\n"), "Failed to transfer recording archive"),
    ],
)
def test_scalelite_post_publish_raises_where_upstream_raises(node, tmp_path, edit, message):
    """`|| raise('Unable to determine spool_dir from scalelite.yml')`; a transfer that fails: 'Failed to transfer
    recording archive' (and no sender.done)."""
    config = node.parent.parent / "scalelite.yml"
    key, line = edit
    config.write_text(
        "".join(line if row.startswith(f"{key}:") else row for row in config.read_text().splitlines(True))
    )
    done = run(node, "-m", RECORD_ID)
    assert done.returncode != 0 and message in done.stderr
    assert not list((tmp_path / "recording/status/published").iterdir())


def test_scalelite_post_publish_needs_the_meeting_id_and_a_published_format(node, tmp_path):
    """No -m: 'Meeting ID was not provided' (raise); no */<id> published: 'No published recording formats found',
    exit 0, nothing sent."""
    done = run(node, "-f", "presentation")
    assert done.returncode != 0 and "Meeting ID was not provided" in done.stdout
    done = run(node, "-m", "unknown-1700000000002", "-f", "presentation")
    assert done.returncode == 0 and "No published recording formats found" in done.stdout
    assert not list((tmp_path / "spool").iterdir())
    assert not list((tmp_path / "recording/status/published").iterdir())
