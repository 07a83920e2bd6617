# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What vermin cannot see: methods newer than the nodes' oldest Python called on any object (tools/node_pythons.sh).

vermin knows the type of an object only where it is a literal (``"a".removeprefix``), so ``text.removeprefix(...)``
or ``{**a} | b`` on a value it cannot type pass it; Python 3.8 (Ubuntu 20.04's) fails on them at run time, in a
branch the unit tests may not reach. This names every call of such a method, on whatever object (a call on an
imported module, ``os.readlink``, is vermin's to judge), and every ``|`` of a dict built by ``dict(...)``, a dict
comprehension or ``{**...}``. A line with ``# novermin`` (vermin's own mark) is let through.

    python tests/node/newer_api.py 3.8 PATH ...   exit 1 and name file:line for each use newer than 3.8
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# method: (the Python that brought it, what it is)
METHODS = {
    "removeprefix": ((3, 9), "str/bytes.removeprefix"),
    "removesuffix": ((3, 9), "str/bytes.removesuffix"),
    "is_relative_to": ((3, 9), "PurePath.is_relative_to"),
    "with_stem": ((3, 9), "PurePath.with_stem"),
    "readlink": ((3, 9), "Path.readlink"),
    "hardlink_to": ((3, 10), "Path.hardlink_to"),
    "bit_count": ((3, 10), "int.bit_count"),
    "is_junction": ((3, 12), "Path.is_junction"),
}


def is_dict(node):
    return isinstance(node, (ast.Dict, ast.DictComp)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    )


def findings(path, oldest):
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    modules = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    for node in ast.walk(tree):
        found = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in METHODS:
            receiver = node.func.value
            if not (isinstance(receiver, ast.Name) and receiver.id in modules):
                version, what = METHODS[node.func.attr]
                found = (version, what)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.BitOr)
            and (is_dict(node.left) or is_dict(node.right))
        ):
            found = ((3, 9), "dict | dict")
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitOr) and is_dict(node.value):
            found = ((3, 9), "dict |= dict")
        if found and found[0] > oldest and "novermin" not in lines[node.lineno - 1]:
            yield node.lineno, f"{found[1]} needs Python {'.'.join(map(str, found[0]))}"


def main(argv):
    oldest = tuple(int(part) for part in argv[0].split("."))
    count = 0
    for name in argv[1:]:
        root = Path(name)
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            try:
                found = sorted(findings(path, oldest))
            except SyntaxError as error:  # newer syntax than this Python's: ansible-test's compile test names it
                found = [(error.lineno or 0, f"syntax error on Python {sys.version_info[0]}.{sys.version_info[1]}")]
            for line, message in found:
                print(f"{path}:{line}: {message} (the nodes' oldest Python is {argv[0]})")
                count += 1
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
