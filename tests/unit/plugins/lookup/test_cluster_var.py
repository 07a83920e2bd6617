# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cluster_var: one public variable per cluster-wide fact, its default once, its former names deprecated."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.lookup import cluster_var as plugin
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster_vars import ALIASES, DEFAULTS, resolve
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_debug


def _resolve(name, variables):
    return resolve(name, variables.__contains__, variables.__getitem__)


def test_unset_gives_the_one_default():
    assert _resolve("bbb_cluster_proxy_access_log", {}) == ("/var/log/nginx/bbb-cluster-proxy.access.log", None)


def test_the_new_name_wins_over_a_former_one():
    seen = {"bbb_cluster_selfheal_marker": "/new", "bbb_node_selfheal_marker": "/old"}
    assert _resolve("bbb_cluster_selfheal_marker", seen) == ("/new", None)


@pytest.mark.parametrize("new,old", [(new, old) for new, olds in ALIASES.items() for old in olds])
def test_a_former_name_still_works_and_is_named(new, old):
    assert _resolve(new, {old: "value"}) == ("value", old)


def test_an_empty_string_is_a_value_not_unset():
    """bbb_cluster_proxy_access_log: '' leaves nginx's http-level log: it must not fall back to the default."""
    assert _resolve("bbb_cluster_proxy_access_log", {"bbb_cluster_proxy_access_log": ""}) == ("", None)


def test_every_alias_has_a_default_and_no_name_is_two_facts():
    assert set(ALIASES) <= set(DEFAULTS)
    former = [old for olds in ALIASES.values() for old in olds]
    assert len(former) == len(set(former)) and not set(former) & set(DEFAULTS)


def test_an_unknown_setting_is_refused():
    with pytest.raises(Exception, match="give one setting's name"):
        plugin.LookupModule().run(["bbb_cluster_everything"], variables={})


def test_through_ansible_a_former_name_warns_of_its_removal(tmp_path):
    done = ansible_debug(
        "DISK={{ lookup('bbb.cluster_proxy.cluster_var', 'bbb_cluster_disk_path') }}",
        *("-e", "bbb_metrics_disk_path=/srv/old"),
        env={"ANSIBLE_DEPRECATION_WARNINGS": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DISK=/srv/old" in done.stdout
    said = " ".join((done.stdout + done.stderr).split())
    assert "bbb_metrics_disk_path is deprecated: set bbb_cluster_disk_path instead" in said
    assert "1.0.0" in said


def test_the_lookup_warns_with_the_release_that_removes_the_names():
    """The removal version is a literal in the lookup's call (sanity checks it there): it must be REMOVED_IN."""
    from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster_vars import REMOVED_IN

    assert f'version="{REMOVED_IN}"' in Path(plugin.__file__).read_text()
