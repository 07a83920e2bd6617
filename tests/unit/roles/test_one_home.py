# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One place per fact: the inventory group names, the cluster and the version families each have one home.

- The group names (bbb_nodes, bbb_proxy) are written only in plugins/plugin_utils/cluster.py; roles and playbooks ask
  the cluster lookup (plugins/lookup/cluster.py) for them.
- The cluster is derived (cluster_nodes) and taken (published on localhost, or the input) only by that lookup; no role
  selects "this host's entry" itself.
- A version family's name appears only in its data file (roles/bbb_node/vars/family_<name>.yml): everything else
  branches on the capabilities the family declares.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import load_families

ROOT = Path(__file__).resolve().parents[3]
HOME = {
    "groups": {"plugins/plugin_utils/cluster.py"},
    "cluster": {"plugins/lookup/cluster.py", "plugins/filter/cluster_nodes.py", "plugins/plugin_utils/cluster.py"},
}


def _code(path):
    """The file's code: for Python without the DOCUMENTATION/EXAMPLES/RETURN strings (docs may name anything),
    for YAML and templates without comments."""
    text = path.read_text()
    if path.suffix == ".py":
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN") for t in node.targets
            ):
                for number in range(node.lineno - 1, node.end_lineno):
                    lines[number] = ""
        return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in lines)
    if path.name == "argument_specs.yml":  # descriptions are docs; what counts is a default
        return "\n".join(line for line in text.splitlines() if re.match(r"\s*default:", line))
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def sources():
    found = []
    for pattern in (
        "roles/*/tasks/**/*.yml",
        "roles/*/vars/**/*.yml",
        "roles/*/defaults/**/*.yml",
        "roles/*/handlers/*.yml",
        "roles/*/templates/**/*.j2",
        "roles/*/meta/argument_specs.yml",
        "roles/*/files/*.py",
        "playbooks/*.yml",
        "plugins/**/*.py",
    ):
        found.extend(ROOT.glob(pattern))
    return sorted({p for p in found if p.is_file()})


SOURCES = sources()
FAMILY_FILES = {f"roles/bbb_node/vars/{family['vars_file']}" for family in load_families().values()}


def rel(path):
    return str(path.relative_to(ROOT))


def test_sources_found():
    assert len(SOURCES) > 60 and FAMILY_FILES


GROUP_LITERAL = re.compile(
    r"""['"]bbb_(nodes|proxy)['"]|\|\s*default\(['"]bbb_|groups\[['"]|groups\.bbb_|:\s+bbb_(nodes|proxy)\s*$""", re.M
)


@pytest.mark.parametrize("path", [p for p in SOURCES if rel(p) not in HOME["groups"]], ids=rel)
def test_no_group_name_outside_its_home(path):
    hits = [m.group(0) for m in GROUP_LITERAL.finditer(_code(path))]
    assert not hits, f"{rel(path)}: {hits}: ask lookup('bbb.cluster_proxy.cluster', 'nodes_group'/'proxy_group'/...)"


SECOND_CLUSTER = re.compile(
    r"cluster_nodes\(|\['bbb_cluster_nodes'\]|\.bbb_cluster_nodes\b|bbb_cluster_nodes\s*\|\s*default"
    r"|selectattr\('inventory_hostname', 'equalto', inventory_hostname\)"
)


@pytest.mark.parametrize("path", [p for p in SOURCES if rel(p) not in HOME["cluster"]], ids=rel)
def test_no_second_computation_of_the_cluster(path):
    hits = [m.group(0) for m in SECOND_CLUSTER.finditer(_code(path))]
    assert not hits, f"{rel(path)}: {hits}: use query('bbb.cluster_proxy.cluster') / lookup(..., 'self')"


# The one exception, until 1.0.0: the walk-through's deprecated option family maps the two former names to
# capabilities (its unit test checks that table against the family files).
DEPRECATED_FAMILY_TABLE = {"plugins/modules/browser_walkthrough.py": "FAMILY_CAPABILITIES = "}


@pytest.mark.parametrize("path", [p for p in SOURCES if rel(p) not in FAMILY_FILES], ids=rel)
def test_no_family_name_outside_its_data(path):
    names = "|".join(re.escape(name) for name in load_families())
    code = _code(path)
    if rel(path) in DEPRECATED_FAMILY_TABLE:
        code = "\n".join(line for line in code.splitlines() if not line.startswith(DEPRECATED_FAMILY_TABLE[rel(path)]))
    hits = re.findall(rf"""(['"])({names})\1""", code)
    assert not hits, f"{rel(path)}: {[h[1] for h in hits]}: branch on the capabilities the family data declares"


def test_the_patterns_find_what_they_forbid():
    assert GROUP_LITERAL.search("hosts: \"{{ bbb_cluster_nodes_group | default('bbb_nodes') }}\"")
    assert GROUP_LITERAL.search("bbb_cluster_proxy_group: bbb_proxy")
    assert GROUP_LITERAL.search("groups['bbb_nodes']")
    assert not GROUP_LITERAL.search("name: bbb.cluster_proxy.bbb_proxy")
    assert SECOND_CLUSTER.search("{{ hostvars['localhost']['bbb_cluster_nodes'] | default([]) }}")
    assert SECOND_CLUSTER.search("x | selectattr('inventory_hostname', 'equalto', inventory_hostname) | first")
    assert SECOND_CLUSTER.search("groups[g] | bbb.cluster_proxy.cluster_nodes(hostvars, p)")
