# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role bbb_controller (playbooks/controller.yml): the AWX job templates, their surveys and the awx.awx arguments.

A survey question is only useful when the playbook it launches reads its
variable with the same default; a wrong awx.awx field name must fail the lint
(ansible-lint's args rule checks module arguments against the module's spec).
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import ArgumentTypeError, ArgumentValueError, UnsupportedError

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "bbb_controller"
TASKS = ROLE / "tasks" / "main.yml"
ANSIBLE_LINT = Path(sys.executable).parent / "ansible-lint"
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _tasks():
    return yaml.load(TASKS.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def _templates():
    return yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["bbb_controller_job_templates"]


def _task(module):
    return next(t for t in _tasks() if module in t)


def _role_files():
    """The YAML files of the roles an operator playbook runs (the controller's own data is not a reader)."""
    return [p for p in sorted((ROOT / "roles").glob("*/*/*.yml")) if p.parts[-3] != "bbb_controller"]


def _role_defaults():
    found = {}
    for spec in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(spec.read_text())["argument_specs"].values():
            for name, option in entry.get("options", {}).items():
                if "default" in option:
                    found[name] = option["default"]
    return found


def _literal_default(text, variable):
    """The literal default a playbook gives a variable (`var | default(X)`), or None."""
    match = re.search(rf"\b{variable} \| default\(('[^']*'|\d+|true|false)\)", text)
    return match and match.group(1).strip("'")


def _normal(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_every_operator_playbook_has_one_job_template():
    operator = {p.name for p in (ROOT / "playbooks").glob("*.yml")} - {"controller.yml", "validate.yml"}
    templated = [Path(t["playbook"]).name for t in _templates()]
    assert sorted(templated) == sorted(operator)
    assert {"site.yml", "preflight.yml", "acceptance.yml", "drift.yml", "rollback.yml"} <= operator


@pytest.mark.parametrize("template", _templates(), ids=lambda t: Path(t["playbook"]).stem)
def test_survey_questions_are_valid_and_read_by_the_playbook(template):
    playbook = ROOT / template["playbook"]
    assert playbook.is_file(), f"{template['name']}: {template['playbook']} is not a playbook of the project"
    # The playbook and the roles it runs (their tasks, vars and defaults).
    text = playbook.read_text() + "".join(
        p.read_text() for p in _role_files() if p.parent.name in ("tasks", "defaults", "vars")
    )
    defaults = _role_defaults()
    variables = [q["variable"] for q in template["survey"]]
    assert len(variables) == len(set(variables)), f"{template['name']}: a variable is asked twice"
    for question in template["survey"]:
        where = f"{template['name']}, {question['variable']}"
        assert {"question_name", "question_description", "variable", "type", "required"} <= set(question), where
        assert question["type"] in SURVEY_TYPES, where
        assert re.fullmatch(r"[a-z][a-z0-9_]*", question["variable"]), where
        if question["type"] == "multiplechoice":
            assert all(isinstance(c, str) for c in question["choices"]), where
            assert question["default"] in question["choices"], where
        if "default" not in question:
            # AWX leaves an optional question without a default out of the extra vars: the playbook's default applies
            assert question["required"] is False, f"{where}: a required question needs a default"
            assert re.search(rf"\b{question['variable']}\b", text), f"{where}: {template['playbook']} never reads it"
            continue
        if question["type"] == "integer":
            assert isinstance(question["default"], int), where
            assert question["min"] <= question["default"] <= question["max"], where
        # The playbook, or a role it runs, reads the variable with the same default.
        literal = _literal_default(text, question["variable"])
        if literal is not None:
            assert _normal(question["default"]) == literal, (
                f"{where}: survey {question['default']!r}, playbook {literal!r}"
            )
        elif question["variable"] in defaults:
            assert _normal(question["default"]) == _normal(defaults[question["variable"]]), where
        else:
            assert re.search(rf"\b{question['variable']}\b", text), f"{where}: {template['playbook']} never reads it"


def test_role_variables_from_a_survey_are_read_as_strings_safely():
    """Multiplechoice answers arrive as the strings "true"/"false": every use must go through | bool
    (or | string, where a playbook checks the value itself)."""
    for template in _templates():
        for question in template["survey"]:
            if question["type"] != "multiplechoice":
                continue
            for path in [ROOT / template["playbook"], *_role_files()]:
                for line in path.read_text().splitlines():
                    uses = re.findall(
                        rf"\b{question['variable']}\b(?! \| default\([^)]*\) \| (?:bool|string))( \| (?:bool|string))?",
                        line,
                    )
                    if "when:" in line or line.strip().startswith("- "):
                        assert all(uses), (
                            f"{path.relative_to(ROOT)}: {line.strip()} uses {question['variable']} without | bool"
                        )


def test_credential_type_injects_only_what_acceptance_reads_and_hides_the_secret():
    credential_type = _task("awx.awx.credential_type")["awx.awx.credential_type"]
    fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
    assert fields["secret"]["secret"] is True
    acceptance = (ROOT / "playbooks" / "acceptance.yml").read_text()
    for variable, value in credential_type["injectors"]["extra_vars"].items():
        assert re.search(rf"\b{variable}\b", acceptance), variable
        assert re.fullmatch(r"\{\{ (api_url|secret) \}\}", value), value
    assert _task("awx.awx.credential")["no_log"] is True


def _awx_spec(module, monkeypatch):
    """The full argument spec of an awx.awx module, as its main() hands it to ControllerAPIModule."""
    controller_api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")

    class Captured(Exception):
        pass

    def capture(self, argument_spec=None, **kwargs):
        raise Captured(dict(argument_spec or {}, **controller_api.ControllerModule.AUTH_ARGSPEC))

    monkeypatch.setattr(controller_api.ControllerAPIModule, "__init__", capture)
    with pytest.raises(Captured) as captured:
        importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{module}").main()
    return captured.value.args[0]


def _spec_errors(task, monkeypatch):
    """Unsupported fields, and literal values of the wrong type, of one awx.awx task."""
    module = next(k for k in task if k.startswith("awx.awx."))
    args = task[module]
    result = ArgumentSpecValidator(_awx_spec(module.rsplit(".", 1)[1], monkeypatch)).validate(dict(args))
    found = []
    for error in result.errors:
        if isinstance(error, UnsupportedError):
            found.append(f"{module}: {error}")
        elif isinstance(error, (ArgumentTypeError, ArgumentValueError)):
            names = [n for n in args if re.search(rf"\b{n}\b", str(error))]
            if any("{{" not in str(args[n]) for n in names):
                found.append(f"{module}: {error}")
    return found


AWX_TASKS = [t for t in _tasks() if any(k.startswith("awx.awx.") for k in t)]


@pytest.mark.parametrize("task", AWX_TASKS, ids=lambda t: t["name"])
def test_awx_task_fields_match_the_module_argument_spec(task, monkeypatch):
    assert _spec_errors(task, monkeypatch) == []


@pytest.mark.parametrize("task", AWX_TASKS, ids=lambda t: t["name"])
def test_a_wrong_field_name_in_any_awx_task_is_found(task, monkeypatch):
    module = next(k for k in task if k.startswith("awx.awx."))
    field = sorted(task[module])[0]
    wrong = dict(task, **{module: {(f"{field}_x" if k == field else k): v for k, v in task[module].items()}})
    errors = _spec_errors(wrong, monkeypatch)
    assert errors and f"{field}_x" in errors[0]


def _lint(tmp_path, text):
    """ansible-lint on a copy of the role whose tasks are `text`."""
    shutil.copytree(ROOT / ".config", tmp_path / ".config", dirs_exist_ok=True)
    shutil.copytree(ROLE, tmp_path / "roles" / "bbb_controller", dirs_exist_ok=True)
    (tmp_path / "roles" / "bbb_controller" / "tasks" / "main.yml").write_text(text)
    done = subprocess.run(
        [str(ANSIBLE_LINT), "--nocolor", "roles/bbb_controller"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


WRONG_FIELDS = [("awx.awx.project", "scm_url", "scm_uri"), ("awx.awx.credential_type", "injectors", "injector")]


def test_ansible_lint_finds_each_wrong_awx_field_name_and_nothing_else_in_the_role(tmp_path):
    """One ansible-lint run (it costs seconds) on the role with two field names made wrong: an args[module] error
    names each, and the role as written has no other finding (its own lint is clean)."""
    text = TASKS.read_text()
    for task, field, wrong in WRONG_FIELDS:
        block = text[text.index(f"  {task}:\n") :]
        block = block[: block.index("\n\n")] if "\n\n" in block else block
        assert f"    {field}:" in block
        text = text.replace(block, block.replace(f"    {field}:", f"    {wrong}:", 1))
    rc, output = _lint(tmp_path, text)
    assert rc != 0, output
    unsupported = re.findall(
        r"^args\[module\]: Unsupported parameters for \(\S+\) module: (\w+)\.", output, re.MULTILINE
    )
    assert sorted(unsupported) == sorted(entry[2] for entry in WRONG_FIELDS), output
    assert f"Failed: {len(WRONG_FIELDS)} failure(s), 0 warning(s)" in output, output  # nothing else in the role
