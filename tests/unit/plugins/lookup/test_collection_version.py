# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible_collections.bbb.cluster_proxy.plugins.lookup import collection_version as plugin

ROOT = Path(__file__).resolve().parents[4]


def test_source_checkout_reads_galaxy_yml():
    assert plugin.collection_version() == yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert plugin.LookupModule().run([]) == [plugin.collection_version()]


def test_installed_collection_reads_the_manifest(tmp_path):
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "9.8.7"}}))
    (tmp_path / "galaxy.yml").write_text("version: 1.0.0\n")
    assert plugin.collection_version(str(tmp_path)) == "9.8.7"


def test_neither_file_names_both_and_the_fix(tmp_path):
    with pytest.raises(AnsibleLookupError, match="MANIFEST.json or .*galaxy.yml.*reinstall the collection"):
        plugin.collection_version(str(tmp_path))
