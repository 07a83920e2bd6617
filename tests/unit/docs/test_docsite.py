# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docsite's guides: docs/docsite/extra-docs.yml lists every RST of docs/docsite/rst, each has its Markdown
source, and each RST is the current conversion of that source (tools/docsite.sh rst --check)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

ROOT = Path(__file__).resolve().parents[3]
DOCSITE = ROOT / "docs" / "docsite"


def listed() -> list:
    index = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text())
    return [entry for section in index["sections"] for entry in section["toctree"]]


def test_extra_docs_lists_every_rst_and_each_exists():
    names = listed()
    # tools/docsite.sh reads the guides as plain "- name" lines: no title/ref mappings, no paths
    assert all(isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_-]+", name) for name in names), names
    assert len(names) == len(set(names)), names
    present = sorted(
        p.relative_to(DOCSITE / "rst").with_suffix("").as_posix() for p in (DOCSITE / "rst").rglob("*.rst")
    )
    assert sorted(names) == present, "extra-docs.yml and docs/docsite/rst differ: run tools/docsite.sh rst"
    for name in names:
        assert (DOCSITE / "rst" / f"{name}.rst").is_file(), name
        assert (ROOT / "docs" / f"{name}.md").is_file(), f"{name}.rst has no source docs/{name}.md"


def test_the_rst_is_the_conversion_of_the_markdown_guides():
    require("docsite", [] if shutil.which("pandoc") else ["pandoc"], "apt-get install pandoc")
    run = subprocess.run(
        ["bash", str(ROOT / "tools" / "docsite.sh"), "rst", "--check"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
