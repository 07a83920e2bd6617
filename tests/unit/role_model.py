# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bbb_node role's data model read as raw YAML (untemplated), assembled as the role assembles it
(roles/bbb_node/vars/main/model.yml ``__bbb_node_files``, vars/main/adopt.yml ``__bbb_node_adopt_checks``): the files
every family needs, those of the React client where the family has the capability ``graphql``, then the family's."""

from __future__ import annotations

from pathlib import Path

import yaml

VARS = Path(__file__).resolve().parents[2] / "roles" / "bbb_node" / "vars"


def load(name):
    return yaml.safe_load((VARS / name).read_text()) or {}


def capabilities(family):
    return load(f"family_{family}.yml")["__bbb_node_family"]["capabilities"]


def files(family):
    """The raw entries of a family's wanted files, in the role's order."""
    model = load("main/model.yml")
    graphql = model["__bbb_node_graphql_files"] if capabilities(family).get("graphql") else []
    return model["__bbb_node_common_files"] + graphql + load(f"family_{family}.yml")["__bbb_node_family_files"]


def adopt_checks(family):
    """The raw adoption checks of a family, in the role's order."""
    graphql = load("main/model.yml")["__bbb_node_graphql_adopt"] if capabilities(family).get("graphql") else []
    family_adopt = load(f"family_{family}.yml").get("__bbb_node_family_adopt") or []
    return load("main/adopt.yml")["__bbb_node_adopt_common"] + graphql + family_adopt
