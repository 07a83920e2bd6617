# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The walk-through's run leaves nothing behind in the controller's temporary directory, even when it fails early
(it imports Playwright, a test requirement)."""

import tempfile

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import walkthrough_browser


def test_a_placement_that_fails_leaves_no_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    extra = tmp_path / "lab-ca.pem"
    extra.write_text("-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n")

    def unreachable(params):
        raise OSError("connection refused")

    monkeypatch.setattr(walkthrough_browser, "place_meetings", unreachable)
    params = {"report_dir": str(tmp_path / "report"), "ca_file": str(extra)}
    with pytest.raises(OSError, match="connection refused"):
        walkthrough_browser.run_walkthrough(None, params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab-ca.pem", "report"]
