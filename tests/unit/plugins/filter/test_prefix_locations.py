# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deprecated prefix_locations filter is a thin wrapper of plugin_utils.nginx_copy.prefix_locations.

The derivation itself is tested in tests/unit/plugins/plugin_utils/test_nginx_copy.py.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.prefix_locations import FilterModule, prefix_locations
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils import nginx_copy

TEXT = "location /html5client {\n}\nlocation @html5client {\n  proxy_pass http://127.0.0.1:4100;\n}\n"


def test_registered_under_its_name():
    assert FilterModule().filters() == {"prefix_locations": prefix_locations}


@pytest.mark.parametrize("drop_named", [False, True, "yes", 0])
def test_gives_what_the_helper_gives(drop_named):
    assert prefix_locations(TEXT, "/bbb-01/html5client", drop_named) == nginx_copy.prefix_locations(
        TEXT, "/bbb-01/html5client", bool(drop_named)
    )


@pytest.mark.parametrize(
    ("text", "basename", "message"),
    [(TEXT, "/BBB/html5client", "basename"), ("location @x {\n}\n", "/a/html5client", "no location")],
)
def test_helper_errors_become_filter_errors(text, basename, message):
    with pytest.raises(AnsibleFilterError, match=message):
        prefix_locations(text, basename)
