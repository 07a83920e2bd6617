# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Derivation and validation of the cluster's node paths.

This is the single place where a node's path label and basename are derived
from the inventory and where the set of nodes is checked. The ``cluster``
lookup (which every role reads) and the ``cluster_nodes`` filter use it, so
proxy and node can never disagree. The filters ``node_label`` and
``prefix_locations`` are deprecated wrappers of it.
"""

from __future__ import annotations

import re

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.retention import problems as _retention_problems
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import family_of, load_families
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.nginx_copy import CopyError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.nginx_copy import prefix_locations as _prefix_locations
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.public_suffix import NoPublicSuffixList
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.public_suffix import load as _load_public_suffix_list

LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
HOST_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

# Paths a BBB node or the proxy uses for itself; a node label equal to one of
# them would make /<label>/... ambiguous for operators and for nginx.
RESERVED_LABELS = frozenset(
    {
        "html5client",
        "bigbluebutton",
        "graphql",
        "api",
        "pad",
        "playback",
        "presentation",
        "learning-analytics-dashboard",
        "livekit",
        "ws",
        "bbb-webrtc-sfu",
        "rtmp",
        "stun",
        "turn",
    }
)

NODE_VARS = ("bbb_node_public_hostname", "bbb_node_label", "bbb_node_version")

# The inventory groups of the cluster: the only place their default names are written. An inventory may rename them
# with bbb_cluster_nodes_group / bbb_cluster_proxy_group; roles and playbooks ask the cluster lookup for the names.
GROUP_VARS = {
    "nodes_group": ("bbb_cluster_nodes_group", "bbb_nodes"),
    "proxy_group": ("bbb_cluster_proxy_group", "bbb_proxy"),
}


class ClusterError(ValueError):
    """Invalid cluster definition; ``problems`` holds one line per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            "Invalid BBB cluster inventory ({} problem{}):\n  - {}".format(
                len(self.problems), "" if len(self.problems) == 1 else "s", "\n  - ".join(self.problems)
            )
        )


def _hostname_problem(value):
    """Return why ``value`` is not a valid lowercase FQDN without scheme, port or path, or None."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if value == "":
        return "is empty"
    if "://" in value:
        return "contains a scheme ('://'); give the bare hostname"
    if "/" in value:
        return "contains a path ('/'); give the bare hostname"
    if ":" in value:
        return "contains a port (':'); the cluster uses port 443"
    if any(c.isspace() for c in value):
        return "contains white space"
    if value != value.lower():
        return "contains uppercase letters; use the lowercase hostname"
    if len(value) > 253:
        return "is longer than 253 characters"
    labels = value.rstrip(".").split(".")
    if len(labels) < 2:
        return "is not a fully qualified domain name (it needs at least one dot)"
    for label in labels:
        if not HOST_LABEL_RE.match(label):
            return f"has an invalid DNS label '{label}' (letters, digits and inner dashes, at most 63 characters)"
    return None


def _label_problem(value):
    """Return why ``value`` is not a valid node label, or None."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if value in RESERVED_LABELS:
        return "is reserved (a path BBB uses itself)"
    if not LABEL_RE.match(value):
        bad = sorted({c for c in value if not (c.islower() or c.isdigit() or c == "-")})
        why = []
        if value == "":
            why.append("is empty")
        if bad:
            why.append("contains " + " ".join(repr(c) for c in bad))
        if value[:1] == "-" or value[-1:] == "-":
            why.append("starts or ends with '-'")
        if len(value) > 63:
            why.append("is longer than 63 characters")
        return (", ".join(why) or "is not a valid label") + "; allowed: lowercase letters, digits, inner dashes"
    return None


def node_label(hostname):
    """Return the first DNS label of a valid hostname."""
    problem = _hostname_problem(hostname)
    if problem:
        raise ClusterError([f"hostname '{hostname}' {problem}"])
    return hostname.split(".", 1)[0]


def _get(hostvars, host, name):
    """Read one variable of one host from a dict or an Ansible HostVars object (None if unset)."""
    try:
        variables = hostvars[host]
    except KeyError:
        return None
    try:
        if name not in variables:
            return None
        return variables[name]
    except (KeyError, TypeError):
        return None


def _normalise_version(value):
    if value is None or value == "":
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, f"is a {type(value).__name__}; give a version string such as '2.7'"
    value = str(value).strip()
    if not re.match(r"^[0-9]+\.[0-9]+([.\-+~][0-9A-Za-z.\-+~]*)?$", value):
        return None, "is not a version such as '2.7' or '3.0.30'"
    return value, None


