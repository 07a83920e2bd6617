# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the lab doubles' tests."""

from __future__ import annotations

import pytest
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.scalelite import ScaleliteLab


@pytest.fixture
def node(bbb_web):
    """bbb-web doubles of room-a (tests/unit/conftest.py): node(family) starts one, returns its port."""
    return bbb_web


@pytest.fixture
def lab(tmp_path):
    """Two bbb-web doubles (room-a, room-b) and the Scalelite double in front; returns a helper object."""
    started = []
    yield ScaleliteLab(tmp_path, started)
    for server in started:
        server.shutdown()
        server.server_close()
