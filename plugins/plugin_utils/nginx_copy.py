# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's prefixed copy of the package's client locations, as plain text functions.

One derivation for the role (plugins/plugin_utils/cluster.py and node_model.py import it) and for the node's
self-heal hook (the bbb_node role installs this very file as /usr/local/lib/bbb-cluster-proxy/nginx_copy.py next to
roles/bbb_node/files/bbb_cluster_proxy_selfheal.py). So a heal on the node writes byte for byte what a role run
would write, and the next run changes nothing.

Standard library only, no Ansible import: it runs on the node's own python3.
"""

from __future__ import annotations

import re

HEADER = "# Ansible managed: bbb.cluster_proxy (bbb_node role)"
BASENAME_RE = re.compile(r"^/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/html5client$")

_LOCATION_RE = re.compile(
    r"^(?P<head>\s*location\s+)(?P<mod>(?:=|\^~|~\*|~)\s*)?(?P<path>\^?/html5client(?![A-Za-z0-9_-])\S*)(?P<tail>.*)$"
)
_NAMED_RE = re.compile(r"^\s*location\s+@")


class CopyError(ValueError):
    """The package text or the basename cannot be turned into the prefixed copy; ``problems`` holds one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _drop_named_locations(lines):
    """Remove every ``location @name { ... }`` block (braces counted outside comments)."""
    out = []
    depth = 0
    for line in lines:
        if depth == 0 and _NAMED_RE.match(line):
            depth = None
        if depth is None or depth > 0:
            code = line.split("#", 1)[0]
            depth = (depth or 0) + code.count("{") - code.count("}")
            continue
        out.append(line)
    return out


def prefix_locations(text, basename, drop_named=False):
    """Prefix every ``/html5client`` nginx location of ``text`` with ``basename``.

    ``location @html5client`` (a named location), ``alias``/``proxy_pass``
    targets and everything else stay as they are. With ``drop_named`` the
    named locations are left out, for a copy that is included next to the
    package's own file (nginx refuses two named locations of one name).
    """
    if not isinstance(text, str):
        raise CopyError([f"prefix_locations: input is a {type(text).__name__}, not the text of an nginx file"])
    if not isinstance(basename, str) or not BASENAME_RE.match(basename):
        raise CopyError([f"prefix_locations: basename '{basename}' is not of the form /<label>/html5client"])
    prefix = basename[: -len("/html5client")]
    out = []
    count = 0
    lines = text.splitlines(keepends=True)
    if drop_named:
        lines = _drop_named_locations(lines)
    for line in lines:
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        match = _LOCATION_RE.match(body)
        if match:
            path = match.group("path")
            if path.startswith("^"):
                path = "^" + prefix + path[1:]
            else:
                path = prefix + path
            body = "{}{}{}{}".format(match.group("head"), match.group("mod") or "", path, match.group("tail"))
            count += 1
        out.append(body + ending)
    if count == 0:
        raise CopyError(["prefix_locations: the nginx text has no location starting with /html5client"])
    return "".join(out)


def render(source_text, source, basename, drop_named=False, settings=(), append=""):
    """The whole text of the node's copy (e.g. /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx).

    ``source_text`` is the package file ``source`` as it is now; ``settings`` the nginx variables set at server level,
    as (name, value) pairs or a mapping, in order; ``append`` extra lines at the end.
    """
    pairs = list(settings.items()) if isinstance(settings, dict) else [tuple(pair) for pair in settings]
    prefixed = prefix_locations(source_text, basename, bool(drop_named)).strip()
    parts = [
        HEADER,
        f"# This node's client under {basename}; included at server level by BigBlueButton's nginx site,",
        "# named to sort after the package's files so that its `set` lines win.",
        *(f"set ${name} {value};" for name, value in pairs),
        f"# --- {source}, with the node prefix ---",
        prefixed,
        "# --- end ---",
        (append or "").strip(),
    ]
    return "\n".join(p for p in parts if p) + "\n"