def cluster_nodes(hosts, hostvars, proxy_hostname, families=None):
    """Derive and validate every node of the cluster; raise ClusterError naming every problem.

    A node's version is its ``bbb_node_version``, else the ``bbb_node_detected_version`` its facts found (None when
    neither is known yet); its family and capabilities come from the family data files (``families``).
    """
    families = load_families() if families is None else families
    problems = []
    proxy_problem = _hostname_problem(proxy_hostname)
    if proxy_problem:
        problems.append(
            f"bbb_cluster_proxy_hostname: '{proxy_hostname}' {proxy_problem}. "
            "Fix: set bbb_cluster_proxy_hostname once in the inventory (group_vars/all), e.g. proxy.example.com"
        )
    if not hosts:
        problems.append(
            "bbb_cluster_nodes_group: the node group has no hosts. "
            "Fix: put the BBB nodes into the group (default 'bbb_nodes') or set bbb_cluster_nodes_group"
        )
        raise ClusterError(problems)
    if isinstance(hosts, str) or not all(isinstance(h, str) for h in hosts):
        raise ClusterError(problems + ["the node list must be a list of inventory hostnames"])

    nodes = []
    for host in hosts:
        public = _get(hostvars, host, "bbb_node_public_hostname")
        public_from_var = public is not None
        if public is None:
            public = host
        where = "bbb_node_public_hostname" if public_from_var else "inventory_hostname (bbb_node_public_hostname unset)"
        problem = _hostname_problem(public)
        if problem:
            problems.append(
                f"host {host}: {where} '{public}' {problem}. Fix: set bbb_node_public_hostname to the node's public FQDN"
            )
            continue

        label = _get(hostvars, host, "bbb_node_label")
        label_from_var = label is not None
        if label is None:
            label = public.split(".", 1)[0]
        problem = _label_problem(label)
        if problem:
            if label_from_var:
                fix = "set bbb_node_label to lowercase letters, digits and dashes, e.g. 'bbb-01'"
                problems.append(f"host {host}: bbb_node_label '{label}' {problem}. Fix: {fix}")
            else:
                fix = "set bbb_node_label for this host"
                problems.append(f"host {host}: label '{label}' derived from '{public}' {problem}. Fix: {fix}")
            continue

        version, problem = _normalise_version(_get(hostvars, host, "bbb_node_version"))
        if problem:
            problems.append(f"host {host}: bbb_node_version {problem}")
            continue

        retention = _retention_problems(host, lambda name, host=host: _get(hostvars, host, name))
        if retention:
            problems.extend(retention)
            continue

        if not proxy_problem and public.rstrip(".") == proxy_hostname.rstrip("."):
            problems.append(
                f"host {host}: public hostname '{public}' is the proxy's hostname (bbb_cluster_proxy_hostname). "
                "Fix: the proxy and each node need their own hostnames"
            )
            continue
        nodes.append(
            {
                "host": host,
                "public": public.rstrip("."),
                "label": label,
                "label_from_var": label_from_var,
                "version": version,
            }
        )

    for key, what, fix in (
        ("label", "path label", "set a distinct bbb_node_label for all but one of them"),
        ("public", "public hostname", "give each node its own bbb_node_public_hostname"),
    ):
        seen = {}
        for node in nodes:
            seen.setdefault(node[key], []).append(node["host"])
        for value, owners in sorted(seen.items()):
            if len(owners) > 1:
                problems.append(f"hosts {', '.join(owners)}: share the {what} '{value}'. Fix: {fix}")

    if problems:
        raise ClusterError(problems)

    proxy = proxy_hostname.rstrip(".")
    # Same site as the proxy (T9) by the Public Suffix List, as browsers judge it; without a list that is unknown.
    try:
        sites = _load_public_suffix_list()
    except NoPublicSuffixList as exc:
        hosts_text = ", ".join(sorted(n["host"] for n in nodes))
        raise ClusterError(
            [
                f"controller: no Public Suffix List (tried {exc.tried_text}) to tell, as browsers do, whether the "
                f"proxy '{proxy}' (bbb_cluster_proxy_hostname) and the nodes ({hosts_text}) are the same site, which "
                f"decides bbb-web's session cookie (bbb_node_session_cookie_same_site: auto, trap T9). Fix: {exc.fix}"
            ]
        ) from exc
    result = []
    for node in sorted(nodes, key=lambda n: n["label"]):
        basename = "/{}/html5client".format(node["label"])
        version = node["version"]  # bbb_node_version, normalised above
        if version is None:
            version = _normalise_version(_get(hostvars, node["host"], "bbb_node_detected_version"))[0]
        family = family_of(version, families) or {}
        caps = family.get("capabilities", {})
        result.append(
            {
                "inventory_hostname": node["host"],
                "hostname": node["public"],
                "label": node["label"],
                "basename": basename,
                "node_origin": "https://" + node["public"],
                "proxy_origin": "https://" + proxy,
                "client_url": f"https://{proxy}{basename}/",
                # where a join lands (the family's join suffix) and where a waiting guest's join leads: the client,
                # or the node's own guest lobby (families with guest_lobby_on_node)
                "join_url": f"https://{proxy}{basename}/" + str(caps.get("join_suffix") or ""),
                "guest_url": (
                    f"https://{node['public']}{basename}/guestWait"
                    if caps.get("guest_lobby_on_node")
                    else f"https://{proxy}{basename}/" + str(caps.get("join_suffix") or "")
                ),
                # the registrable domains (sites) of node and proxy by the Public Suffix List, and which list
                "same_site": sites.same_site(node["public"], proxy),
                "site": sites.site(node["public"]),
                "proxy_site": sites.site(proxy),
                "site_source": sites.source,
                "version": version,
                "family": family.get("name"),
                "capabilities": caps,
                "vars_file": family.get("vars_file"),
                "logs": family.get("logs", []),
            }
        )
    return result


def prefix_locations(text, basename, drop_named=False):
    """Prefix every ``/html5client`` nginx location of ``text`` with ``basename`` (see nginx_copy.prefix_locations).

    The derivation itself lives in nginx_copy, which the node's self-heal hook runs too.
    """
    try:
        return _prefix_locations(text, basename, drop_named)
    except CopyError as exc:
        raise ClusterError(exc.problems) from exc
