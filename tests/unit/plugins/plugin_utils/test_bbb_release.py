# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed release, read once for the role's facts and the self-heal hook (plugins/plugin_utils/bbb_release.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.bbb_release import installed_version
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_debug

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize(
    "release,package,version",
    [
        ("BIGBLUEBUTTON_RELEASE=3.0.30\n", "", "3.0.30"),
        ("# comment\nBIGBLUEBUTTON_RELEASE=2.7.12\n", "1:3.0-1", "2.7.12"),  # the file wins
        ("nothing here\n", "1:3.0-1", ""),  # a file without the key is not read past
        (None, "1:2.7.12-5", "2.7"),
        (None, "3.0-12", "3.0"),
        (None, "", ""),  # not installed
    ],
)
def test_release_file_else_package(release, package, version):
    assert installed_version(release, package) == version


def test_the_role_and_the_hook_read_it_with_this_code():
    hook = (ROOT / "roles/bbb_node/files/bbb_cluster_proxy_selfheal.py").read_text()
    facts = (ROOT / "roles/bbb_node/tasks/facts.yml").read_text()
    assert "from bbb_release import installed_version" in hook and "BIGBLUEBUTTON_RELEASE=" not in hook
    assert "bbb.cluster_proxy.installed_version" in facts and "BIGBLUEBUTTON_RELEASE=" not in facts


def test_the_filter_through_ansible():
    done = ansible_debug("V={{ none | bbb.cluster_proxy.installed_version('1:2.7.12-5') }}")
    assert done.returncode == 0 and "V=2.7" in done.stdout, done.stdout + done.stderr
