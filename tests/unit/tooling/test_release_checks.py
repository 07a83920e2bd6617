# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/check_release.py: version_added names a released version (or the one being made) in plugin docs and role
argument specs; changes under plugins/, roles/ and playbooks/ since the last release come with a changelog fragment.
Each check on a tiny collection in tmp_path, clean and with a planted mistake; version-added also on this tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.bbb.cluster_proxy.tools.check_release import semver_key

ROOT = Path(__file__).resolve().parents[3]
CHECK = ROOT / "tools" / "check_release.py"

GALAXY = "namespace: bbb\nname: cluster_proxy\nversion: {version}\n"
CHANGELOG = """\
ancestor: null
releases:
  0.1.0:
    changes:
      release_summary: First release.
    modules:
    - description: A module
      name: x
      namespace: ''
    release_date: '2026-11-25'
"""
MODULE = '''\
DOCUMENTATION = r"""
module: x
short_description: A module
version_added: {version}
options:
  name:
    description: A name.
    type: str
  settings:
    description: Settings.
    type: dict
    suboptions:
      depth:
        description: How deep.
        type: int
        version_added: 0.2.0
"""
RETURN = r"""
path:
  description: Where.
  returned: always
  type: str
  version_added: 0.1.0
"""
'''
ARGSPEC = """\
argument_specs:
  main:
    short_description: The role
    options: &opts
      r_name:
        type: str
        description: A name.
        version_added: 0.1.0
      r_settings:
        type: dict
        description: Settings.
        options:
          r_depth:
            type: int
            description: How deep.
            version_added: {version}
  other:
    short_description: Another entry point with the same options
    options: *opts
"""


def check(*args, cwd=None):
    return subprocess.run(
        [sys.executable, str(CHECK), *args], capture_output=True, text=True, check=False, cwd=cwd or ROOT
    )


def collection(root: Path, module="0.1.0", role_option="0.2.0", version="0.2.0") -> Path:
    """galaxy.yml, a changelog with 0.1.0, plugins/modules/x.py and roles/r/meta/argument_specs.yml."""
    (root / "changelogs" / "fragments").mkdir(parents=True)
    (root / "plugins" / "modules").mkdir(parents=True)
    (root / "roles" / "r" / "meta").mkdir(parents=True)
    (root / "galaxy.yml").write_text(GALAXY.format(version=version))
    (root / "changelogs" / "changelog.yaml").write_text(CHANGELOG)
    (root / "plugins" / "modules" / "x.py").write_text(MODULE.format(version=module))
    (root / "roles" / "r" / "meta" / "argument_specs.yml").write_text(ARGSPEC.format(version=role_option))
    return root


def test_versions_compare_as_semantic_versions():
    assert semver_key("0.10.0") > semver_key("0.9.0") > semver_key("0.9.0-rc.1") > semver_key("0.9.0-beta")
    assert semver_key("1.0.0+build.5") == semver_key("1.0.0")
    assert semver_key("1.1") is None and semver_key(1.1) is None and semver_key("v1.0.0") is None


def test_released_versions_and_the_one_being_made_pass(tmp_path):
    done = check("--root", str(collection(tmp_path)), "version-added")  # the release: galaxy.yml's 0.2.0
    assert done.returncode == 0, done.stdout + done.stderr
    assert "version_added: 5 entries, all released or 0.2.0" in done.stdout  # 3 in x.py, 2 shared by main, other


def test_a_module_added_in_a_release_that_does_not_exist_fails(tmp_path):
    done = check("--root", str(collection(tmp_path, module="1.1.0")), "version-added")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "plugins/modules/x.py: (top level): version_added 1.1.0 (later than the release 0.2.0 being made)"
    ]
    assert "each must be a release of changelogs/changelog.yaml (0.1.0) or the release being made (0.2.0)" in (
        done.stderr
    )


def test_a_plugin_that_no_release_lists_is_new_in_the_release_being_made(tmp_path):
    root = collection(tmp_path)
    (root / "plugins" / "filter").mkdir()
    (root / "plugins" / "filter" / "y.py").write_text(
        'DOCUMENTATION = """\nname: y\nshort_description: A filter\nversion_added: 0.1.0\n"""\n'
    )
    done = check("--root", str(root), "version-added")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "plugins/filter/y.py: (top level): version_added 0.1.0 "
        "(filter y is new in no release of changelogs/changelog.yaml, so it is new in 0.2.0)"
    ]
    (root / "plugins" / "filter" / "y.py").write_text(
        'DOCUMENTATION = """\nname: y\nshort_description: A filter\nversion_added: 0.2.0\n"""\n'
    )
    assert check("--root", str(root), "version-added").returncode == 0
    (root / "plugins" / "modules" / "x.py").write_text(MODULE.format(version="0.2.0"))  # x is listed in 0.1.0
    done = check("--root", str(root), "version-added")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "plugins/modules/x.py: (top level): version_added 0.2.0 (changelogs/changelog.yaml lists module x as new in "
        "0.1.0)"
    ]


