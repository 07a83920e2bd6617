# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import start_bbb_web


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "at_size: the same code at production size (thousands of lines or recordings, hundreds of nodes): run once, "
        "on the controller's Python (make unit), not again on each node Python (tools/node_pythons.sh)",
    )


@pytest.fixture
def bbb_web(tmp_path, monkeypatch):
    """The lab's bbb-web double (API, graphql websocket) in-process: bbb_web(family, ...) starts one of room-a on a
    free port and returns the port; all are stopped after the test."""
    servers = []
    yield lambda *a, **k: start_bbb_web(tmp_path, monkeypatch, servers, *a, **k)
    for server in servers:
        server.shutdown()
        server.server_close()
