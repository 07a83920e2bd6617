# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx in the lab's containers, as the Molecule tests drive it."""

from __future__ import annotations

import time

WORKERS = "pgrep -f 'nginx: worker process' || true"


def reload_nginx(host, timeout=30.0):
    """``systemctl reload nginx`` on a testinfra ``host`` and wait until every worker of the old configuration is gone.

    ``nginx -s reload`` only signals the master and returns; the old workers then shut down gracefully, and one
    that had just accepted a connection closes it (an HTTP/2 client sees "Error in the HTTP2 framing layer"). A
    request sent before the last old worker has exited can meet one, so the tests wait for them.
    """
    before = set(host.run(WORKERS).stdout.split())
    result = host.run("systemctl reload nginx")
    assert result.rc == 0, result.stderr
    deadline = time.monotonic() + timeout
    while True:
        now = set(host.run(WORKERS).stdout.split())
        if now and not now & before:
            return
        assert time.monotonic() < deadline, (
            f"nginx still runs old workers {sorted(now & before)} {timeout:.0f} s after a reload"
        )
        time.sleep(0.2)
