# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The play that renders the proxy role's nginx file without nginx or a proxy host, for tests that run it through
ansible-playbook: the role's ``nodes`` and ``upstreams`` entry points, then its template, written to $OUT.

$TEMPLATE names the template (the tests point it at the collection they run).
"""

from __future__ import annotations

PROXY_RENDER_PLAY = """\
- hosts: proxy.example.com
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.include_role: {name: bbb.cluster_proxy.bbb_proxy, tasks_from: nodes, public: true}
    - ansible.builtin.include_role: {name: bbb.cluster_proxy.bbb_proxy, tasks_from: upstreams, public: true}
    - ansible.builtin.copy:
        dest: "{{ lookup('ansible.builtin.env', 'OUT') }}"
        content: "{{ lookup('ansible.builtin.template', lookup('ansible.builtin.env', 'TEMPLATE')) }}"
        mode: "0644"
"""
