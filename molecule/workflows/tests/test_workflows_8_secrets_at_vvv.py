# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every operator playbook ran at -vvv in this session, and none printed a node's shared secret.

The runs are the sequence's own (drift and preflight in 1, rollback in 2, health in 4, acceptance with the
walk-through in 6, site after the failed restart in 7): playbook() fails the run's test if a secret is in its
output, and records the runs that were at -vvv. validate is the first play of site (playbooks/site.yml imports it),
so its plays ran at -vvv with site's. collect at -vvv, bundle included, is the default scenario's window bundle
(molecule/resources/tests_operator/test_collect.py). This file sorts after the sequence and before
test_workflows_at_size.py; run alone (-k), it fails: the runs it counts are the others'.
"""

from __future__ import annotations

from lab_runs import VERBOSE_RUNS

OPERATOR_PLAYBOOKS = {"site", "drift", "health", "preflight", "rollback", "acceptance"}


def test_every_operator_playbook_ran_at_vvv_without_printing_a_secret():
    assert OPERATOR_PLAYBOOKS - VERBOSE_RUNS == set(), f"ran at -vvv: {sorted(VERBOSE_RUNS)}"
