# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of the roles' sources for traps of the spec (§8) that a lab cannot show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
SOURCES = sorted(p for p in ROLES.rglob("*") if p.is_file() and p.suffix in (".yml", ".j2"))


def tasks(role):
    """Every task of a role (blocks flattened), with the file it is in."""

    def walk(items, path):
        for item in items or []:
            yield path, item
            for key in ("block", "rescue", "always"):
                yield from walk(item.get(key), path)

    for path in sorted((ROLES / role / "tasks").glob("*.yml")):
        yield from walk(yaml.safe_load(path.read_text()), path)


def test_sources_found():
    assert len(SOURCES) > 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROLES)))
def test_no_yq(path):
    """T6: yq 3 and yq 4 differ in syntax across BBB releases; the roles merge YAML in Jinja instead."""
    assert not re.search(r"\byq(-go)?\b", path.read_text()), path


@pytest.mark.parametrize("role", ["bbb_node", "bbb_proxy"])
def test_package_owned_and_conffiles_are_never_written(role):
    """T1/T2: no task writes below /usr/share or to a conffile under /etc/default or nginx' sites-available."""
    forbidden = re.compile(r"^(/usr/share/|/usr/lib/systemd/|/etc/default/|/etc/nginx/sites-available/)")
    writers = {"copy", "template", "lineinfile", "blockinfile", "replace", "file", "properties_file", "nginx_file"}
    checked = 0
    for path, task in tasks(role):
        for action, args in task.items():
            if action.rsplit(".", 1)[-1] not in writers or not isinstance(args, dict):
                continue
            dest = str(args.get("dest") or args.get("path") or "")
            assert not forbidden.match(dest), f"{path.name}: task '{task.get('name')}' writes {dest}"
            checked += 1
    assert checked >= 2, f"{role}: no writing task found; is the test still looking at the right files?"
    variables = {}
    for path in (ROLES / role / "vars").glob("*.yml"):
        variables.update(yaml.safe_load(path.read_text()) or {})
    for name in ("__bbb_node_web_properties_file", "__bbb_node_html5_override_file", "__bbb_node_nginx_file"):
        if name in variables:
            assert variables[name].startswith("/etc/bigbluebutton/"), name


def test_properties_are_edited_key_by_key():
    """T3: bbb-web.properties holds serverURL and the secret; only properties_file (line-wise) touches it."""
    readers = {"ansible.builtin.slurp", "ansible.builtin.stat", "ansible.builtin.set_fact"}
    users = [
        (path, task)
        for path, task in tasks("bbb_node")
        if "__bbb_node_web_properties_file" in yaml.safe_dump(task) and not readers & set(task)
    ]
    assert users
    for path, task in users:
        assert "bbb.cluster_proxy.properties_file" in task, f"{path.name}: {task.get('name')}"
