# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/roles/*.md and docs/filters.md are current renderings of the argument specs and plugin docs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
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
        role = spec_file.parents[1].name
        page = pages[ROOT / "docs" / "roles" / f"{role}.md"]
        for name, entry in yaml.safe_load(spec_file.read_text())["argument_specs"].items():
            where = render_docs.role_where(role, name)
            assert f"**{render_docs.markup(entry['short_description'], where)}**" in page
            for option in entry.get("options") or {}:
                assert f"| `{option}` |" in page
    filters = pages[ROOT / "docs" / "filters.md"]
    for plugin in (ROOT / "plugins" / "filter").glob("*.py"):
        assert f"## {plugin.stem}\n" in filters


def test_markup_is_antsibull_docs_parsers_markdown():
    # antsibull-docs-parser's Markdown writer: HTML for code, semantic markup (an option in bold) and Markdown's
    # punctuation escaped; it renders as the text, on GitHub and elsewhere.
    assert render_docs.markup("Set O(a) to V(b), see C(nginx -t) and L(the spec,https://x.test/).") == (
        r"Set <code><strong>a</strong></code> to <code>b</code>\, see <code>nginx \-t</code> and "
        r"[the spec](https\://x\.test/)\."
    )
    assert render_docs.markup(["One.", "I(Two) B(three) E(HOME) U(https://x.test)"]) == (
        r"One\. <em>Two</em> <b>three</b> <code>HOME</code> [https\://x\.test](https\://x\.test)"
    )
    assert render_docs.paragraphs(["One.", "Two."]) == "One\\.\n\nTwo\\."


def test_plugin_references_link_to_their_pages_or_stay_text():
    # A role page links to docs/filters.md and to the other role pages; a plugin with no page here (modules,
    # lookups, other collections') is its name, unlinked.
    on_node = render_docs.role_where("bbb_node", "main")
    assert render_docs.markup("P(bbb.cluster_proxy.cluster_nodes#filter)", on_node) == (
        r"[bbb\.cluster\_proxy\.cluster\_nodes](\.\./filters\.md\#cluster\_nodes)"
    )
    assert render_docs.markup("P(bbb.cluster_proxy.bbb_rollback#role)", on_node) == (
        r"[bbb\.cluster\_proxy\.bbb\_rollback](bbb\_rollback\.md)"
    )
    assert render_docs.markup("P(bbb.cluster_proxy.bbb_node#role)", on_node) == (
        r"[bbb\.cluster\_proxy\.bbb\_node](\#entry\-point\-main)"
    )
    on_filters = render_docs.filter_where("log_bundle")
    both = "P(bbb.cluster_proxy.log_window#filter) P(bbb.cluster_proxy.bbb_logs#role)"
    assert render_docs.markup(both, on_filters) == (
        r"[bbb\.cluster\_proxy\.log\_window](\#log\_window) [bbb\.cluster\_proxy\.bbb\_logs](roles/bbb\_logs\.md)"
    )
    unlinked = "M(bbb.cluster_proxy.node_files) P(bbb.cluster_proxy.cluster#lookup) M(ansible.builtin.slurp)"
    assert render_docs.markup(unlinked) == (
        r"bbb\.cluster\_proxy\.node\_files bbb\.cluster\_proxy\.cluster ansible\.builtin\.slurp"
    )


def test_broken_markup_stops_the_rendering():
    with pytest.raises(ValueError, match='Cannot find closing "\\)"'):
        render_docs.markup("Set O(a to b.")


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation but - and _ dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_of_the_pages_reaches_a_file_and_its_heading():
    broken = []
    for path, text in render_docs.pages().items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            target = re.sub(r"\\(.)", r"\1", target)  # the writer escapes Markdown's punctuation
            if re.match(r"[a-z]+:", target):
                continue
            file, _sep, anchor = target.partition("#")
            page = (path.parent / file).resolve() if file else path
            if not page.exists():
                broken.append(f"{path.name}: {target}")
            elif anchor and page.suffix == ".md":
                source = text if page == path else page.read_text()
                if anchor not in {_slug(h) for h in re.findall(r"^#+ (.*)$", source, re.M)}:
                    broken.append(f"{path.name}: {target} (no such heading)")
    assert broken == []
