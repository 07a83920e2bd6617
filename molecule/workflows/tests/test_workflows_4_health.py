# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 4: health reports the cluster, and fails over its thresholds.

It puts back the recordings it planted on room-b.
"""

from __future__ import annotations

from lab_runs import flat, host, playbook

from .workflows_lab import PROXY, ROOM_B


def test_health_reports_and_fails_over_thresholds():
    rc, output = playbook("bbb.cluster_proxy.health", "-vvv")  # also the secret check at -vvv (test_workflows_8)
    assert rc == 0, flat(output)[-3000:]
    assert "'api': 'ok'" in output.replace('"', "'")
    node = host(ROOM_B)
    recording = "/var/bigbluebutton/recording"
    # as the recording units leave them: one queued by rap-starter (raw/<id>/; it deleted recorded/<id>.done) and not
    # archived yet, one whose process step failed
    node.run(
        f"mkdir -p {recording}/raw/lab-stuck-1 {recording}/status/archived {recording}/status/processed && "
        f"touch {recording}/status/archived/lab-bad-2.done {recording}/status/processed/lab-bad-2-presentation.fail"
    )
    try:
        rc, output = playbook(
            "bbb.cluster_proxy.health",
            "-e",
            "bbb_health_recording_backlog=0",
            "-e",
            "bbb_health_disk_percent=1",
            "-e",
            "bbb_cluster_certificate_days=40",
        )
    finally:
        node.run(
            f"rm -rf {recording}/raw/lab-stuck-1 {recording}/status/archived/lab-bad-2.done "
            f"{recording}/status/processed/lab-bad-2-presentation.fail"
        )
    assert rc != 0
    text = flat(output)
    assert f"{ROOM_B}: " in text
    assert "1 recordings wait for processing (threshold 0; 0 of them for more than 6 h" in text
    assert "1 recordings failed in processing (a .fail marker of a step" in text
    assert "/var/bigbluebutton is" in text and "(threshold 1%)" in text
    # the lab certificates live 30 days
    assert "the TLS certificate expires in" in text
    assert f"the TLS certificate of {PROXY} expires in" in text
