# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings
from ansible.module_utils.common.text.converters import to_bytes


@pytest.fixture
def run_module(monkeypatch, capsys, tmp_path):
    """Run a module's main() as Ansible would; return (failed, result dict, raw stdout)."""

    def run(main, args, check_mode=False, diff=False):
        payload = dict(
            args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_remote_tmp=str(tmp_path / "remote_tmp")
        )
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": payload})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
        # Warnings are collected module-wide; start each run without those of the runs before.
        if hasattr(warnings, "_global_warnings"):
            monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
        # Once a test imported controller code (the filter tests do), ansible-core >= 2.19 routes
        # module warnings to the controller's display instead of the result; a module runs on a target.
        internal = getattr(warnings, "_internal", None)
        if internal is not None and hasattr(internal, "is_controller"):
            monkeypatch.setattr(internal, "is_controller", False)
        with pytest.raises(SystemExit) as info:
            main()
        out = capsys.readouterr().out
        result = json.loads(out)
        failed = info.value.code != 0
        assert bool(result.get("failed")) == failed, result
        return failed, result, out

    return run


def warning_texts(result):
    """The warning messages of a result, whether ansible-core returns them as strings or as summaries."""
    return [item if isinstance(item, str) else item["event"]["msg"] for item in result.get("warnings", [])]


@pytest.fixture
def warnings_of():
    return warning_texts
