# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which unit tests of the modules and module_utils run on the nodes' Pythons (tools/node_pythons.sh).

The rule: a test of tests/unit/plugins/modules or tests/unit/plugins/module_utils runs on the nodes' Pythons
(3.8, 3.10, 3.12) unless it imports controller code, directly or through the code and test helpers it imports:

- ansible-core's controller API: ``ansible.*`` outside ``ansible.module_utils`` (a node has only module_utils);
- the collection's controller plugins: ``plugins/*`` other than modules and module_utils (action, filter, lookup,
  plugin_utils, ...);
- the modules and module_utils that run on the controller, listed with the reason in tests/node/controller_only.txt.

An import at a test file's top level (or in a fixture or helper) leaves the file out; one in a test function leaves
that test out. Those run on the controller's Pythons (``make unit``, the oldest ansible-core's leg of the matrix).

    python tests/node/node_select.py    print what is left out and why; exit 1 when controller_only.txt is wrong
    python tests/node/node_select.py --on-nodes    the test files that run whole on the nodes' Pythons
    pytest -p node_select ...           (tests/node on sys.path) leave it out of the run
"""

from __future__ import annotations

import ast
import fcntl
import fnmatch
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ansible_collections.bbb.cluster_proxy"
TEST_DIRS = ("tests/unit/plugins/modules", "tests/unit/plugins/module_utils")
NODE_KINDS = ("modules", "module_utils")
LISTING = ROOT / "tests" / "node" / "controller_only.txt"


def declared():
    """controller_only.txt: {pattern: reason}."""
    entries = {}
    for line in LISTING.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pattern, _sep, reason = line.partition(" ")
            entries[pattern] = reason.strip()
    return entries


def listed_reason(relative, entries):
    for pattern, reason in entries.items():
        if fnmatch.fnmatchcase(relative, pattern):
            return reason
    return None


def module_file(name):
    """The file of a module of this collection (``ansible_collections.bbb.cluster_proxy.x.y``), or None."""
    if not name.startswith(PACKAGE + "."):
        return None
    path = ROOT.joinpath(*name[len(PACKAGE) + 1 :].split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def imported_names(nodes):
    """The dotted names the import statements among ``nodes`` import (``from a import b``: a.b where b is a module of
    this collection or of ansible, else a)."""
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                submodule = module_file(candidate) or node.module == "ansible"
                names.append(candidate if submodule else node.module)
    return names


def relative_path(path):
    return str(path.relative_to(ROOT))


class Analysis:
    """What each file reaches of controller code, memoized."""

    def __init__(self):
        self.entries = declared()
        self.reached = {}

    def direct_reason(self, name):
        """Why the module ``name`` is controller code (None: it is not, by itself)."""
        if name == "ansible" or (name.startswith("ansible.") and not name.startswith("ansible.module_utils")):
            return f"{name}: ansible-core's controller API"
        parts = name.split(".")
        if name.startswith(PACKAGE + ".plugins.") and len(parts) > 4:
            relative = "/".join(parts[3:]) + ".py"
            if parts[4] not in NODE_KINDS:
                return f"{relative}: a controller plugin"
            reason = listed_reason(relative, self.entries)
            if reason:
                return f"{relative}: {reason} (controller_only.txt)"
        return None

    def reasons(self, names, seen=()):
        """The controller code that importing ``names`` reaches (through this collection's files: a -> b)."""
        found = []
        for name in dict.fromkeys(names):
            reason = self.direct_reason(name)
            if reason:
                found.append(reason)
                continue
            path = module_file(name)
            if path and path not in seen:
                found += [f"{relative_path(path)} -> {inner}" for inner in self.file_reasons(path, seen)]
        return found

    def file_reasons(self, path, seen=()):
        if path not in self.reached:
            try:
                tree = ast.parse(path.read_text(), str(path))
            except SyntaxError:  # not on this Python: its import fails the test, the compile test names it
                tree = ast.Module(body=[], type_ignores=[])
            self.reached[path] = self.reasons(imported_names(ast.walk(tree)), (*seen, path))
        return self.reached[path]


def tests_in(tree):
    """(test function, its name) for the test functions of a test file (top level, or in a class Test*)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node, node.name
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for inner in node.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner.name.startswith("test"):
                    yield inner, f"{node.name}::{inner.name}"


def conftests():
    """The conftest.py files pytest loads for the test directories (theirs and their parents' up to the root)."""
    found = []
    for directory in TEST_DIRS:
        path = ROOT / directory
        while path != ROOT:
            if (path / "conftest.py").is_file() and path / "conftest.py" not in found:
                found.append(path / "conftest.py")
            path = path.parent
    return found


def selection():
    """({test file: reasons}: left out whole, {test file: {test: reasons}}: left out one by one, [problems])."""
    analysis = Analysis()
    problems = check_listing(analysis)
    for path in conftests():
        for reason in analysis.file_reasons(path):
            problems.append(f"{relative_path(path)} imports controller code, which every test would need: {reason}")
    files, tests = {}, {}
    for directory in TEST_DIRS:
        for path in sorted((ROOT / directory).glob("test_*.py")):
            tree = ast.parse(path.read_text(), str(path))
            in_tests = {id(node) for test, _name in tests_in(tree) for node in ast.walk(test)}
            elsewhere = [node for node in ast.walk(tree) if id(node) not in in_tests]
            reasons = analysis.reasons(imported_names(elsewhere), (path,))
            if reasons:
                files[relative_path(path)] = reasons
                continue
            for test, name in tests_in(tree):
                reasons = analysis.reasons(imported_names(ast.walk(test)), (path,))
                if reasons:
                    tests.setdefault(relative_path(path), {})[name] = reasons
    return files, tests, problems


def check_listing(analysis):
    """controller_only.txt names files; a module there says it runs on the controller; no node code imports them."""
    problems = []
    listed = set()
    for pattern in analysis.entries:
        matched = [path for path in ROOT.glob(pattern) if path.is_file()]
        if not matched or not pattern.startswith(tuple(f"plugins/{kind}/" for kind in NODE_KINDS)):
            problems.append(f"{LISTING.name}: {pattern} names no file under plugins/modules or plugins/module_utils")
        listed.update(matched)
        for path in matched:
            if pattern.startswith("plugins/modules/") and not re.search(r"[Rr]uns on the controller", path.read_text()):
                problems.append(f"{LISTING.name}: {pattern}: its documentation does not say it runs on the controller")
    for kind in NODE_KINDS:
        for path in sorted((ROOT / "plugins" / kind).glob("*.py")):
            if path not in listed:
                for reason in analysis.file_reasons(path):
                    problems.append(f"{relative_path(path)} runs on a node but imports controller code: {reason}")
    return problems


def report():
    files, tests, problems = selection()
    print("node-pythons: unit tests left out on the nodes' Pythons (they import controller code; make unit runs them):")
    for relative, reasons in files.items():
        print(f"  {relative}: {'; '.join(reasons)}")
    for relative, names in tests.items():
        for name, reasons in names.items():
            print(f"  {relative}::{name}: {'; '.join(reasons)}")
    print("node-pythons: and the tests marked at_size (the same code at production size; make unit runs them once)")
    for problem in problems:
        print(f"node-pythons: {problem}", file=sys.stderr)
    return 1 if problems else 0


def on_nodes():
    """The test files that run whole on the nodes' Pythons (none of their tests left out for controller code): the
    oldest ansible-core's unit leg leaves them out (tools/matrix.sh), as node-pythons runs them with that core's
    module_utils on 3.8, 3.10 and 3.12."""
    files, tests, problems = selection()
    if problems:
        for problem in problems:
            print(f"node-pythons: {problem}", file=sys.stderr)
        return 1
    for directory in TEST_DIRS:
        for path in sorted((ROOT / directory).glob("test_*.py")):
            relative = relative_path(path)
            if relative not in files and relative not in tests:
                print(relative)
    return 0


# The pytest plugin (pytest -p node_select, with tests/node on sys.path).
_CACHE = {}


def _selected():
    if "selection" not in _CACHE:
        _CACHE["selection"] = selection()
    return _CACHE["selection"]


def _relative(path):
    try:
        return relative_path(Path(path).resolve())
    except ValueError:
        return None


def pytest_configure(config):
    problems = _selected()[2]
    if problems:
        import pytest  # pylint: disable=import-outside-toplevel

        raise pytest.UsageError("node_select: " + "; ".join(problems))


def pytest_ignore_collect(collection_path, config):
    return True if _relative(collection_path) in _selected()[0] else None


def pytest_collection_modifyitems(config, items):
    tests = _selected()[1]
    kept, left_out = [], []
    for item in items:
        name = getattr(item, "originalname", item.name)
        if getattr(item, "cls", None) is not None:
            name = f"{item.cls.__name__}::{name}"
        at_size = item.get_closest_marker("at_size") is not None  # the same code at scale: once, in make unit
        (left_out if at_size or name in tests.get(_relative(item.path), {}) else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


# Tests that take fixed ports (test_nginx_info starts a real nginx on 127.0.0.1:18190 and 18191): tools/node_pythons.sh
# runs the Pythons side by side, and each of these tests holds a lock (NODE_SELECT_LOCK) while it runs.
SERIAL = ("tests/unit/plugins/modules/test_nginx_info.py",)


def pytest_runtest_logstart(nodeid, location):
    lock = os.environ.get("NODE_SELECT_LOCK")
    if lock and nodeid.split("::")[0] in SERIAL:
        _CACHE["lock"] = open(lock, "a", encoding="utf-8")  # held until the test's teardown is over
        fcntl.flock(_CACHE["lock"], fcntl.LOCK_EX)


def pytest_runtest_logfinish(nodeid, location):
    held = _CACHE.pop("lock", None)
    if held:
        held.close()


def pytest_report_header(config):
    files, tests, _problems = _selected()
    count = sum(len(names) for names in tests.values())
    return f"node_select: {len(files)} test files and {count} tests of controller code left out"


if __name__ == "__main__":
    sys.exit(on_nodes() if sys.argv[1:] == ["--on-nodes"] else report())
