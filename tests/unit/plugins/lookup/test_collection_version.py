# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible_collections.bbb.cluster_proxy.plugins.lookup import collection_version as plugin
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_debug

ROOT = Path(__file__).resolve().parents[4]


def test_source_checkout_reads_galaxy_yml():
    assert plugin.collection_version() == yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def test_the_lookup_as_a_playbook_loads_it():
    """Through Ansible's plugin loader, as a playbook's lookup() gets it (ansible-core 2.16 gives the plugin
    what it needs for set_options only there, so calling LookupModule() directly proves less)."""
    done = ansible_debug("{{ lookup('bbb.cluster_proxy.collection_version') }}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'"msg": "{plugin.collection_version()}"' in done.stdout


def test_installed_collection_reads_the_manifest(tmp_path):
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "9.8.7"}}))
    (tmp_path / "galaxy.yml").write_text("version: 1.0.0\n")
    assert plugin.collection_version(str(tmp_path)) == "9.8.7"


def test_neither_file_names_both_and_the_fix(tmp_path):
    with pytest.raises(AnsibleLookupError, match="MANIFEST.json or .*galaxy.yml.*reinstall the collection"):
        plugin.collection_version(str(tmp_path))
