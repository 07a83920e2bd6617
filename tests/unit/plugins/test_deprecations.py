# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deprecated plugins: meta/runtime.yml and each plugin's DOCUMENTATION agree (as ansible-test's validate-modules
requires), and no role or playbook of the collection uses one (the reason the docs give for the deprecation)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROUTING = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text()).get("plugin_routing", {})
KINDS = {"modules": "modules", "filter": "filter"}


def documentation(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    return {}


PLUGINS = sorted(
    (kind, path.stem, documentation(path))
    for kind, directory in KINDS.items()
    for path in (ROOT / "plugins" / directory).glob("*.py")
    if path.name != "__init__.py"
)
# A filter is deprecated by its description and a warning when it is called, not in meta/runtime.yml: Ansible loads
# every filter file of a collection to find one filter, so a routed deprecation would warn on every run.
DEPRECATED = [
    (kind, name)
    for kind, name, doc in PLUGINS
    if doc.get("deprecated") or (kind == "filter" and any(line.startswith("Deprecated") for line in doc["description"]))
]


def test_some_plugins_are_deprecated():
    assert ("modules", "properties_file") in DEPRECATED and ("filter", "node_label") in DEPRECATED


@pytest.mark.parametrize(("kind", "name"), [d for d in DEPRECATED if d[0] == "filter"])
def test_a_deprecated_filter_warns_when_called_not_on_every_run(kind, name):
    assert name not in ROUTING.get(kind, {})
    source = (ROOT / "plugins" / "filter" / f"{name}.py").read_text()
    assert re.search(r'display\.deprecated\(.*?version="1\.0\.0",\s*collection_name="bbb\.cluster_proxy"', source, re.S)


@pytest.mark.parametrize(
    ("kind", "name", "doc"), [p for p in PLUGINS if p[0] == "modules"], ids=lambda v: v if isinstance(v, str) else ""
)
def test_runtime_and_documentation_agree(kind, name, doc):
    routed = ROUTING.get(kind, {}).get(name, {}).get("deprecation")
    documented = doc.get("deprecated")
    assert bool(routed) == bool(documented), f"{kind}/{name}: meta/runtime.yml and DOCUMENTATION.deprecated disagree"
    if routed:
        assert routed["removal_version"] == documented["removed_in"]
        assert routed.get("warning_text") and documented.get("why") and documented.get("alternative")
        assert any("Deprecated" in line for line in doc["description"]), "say it in the description (docs/filters.md)"


def test_every_routed_plugin_exists():
    names = {(kind, name) for kind, name, _doc in PLUGINS}
    for kind in KINDS:
        for name in ROUTING.get(kind, {}):
            assert (kind, name) in names, f"meta/runtime.yml routes {kind}/{name}, which does not exist"


@pytest.mark.parametrize(("kind", "name"), DEPRECATED)
def test_no_role_or_playbook_uses_a_deprecated_plugin(kind, name):
    if kind == "filter":
        use = re.compile(rf"\|\s*(?:bbb\.cluster_proxy\.)?{name}\b")
    else:
        use = re.compile(rf"^\s*(?:bbb\.cluster_proxy\.)?{name}:", re.M)
    found = [
        str(path.relative_to(ROOT))
        for top in ("roles", "playbooks")
        for path in (ROOT / top).rglob("*")
        if path.suffix in (".yml", ".yaml", ".j2") and use.search(path.read_text())
    ]
    assert found == []
