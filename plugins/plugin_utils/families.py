# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The BigBlueButton version families the collection supports, read from the node role's data files.

Each ``roles/bbb_node/vars/family_<name>.yml`` holds one family: the versions it covers and its capabilities
(``__bbb_node_family``), and the files a node of that family must have. Adding a version family means adding one such
file; this module, the cluster_nodes filter and both roles take the list from there.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

FAMILIES_DIR = Path(__file__).resolve().parents[2] / "roles" / "bbb_node" / "vars"
_CACHE = {}


def load_families(directory=None):
    """Family name -> {name, versions, capabilities, logs, vars_file}, from the family_*.yml files of ``directory``.

    A family's logs are the common ones (``__bbb_node_common_logs`` of ``main/model.yml``), then its own.
    """
    directory = Path(directory or FAMILIES_DIR)
    key = (str(directory), tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("family_*.yml"))))
    if key not in _CACHE:
        model = directory / "main" / "model.yml"  # the logs every family has, before each family's own
        common = (yaml.safe_load(model.read_text()) or {}).get("__bbb_node_common_logs") if model.is_file() else None
        families = {}
        for path in sorted(directory.glob("family_*.yml")):
            data = (yaml.safe_load(path.read_text()) or {}).get("__bbb_node_family")
            if not isinstance(data, dict) or not data.get("versions"):
                raise ValueError(f"{path}: needs __bbb_node_family with name, versions and capabilities")
            name = str(data.get("name") or path.stem[len("family_") :])
            families[name] = {
                "name": name,
                "versions": [str(v) for v in data["versions"]],
                "capabilities": dict(data.get("capabilities") or {}),
                "logs": [dict(source) for source in (common or []) + (data.get("logs") or [])],
                "vars_file": path.name,
            }
        _CACHE[key] = families
    return _CACHE[key]


def supported_versions(families):
    """The supported major.minor versions, in version order."""
    versions = {v for family in families.values() for v in family["versions"]}
    return sorted(versions, key=lambda v: [int(p) if p.isdigit() else p for p in v.split(".")])


def family_of(version, families):
    """The family that covers ``version`` (its major.minor), or None."""
    if version is None:
        return None
    match = re.match(r"^([0-9]+\.[0-9]+)", str(version).strip())
    if not match:
        return None
    for family in families.values():
        if match.group(1) in family["versions"]:
            return family
    return None
