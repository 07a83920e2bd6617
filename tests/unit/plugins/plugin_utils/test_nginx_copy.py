# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's prefixed client locations (plugins/plugin_utils/nginx_copy.py), which the bbb_node role (through
node_files) and the node's self-heal hook both derive with prefix_locations."""

from __future__ import annotations

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.nginx_copy import CopyError, prefix_locations

# Our own fixtures with the shapes of the BBB package files (3.0 .static, 2.6/2.7 meteor file).
STATIC_30 = """\
# static client
location /html5client {
    alias /usr/share/bigbluebutton/html5-client/;
    try_files $uri $uri/ =404;
}

location /html5client/locales {
  alias /usr/share/bigbluebutton/html5-client/locales;
}
"""

METEOR = """\
location ~ ^/html5client/(locales|compatibility|resources|svgs|fonts|files|wasm)/ {
  root /usr/share/meteor/bundle/programs/web.browser/app;
}
location /html5client/sockjs {
  proxy_pass http://127.0.0.1:4100;
}
location =/html5client/locale {
  return 301 /x;
}
location ^~ /html5client/__meteor__/dynamic-import/fetch {
  proxy_pass http://127.0.0.1:4100;
}
location /html5client {
  try_files $uri @html5client;
}
location @html5client {
  proxy_pass http://127.0.0.1:4100; # location /html5client stays in comments
}
"""


def test_static_30_exact_output():
    assert prefix_locations(STATIC_30, "/bbb-01/html5client") == STATIC_30.replace(
        "location /html5client {", "location /bbb-01/html5client {"
    ).replace("location /html5client/locales {", "location /bbb-01/html5client/locales {")


def test_meteor_shapes():
    out = prefix_locations(METEOR, "/bbb-02/html5client")
    assert out.splitlines() == [
        "location ~ ^/bbb-02/html5client/(locales|compatibility|resources|svgs|fonts|files|wasm)/ {",
        "  root /usr/share/meteor/bundle/programs/web.browser/app;",
        "}",
        "location /bbb-02/html5client/sockjs {",
        "  proxy_pass http://127.0.0.1:4100;",
        "}",
        "location =/bbb-02/html5client/locale {",
        "  return 301 /x;",
        "}",
        "location ^~ /bbb-02/html5client/__meteor__/dynamic-import/fetch {",
        "  proxy_pass http://127.0.0.1:4100;",
        "}",
        "location /bbb-02/html5client {",
        "  try_files $uri @html5client;",
        "}",
        "location @html5client {",
        "  proxy_pass http://127.0.0.1:4100; # location /html5client stays in comments",
        "}",
    ]


def test_already_prefixed_and_similar_paths_untouched():
    text = "location /bbb-01/html5client {\n}\nlocation /html5clientx {\n}\nlocation /html5client/a {\n}\n"
    out = prefix_locations(text, "/bbb-01/html5client")
    assert (
        out == "location /bbb-01/html5client {\n}\nlocation /html5clientx {\n}\nlocation /bbb-01/html5client/a {\n}\n"
    )


def test_crlf_line_endings_kept():
    assert (
        prefix_locations("location /html5client {\r\n}\r\n", "/a/html5client") == "location /a/html5client {\r\n}\r\n"
    )


def test_no_location_is_an_error():
    with pytest.raises(CopyError, match="no location starting with /html5client"):
        prefix_locations("location @html5client {\n}\n", "/bbb-01/html5client")


@pytest.mark.parametrize(
    "basename", ["/bbb-01/html5client/", "bbb-01/html5client", "/BBB/html5client", "/a/b/html5client", 3]
)
def test_bad_basename(basename):
    with pytest.raises(CopyError, match="basename"):
        prefix_locations(STATIC_30, basename)


def test_input_that_is_not_text():
    with pytest.raises(CopyError, match="input is a bytes"):
        prefix_locations(STATIC_30.encode(), "/bbb-01/html5client")


def test_drop_named_removes_the_whole_named_block_only():
    out = prefix_locations(METEOR, "/bbb-02/html5client", True)
    assert "@html5client {" not in out
    assert "proxy_pass http://127.0.0.1:4100; # location" not in out
    assert "  try_files $uri @html5client;" in out
    assert out.splitlines()[-3:] == ["location /bbb-02/html5client {", "  try_files $uri @html5client;", "}"]


def test_drop_named_with_nested_braces():
    text = "location @x {\n  if ($a) {\n    return 1;\n  }\n}\nlocation /html5client {\n}\n"
    assert prefix_locations(text, "/n/html5client", drop_named=True) == "location /n/html5client {\n}\n"
