#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: recording_status
short_description: Where a BigBlueButton node's recordings are in their processing, and how full its disk is
version_added: 0.2.0
description:
  - Reads the markers of BigBlueButton's recording pipeline that persist (C(status/archived), C(sanity), C(processed),
    C(published)) and the raw directories that C(rap-starter.rb) creates, and counts the recordings that wait for
    processing (queued, running, or lost by a worker that died), those that failed in a step, those published, and
    those without recording marks.
  - "C(status/recorded/<id>.done) is not a backlog: C(rap-starter.rb) deletes it as soon as it queued the recording,
    so it only stays while C(bbb-rap-starter) is down; such markers older than O(unstarted_after) are counted apart."
  - Read-only; one pass over the directories (module_utils C(recordings)); the disk use from module_utils C(disk).
    Both are the code the metrics script of the role bbb_metrics runs.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  recording_dir:
    description: BigBlueButton's recording directory (C(status/) and C(raw/) below it).
    type: path
    default: /var/bigbluebutton/recording
  formats:
    description: The playback formats a recording is published in (the C(publish:<format>) steps of recording.yml).
    type: list
    elements: str
    default: [presentation]
  unstarted_after:
    description: Seconds after which a C(recorded/<id>.done) that bbb-rap-starter did not take counts as unstarted.
    type: int
    default: 300
  stuck_after:
    description: Seconds after which a waiting recording counts as stuck.
    type: int
    default: 21600
  disk_path:
    description: A path whose file system's use is returned as RV(disk_percent).
    type: path
    default: /var/bigbluebutton
  scalelite:
    description:
      - The node's recordings go to Scalelite. Then RV(transfer_problem) says what keeps the node from handing them
        over (Scalelite's C(scalelite_post_publish.rb) and C(scalelite.yml) in O(scripts_dir), the spool), and
        RV(untransferred) counts the recordings it did not hand over.
    type: bool
    default: false
  scripts_dir:
    description: BigBlueButton's record-and-playback scripts directory (C(post_publish/) below it).
    type: path
    default: /usr/local/bigbluebutton/core/scripts
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the BigBlueButton node.
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.read_only
"""

EXAMPLES = r"""
- name: Count the recordings in processing
  bbb.cluster_proxy.recording_status:
  register: recordings
"""

RETURN = r"""
waiting:
  description: Recordings queued, in processing, or lost by a worker (no marker tells them apart).
  type: int
  returned: always
stuck:
  description: Of those, waiting longer than O(stuck_after).
  type: int
  returned: always
oldest_waiting:
  description: Seconds since the oldest waiting recording was archived (or queued), 0 when none waits.
  type: int
  returned: always
failed_recordings:
  description: Recordings with a C(.fail) marker of any step (each counted once); they stay until re-run or deleted.
  type: int
  returned: always
published:
  description: Recordings published in every format of O(formats).
  type: int
  returned: always
norecord:
  description: Recordings without recording marks (never published; normal).
  type: int
  returned: always
unstarted:
  description: C(recorded/<id>.done) older than O(unstarted_after) (bbb-rap-starter does not take them).
  type: int
  returned: always
untransferred:
  description:
    - Recordings published in every format longer than O(unstarted_after) ago without Scalelite's
      C(published/<id>-sender.done) (C(scalelite_post_publish.rb) writes it after its transfer, right after the
      publish). Only meaningful with O(scalelite).
  type: int
  returned: always
transfer_problem:
  description: With O(scalelite), what keeps the node from handing its recordings to Scalelite; empty when nothing does.
  type: str
  returned: always
disk_percent:
  description: How full the file system of O(disk_path) is, in percent (-1 where it cannot be read).
  type: int
  returned: always
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.disk import disk_percent
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.recordings import pipeline, transfer_problem


def main():
    module = AnsibleModule(
        argument_spec=dict(
            recording_dir=dict(type="path", default="/var/bigbluebutton/recording"),
            formats=dict(type="list", elements="str", default=["presentation"]),
            unstarted_after=dict(type="int", default=300),
            stuck_after=dict(type="int", default=21600),
            disk_path=dict(type="path", default="/var/bigbluebutton"),
            scalelite=dict(type="bool", default=False),
            scripts_dir=dict(type="path", default="/usr/local/bigbluebutton/core/scripts"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    counts = pipeline(
        os.path.join(p["recording_dir"], "status"),
        os.path.join(p["recording_dir"], "raw"),
        p["formats"],
        time.time(),
        p["unstarted_after"],
        p["stuck_after"],
    )
    counts["failed_recordings"] = counts.pop("failed")  # "failed" is Ansible's own key of a result
    counts["transfer_problem"] = transfer_problem(p["scripts_dir"]) if p["scalelite"] else ""
    module.exit_json(changed=False, disk_percent=disk_percent(p["disk_path"]), **counts)


if __name__ == "__main__":
    main()
