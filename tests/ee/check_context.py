# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the execution-environment build context that `ansible-builder create` wrote.

Building the image needs a registry (the base image), so `make ee` checks the
context instead, as far as it can be checked without one:

* the Containerfile installs the ansible-core and ansible-runner pinned in
  requirements-test.txt, with the Python the EE file names;
* the galaxy requirements of the context install, offline, into an empty
  collections path, and what they install is this checkout's collection at
  the version of galaxy.yml (the path inside the image is mapped to the context);
* ansible-builder's own introspection finds the collection's Python and system
  requirements (meta/execution-environment.yml -> requirements.txt, bindep.txt).

Usage: python tests/ee/check_context.py CONTEXT_DIR
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def lines(path):
    """The requirement lines of a pip or bindep file, without comments."""
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def pins():
    text = (ROOT / "requirements-test.txt").read_text()
    return dict(re.findall(r"^(ansible-core|ansible-runner)==(\S+)", text, re.M))


def main(context: Path) -> int:
    errors = []
    build = context / "_build"
    containerfile = next((context / n for n in ("Containerfile", "Dockerfile") if (context / n).is_file()), None)
    if containerfile is None:
        print(f"no Containerfile in {context}: did `ansible-builder create` run?", file=sys.stderr)
        return 1
    text = containerfile.read_text()
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text, re.M)
    wanted = {f"{name}=={version}" for name, version in pins().items()}
    if not refs or set(refs.group(1).split()) != wanted:
        errors.append(
            f"ANSIBLE_INSTALL_REFS is {refs and refs.group(1)!r}, requirements-test.txt pins {sorted(wanted)}"
        )
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    python = ee["dependencies"]["python_interpreter"]["python_path"]
    if f'ARG PYCMD="{python}"' not in text:
        errors.append(f"the Containerfile does not use {python}")

    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    with tempfile.TemporaryDirectory() as tmp:
        mapped = {
            "collections": [
                dict(item, name=str(build / Path(item["name"]).relative_to("/build")))
                if str(item.get("name", "")).startswith("/build/")
                else item
                for item in galaxy.get("collections", [])
            ]
        }
        requirements = Path(tmp) / "requirements.yml"
        requirements.write_text(yaml.safe_dump(mapped))
        install = subprocess.run(
            ["ansible-galaxy", "collection", "install", "--offline", "--force", "-r", str(requirements), "-p", tmp],
            capture_output=True,
            text=True,
            check=False,
            # only the empty path: a collection found elsewhere (a development checkout) is not "already installed"
            env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=tmp),
        )
        if install.returncode:
            errors.append(
                f"the context's galaxy requirements do not install offline:\n{install.stdout}{install.stderr}"
            )
        else:
            manifest = Path(tmp) / "ansible_collections/bbb/cluster_proxy/MANIFEST.json"
            found = json.loads(manifest.read_text())["collection_info"]["version"] if manifest.is_file() else None
            if found != version:
                errors.append(f"the context installs bbb.cluster_proxy {found}, galaxy.yml says {version}")
            introspect = subprocess.run(
                [sys.executable, str(build / "scripts/introspect.py"), "introspect", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            report = introspect.stdout + introspect.stderr
            # ansible-builder leaves out what ansible-core brings itself (PyYAML, Jinja2, ...).
            core = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower() for r in metadata.requires("ansible-core") or []}
            for needed in lines(ROOT / "requirements.txt") + lines(ROOT / "bindep.txt"):
                if re.split(r"[<>=!~ ;\[]", needed, maxsplit=1)[0].lower() in core:
                    continue
                if introspect.returncode or f"{needed}  # from collection bbb.cluster_proxy" not in report:
                    errors.append(f"ansible-builder's introspection does not find {needed!r}:\n{report}")
    for error in errors:
        print(f"EE context {context}: {error}", file=sys.stderr)
    if not errors:
        print(
            f"EE context {context}: ansible-core/runner pinned, bbb.cluster_proxy {version} installs, requirements found"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
