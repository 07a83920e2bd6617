# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/roles/*.md and docs/filters.md are current renderings of the argument specs and plugin docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("render_docs", ROOT / "tools" / "render_docs.py")
render_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_docs)


def test_committed_pages_are_current():
    stale = [
        str(p.relative_to(ROOT)) for p, text in render_docs.pages().items() if not p.is_file() or p.read_text() != text
    ]
    assert stale == [], f"run `make docs`: {stale}"


def test_every_role_variable_and_filter_has_its_row():
    pages = render_docs.pages()
    for spec_file in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        page = pages[ROOT / "docs" / "roles" / f"{spec_file.parents[1].name}.md"]
        for entry in yaml.safe_load(spec_file.read_text())["argument_specs"].values():
            assert f"**{render_docs.markup(entry['short_description'])}**" in page
            for name in entry.get("options") or {}:
                assert f"| `{name}` |" in page
    filters = pages[ROOT / "docs" / "filters.md"]
    for plugin in (ROOT / "plugins" / "filter").glob("*.py"):
        assert f"## {plugin.stem}\n" in filters


def test_markup_becomes_markdown():
    assert render_docs.markup("Set O(a) to V(b), see C(nginx -t) and L(the spec,https://x.test/).") == (
        "Set `a` to `b`, see `nginx -t` and [the spec](https://x.test/)."
    )
    assert render_docs.markup("P(bbb.cluster_proxy.cluster_nodes#filter)") == (
        "[`bbb.cluster_proxy.cluster_nodes`](../filters.md#cluster_nodes)"
    )
