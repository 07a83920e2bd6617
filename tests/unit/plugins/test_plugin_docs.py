# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every plugin's documentation parses, names the plugin, and documents every option of its interface."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
FILES = sorted(p for kind in ("filter", "modules") for p in (PLUGINS / kind).glob("*.py") if p.name != "__init__.py")


def test_plugins_found():
    assert len(FILES) >= 9


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_documentation_parses_and_names_the_plugin(path):
    module = importlib.import_module(f"ansible_collections.bbb.cluster_proxy.plugins.{path.parent.name}.{path.stem}")
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert isinstance(getattr(module, block, None), str), block
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc[("module" if path.parent.name == "modules" else "name")] == path.stem
    assert doc["short_description"] and doc["description"]
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)
    if path.parent.name == "filter":
        assert path.stem in module.FilterModule().filters()
