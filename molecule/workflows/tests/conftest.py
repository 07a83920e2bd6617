# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workflows scenario's tests: Molecule runs every test_*.py of this folder (../molecule.yml, README.md).

The helpers that every scenario's operator tests share stay in molecule/resources/tests_operator (lab_runs.py),
put on sys.path here; the names and helpers the test_workflows_<n>_*.py files share are in workflows_lab.py. This
folder is a package (__init__.py), so that this file is not the module ``conftest`` that the shared suite imports.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# molecule/resources/tests_operator/lab_runs.py of this checkout, shared with the other scenarios' operator tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources" / "tests_operator"))
from .workflows_lab import managed_snapshot  # noqa: E402


@pytest.fixture(scope="session")
def clean_state():
    """The managed files of the converged cluster, taken by the first test that asks (test_workflows_1's first) and
    kept for the whole sequence: session scope, so that the split files compare with one snapshot, as the tests of
    the one module they come from did."""
    return managed_snapshot()
