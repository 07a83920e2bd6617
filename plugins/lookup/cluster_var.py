# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_var
short_description: A cluster-wide setting, declared once, with its default and its deprecated former names
version_added: 0.2.0
description:
  - Returns the value of a cluster-wide setting that several roles read. Each is one public variable, set once in
    the inventory (C(group_vars/all)); unset, the collection's default.
  - V(bbb_cluster_selfheal_marker) (default V(/var/lib/bbb-cluster-proxy/selfheal-failed)), the marker the node's
    upgrade self-heal leaves where it could not heal; health and metrics report it.
  - V(bbb_cluster_proxy_access_log) (default V(/var/log/nginx/bbb-cluster-proxy.access.log)), the proxy's access
    log; an empty string leaves the C(access_log) of nginx's http block in force (and nothing for metrics to read).
  - V(bbb_cluster_recording_status_dir) (default V(/var/bigbluebutton/recording/status)) and
    V(bbb_cluster_disk_path) (default V(/var/bigbluebutton)), where a node keeps recordings.
  - V(bbb_cluster_certificate_days) (default V(14)), how many more days a TLS certificate must be valid.
  - V(bbb_cluster_lb_api_url) and V(bbb_cluster_lb_secret) (default empty), the load balancer (Scalelite)
    API and its secret; set, the rollout cordons a restarting node there and acceptance goes through it.
  - V(bbb_rollback_id) and V(bbb_rollback_operator) (default empty), a run's rollback point and its operator
    (role P(bbb.cluster_proxy.bbb_rollback#role)).
  - Where only a former name is set (C(bbb_node_selfheal_marker), C(bbb_health_selfheal_marker),
    C(bbb_metrics_selfheal_marker), C(bbb_proxy_access_log), C(bbb_metrics_proxy_access_log),
    C(bbb_metrics_recording_status_dir), C(bbb_metrics_disk_path), C(bbb_health_certificate_days),
    C(bbb_acceptance_api_url), C(bbb_acceptance_api_secret), C(bbb_cluster_rollback_id), C(bbb_cluster_operator)), its value is used with a deprecation warning;
    those names are removed in 1.0.0.
options:
  _terms:
    description: The setting's name (one).
    type: list
    elements: str
    required: true
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Where the proxy logs
  ansible.builtin.debug:
    msg: "{{ lookup('bbb.cluster_proxy.cluster_var', 'bbb_cluster_proxy_access_log') }}"
"""

RETURN = r"""
_raw:
  description: One element, the setting's value.
  type: list
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster_vars import DEFAULTS, resolve

display = Display()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if len(terms) != 1 or terms[0] not in DEFAULTS:
            raise AnsibleLookupError(
                f"bbb.cluster_proxy.cluster_var: give one setting's name ({', '.join(sorted(DEFAULTS))}), not {terms}"
            )
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}

        def value(name):
            raw = variables[name]
            return self._templar.template(raw) if isinstance(raw, str) and "{" in raw else raw

        try:
            found, old = resolve(terms[0], lambda name: name in variables, value)
        except KeyError as exc:
            raise AnsibleLookupError(f"bbb.cluster_proxy.cluster_var: {exc.args[0]}") from exc
        if old:
            display.deprecated(
                f"{old} is deprecated: set {terms[0]} instead (once, in group_vars/all)",
                version="1.0.0",  # REMOVED_IN of plugin_utils/cluster_vars.py
                collection_name="bbb.cluster_proxy",
            )
        return [found]