def test_a_role_option_of_a_future_release_fails_once_for_the_entry_points_sharing_it(tmp_path):
    done = check("--root", str(collection(tmp_path, role_option="9.9.9")), "version-added", "--release", "0.2.0")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "roles/r/meta/argument_specs.yml: main, other: r_settings.r_depth: version_added 9.9.9 "
        "(later than the release 0.2.0 being made)"
    ]


def test_a_version_between_releases_that_was_never_made_fails(tmp_path):
    done = check("--root", str(collection(tmp_path, module="0.1.5")), "version-added")
    assert done.returncode == 1
    assert (
        "plugins/modules/x.py: (top level): version_added 0.1.5 "
        "(never released: released are 0.1.0, the release being made is 0.2.0)"
    ) in done.stdout


def test_an_unbumped_galaxy_version_is_named(tmp_path):
    done = check("--root", str(collection(tmp_path, version="0.1.0")), "version-added")
    assert done.returncode == 1
    assert "plugins/modules/x.py: settings.depth: version_added 0.2.0 (later than the release 0.1.0 being made)" in (
        done.stdout
    )
    assert "galaxy.yml's version 0.1.0 is already released: set it to the next one or pass --release" in done.stderr


def test_this_collection_names_only_released_versions_or_0_2_0():
    done = check("version-added", "--release", "0.2.0")
    assert done.returncode == 0, done.stdout + done.stderr


# --- fragments --------------------------------------------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True).stdout


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "--short", "HEAD").strip()


def repo(root: Path, tag: bool = True) -> Path:
    """A collection released as 0.1.0 (changelog committed; tagged unless tag=False)."""
    collection(root)
    (root / "plugins" / "x.py").write_text("X = 1\n")
    git(root, "init", "-q")
    commit(root, "0.1.0")
    if tag:
        git(root, "tag", "0.1.0")
    return root


def test_a_change_without_a_fragment_fails_and_a_fragment_mends_it(tmp_path):
    root = repo(tmp_path)
    done = check("--root", str(root), "fragments")
    assert done.returncode == 0 and "nothing under plugins, roles, playbooks changed since tag 0.1.0" in done.stdout

    (root / "plugins" / "x.py").write_text("X = 2\n")
    (root / "roles" / "r" / "new.yml").write_text("---\n")  # untracked counts too
    done = check("--root", str(root), "fragments")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "plugins/x.py: changed since tag 0.1.0 without a changelog fragment",
        "roles/r/new.yml: changed since tag 0.1.0 without a changelog fragment",
    ]
    assert "2 file(s) under plugins/, roles/, playbooks/ changed since tag 0.1.0 and no fragment" in done.stderr

    (root / "changelogs" / "fragments" / "x.yml").write_text("minor_changes:\n  - x - now 2.\n")
    done = check("--root", str(root), "fragments")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 changed file(s) since tag 0.1.0, 1 fragment(s): x.yml" in done.stdout
    commit(root, "x 2")  # committed since the tag: the same
    assert check("--root", str(root), "fragments").returncode == 0
    assert check("--root", str(root), "fragments", "--since", "HEAD").returncode == 0  # nothing since HEAD


def test_without_a_tag_the_release_is_the_commit_that_gave_the_changelog_its_release(tmp_path):
    root = repo(tmp_path, tag=False)
    released = git(root, "rev-parse", "--short", "HEAD").strip()
    (root / "plugins" / "x.py").write_text("X = 2\n")
    commit(root, "x 2, no fragment")
    changelog = root / "changelogs" / "changelog.yaml"
    changelog.write_text(changelog.read_text().replace("First release.", "The first release."))
    commit(root, "changelog wording: the same releases")  # not the release commit

    done = check("--root", str(root), "fragments")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"plugins/x.py: changed since commit {released}, where changelogs/changelog.yaml got 0.1.0 without a "
        "changelog fragment"
    ]
    assert check("--root", str(root), "fragments", "--since", "no-such-rev").returncode == 2
