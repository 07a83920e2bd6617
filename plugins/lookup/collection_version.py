# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: collection_version
short_description: The version of the bbb.cluster_proxy collection that runs
version_added: 0.2.0
description:
  - Returns the version of the installed C(bbb.cluster_proxy) collection this plugin belongs to, read from its
    C(MANIFEST.json) (an installed collection) or C(galaxy.yml) (a source checkout).
  - The version of the collection whose roles and modules run, wherever the playbook itself lies (an AWX project
    checkout, a copy of the playbooks); the preflight playbook records it in the rollback point.
options: {}
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Show the collection's version
  ansible.builtin.debug:
    msg: "bbb.cluster_proxy {{ lookup('bbb.cluster_proxy.collection_version') }}"
"""

RETURN = r"""
_raw:
  description: One element, the version (for example V(0.1.0)).
  type: list
  elements: str
"""

import json
import os

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_version(root=ROOT):
    """The collection's version from MANIFEST.json, else galaxy.yml, below ``root``."""
    manifest = os.path.join(root, "MANIFEST.json")
    galaxy = os.path.join(root, "galaxy.yml")
    try:
        if os.path.isfile(manifest):
            with open(manifest, encoding="utf-8") as handle:
                return str(json.load(handle)["collection_info"]["version"])
        with open(galaxy, encoding="utf-8") as handle:
            return str(yaml.safe_load(handle)["version"])
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as error:
        raise AnsibleLookupError(
            f"bbb.cluster_proxy.collection_version: no version in {manifest} or {galaxy} ({error}); "
            "reinstall the collection"
        ) from error


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [collection_version()]
