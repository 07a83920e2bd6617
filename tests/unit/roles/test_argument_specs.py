# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role default is declared in meta/argument_specs.yml with the same value, and vice versa."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster_vars import ALIASES
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster_vars import DEFAULTS as CLUSTER_DEFAULTS

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
# Cluster-wide inventory variables: documented in each role's spec, defined in no role's defaults.
CLUSTER_WIDE = {
    "bbb_cluster_proxy_hostname",
    "bbb_cluster_nodes_group",
    "bbb_cluster_proxy_group",
    "bbb_cluster_nodes",
    "bbb_cluster_checksum_algorithm",  # read by every role that calls an API, empty: the filter's default
} | set(CLUSTER_DEFAULTS)  # the cluster_var lookup's settings, defaulted there
# Former names of those settings, kept one release as deprecated aliases: documented as such, defaulted nowhere.
DEPRECATED = {old for olds in ALIASES.values() for old in olds}
# A run's request that predates the role bbb_cluster, declared by its entry point rollback.
RUN_WIDE = {"bbb_rollback_id"}


def _load(role: str):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = {}
    for entry in spec["argument_specs"].values():  # every entry point's options
        options.update(entry.get("options") or {})
    return defaults, options


def test_roles_found():
    assert ROLES == [
        "bbb_acceptance",
        "bbb_cluster",
        "bbb_controller",
        "bbb_health",
        "bbb_logs",
        "bbb_metrics",
        "bbb_node",
        "bbb_proxy",
        "bbb_rollback",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_specified_with_the_same_value(role):
    defaults, options = _load(role)
    for name, value in defaults.items():
        assert name in options, f"{role}: default {name} is missing from meta/argument_specs.yml"
        assert options[name].get("default") == value, f"{role}: {name} default differs from argument_specs"


@pytest.mark.parametrize("role", ROLES)
def test_every_specified_default_exists_in_defaults(role):
    defaults, options = _load(role)
    for name, option in options.items():
        if "default" in option and name not in CLUSTER_WIDE:
            assert name in defaults, f"{role}: {name} has a spec default but no entry in defaults/main.yml"


@pytest.mark.parametrize("role", ROLES)
def test_variables_are_role_prefixed_or_cluster_wide(role):
    _unused, options = _load(role)
    for name in options:
        allowed = CLUSTER_WIDE | RUN_WIDE | DEPRECATED
        assert name.startswith(role + "_") or name in allowed, f"{role}: {name} lacks the role prefix"


@pytest.mark.parametrize("role", ROLES)
def test_deprecated_aliases_are_marked_and_defaulted_nowhere(role):
    defaults, options = _load(role)
    for name in DEPRECATED & set(options):
        option = options[name]
        assert "default" not in option and name not in defaults, f"{role}: {name} is deprecated and has a default"
        assert str(option["description"]).startswith("Deprecated (removed in 1.0.0)"), f"{role}: {name}"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_described_and_typed(role):
    _unused, options = _load(role)
    for name, option in options.items():
        assert option.get("description"), f"{role}: {name} has no description"
        assert option.get("type"), f"{role}: {name} has no type"
