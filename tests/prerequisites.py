# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A suite whose prerequisite is missing fails with what to install; it is never skipped in silence.

The only way to leave such a suite out is to say so: ``BBB_TEST_SKIP`` holds a
comma-separated list of suite names (``browser``, ``nginx``, ``matrix``, ``metrics`` (promtool); ``all``
for every one). A suite named there is skipped with that reason, and
``make test``'s closing line counts and names it (tools/test_summary.py).
"""

from __future__ import annotations

import os

import pytest

VARIABLE = "BBB_TEST_SKIP"


def opted_out(suite: str) -> bool:
    """True when the user named ``suite`` (or ``all``) in BBB_TEST_SKIP."""
    names = {name.strip() for name in os.environ.get(VARIABLE, "").split(",") if name.strip()}
    return suite in names or "all" in names


def require(suite: str, missing: list[str], install: str) -> None:
    """Fail the test, naming what is missing and how to install it, unless the user opted ``suite`` out.

    ``missing`` lists what was looked for and not found (empty: nothing to do).
    """
    if not missing:
        return
    what = ", ".join(missing)
    if opted_out(suite):
        pytest.skip(f"{suite} suite left out by {VARIABLE}={os.environ[VARIABLE]} (missing: {what})")
    pytest.fail(
        f"the {suite} suite needs {what}, which this machine lacks: {install} "
        f"(make test installs it when run as root), or leave the suite out with {VARIABLE}={suite}",
        pytrace=False,
    )
