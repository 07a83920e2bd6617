# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The license travels with the code: the license text, and one header form in every Python file and shell script."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEADER = [
    "# Copyright: contributors to bbb.cluster_proxy",
    "# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)",
    "# SPDX-License-Identifier: GPL-3.0-or-later",
]
# The lab image's tag is the hash of this script (build-image.sh: a changed script rebuilds every cached image), so
# its header is the one line it had when it was written; it is a development tool, not shipped (galaxy.yml ignores
# molecule/).
UNCHANGED = {"molecule/resources/image/build-image.sh"}


def sources():
    """Every Python file and shell script of the checkout (tracked or new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        path = ROOT / name
        if not path.is_file() or name.startswith("LICENSES/"):
            continue
        first = path.read_text(errors="replace").split("\n", 1)[0]
        shell = first.startswith("#!") and re.search(r"\b(ba)?sh\b", first)
        if name.endswith((".py", ".sh")) or shell:
            yield name, path


def test_the_license_text_is_shipped_where_the_headers_point():
    gpl = Path("/usr/share/common-licenses/GPL-3")
    licensed = (ROOT / "LICENSES" / "GPL-3.0-or-later.txt").read_text()
    assert (ROOT / "LICENSE").read_text() == licensed
    assert "GNU GENERAL PUBLIC LICENSE" in licensed and "Version 3, 29 June 2007" in licensed
    if gpl.exists():
        assert licensed == gpl.read_text()


def test_every_python_file_and_shell_script_has_the_spdx_header():
    wrong = []
    seen = 0
    for name, path in sources():
        seen += 1
        lines = path.read_text(errors="replace").split("\n")
        start = 1 if lines[0].startswith("#!") else 0
        if name in UNCHANGED:
            continue
        if lines[start : start + 3] != HEADER:
            wrong.append(f"{name}: {lines[start : start + 3]}")
    assert seen > 150, f"only {seen} files found: is this a git checkout?"
    assert wrong == [], "without the header (put the three lines of HEADER first, after a shebang):\n" + "\n".join(
        wrong
    )


def test_the_tarball_keeps_the_license_and_the_policies():
    import yaml

    ignored = yaml.safe_load((ROOT / "galaxy.yml").read_text())["build_ignore"]
    for name in ("LICENSE", "LICENSES", "SECURITY.md", "CONTRIBUTING.md", "requirements.yml"):
        assert not any(Path(name).match(pattern) or name == pattern for pattern in ignored), name
    assert yaml.safe_load((ROOT / "galaxy.yml").read_text())["license"] == ["GPL-3.0-or-later"]
