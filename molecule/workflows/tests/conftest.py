# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The workflows scenario's tests: Molecule runs every test_*.py of this folder (../molecule.yml, README.md).

The helpers that every scenario's operator tests share stay in molecule/resources/tests_operator (lab_runs.py),
put on sys.path here; the names and helpers the test_workflows_<n>_*.py files share are in workflows_lab.py. This
folder is a package (__init__.py), so that this file is not the module ``conftest`` that the shared suite imports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# molecule/resources/tests_operator/lab_runs.py of this checkout, shared with the other scenarios' operator tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources" / "tests_operator"))
import ansible_runner  # noqa: E402
from lab_runs import VERBOSE_RUNS, assert_no_secret, walkthrough  # noqa: E402

from .workflows_lab import LB, ee_image, lab_in_the_ee, managed_snapshot, private_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def clean_state():
    """The managed files of the converged cluster, taken by the first test that asks (test_workflows_1's first) and
    kept for the whole sequence: session scope, so that the split files compare with one snapshot, as the tests of
    the one module they come from did."""
    return managed_snapshot()


@pytest.fixture(scope="session")
def ee_acceptance(tmp_path_factory):
    """The acceptance job template as AWX runs it: ansible-runner in the execution environment's container (make
    ee-image), the survey answered with strings (its one optional question left empty, as AWX leaves it out), the
    template's extra vars turning on the browser walk-through (the lab's names, CA and report directory), at -vvv.
    Run once, by the first test that asks (test_awx_runner.py); test_workflows_6 reads the same run.

    Returns (runner, output, report directory, artifacts directory)."""
    base = tmp_path_factory.mktemp("ee-acceptance")
    options = json.loads(walkthrough(base, hosts=[LB])[1])
    lab = lab_in_the_ee(Path(options["bbb_acceptance_report_dir"]))
    data = private_data_dir(
        base / "job", "acceptance", extra_vars=options, envvars=lab["envvars"], bbb_acceptance_lb_attempts=""
    )
    runner = ansible_runner.run(
        private_data_dir=str(data),
        playbook="playbooks/acceptance.yml",
        cmdline="-vvv",
        quiet=True,
        process_isolation=True,
        process_isolation_executable="docker",
        container_image=ee_image(),
        container_volume_mounts=lab["container_volume_mounts"],
        container_options=lab["container_options"],
    )
    output = runner.stdout.read()
    assert_no_secret(output, ["the acceptance job in the EE"])
    if "ESTABLISH" in output:  # connection details show only at -vvv
        VERBOSE_RUNS.add("acceptance")
    return runner, output, Path(options["bbb_acceptance_report_dir"]), data / "artifacts"
