#!/usr/bin/env python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Release checks of the collection: every version_added names a real release, and changes come with a fragment.

    tools/check_release.py [--root DIR] version-added [--release X.Y.Z]
    tools/check_release.py [--root DIR] fragments [--since REV]

--root is the collection's root (galaxy.yml, changelogs/, plugins/, roles/); default: the directory above tools/.

version-added
    Reads every ``version_added`` of the collection's documentation:

    - plugins/**/*.py: the DOCUMENTATION and RETURN strings, taken from the file's text with ast (the plugin is never
      imported) and parsed as YAML; the top level, every option and suboption, attributes and return values;
    - plugins/**/*.yml and *.yaml (filter and test plugins' documentation beside the code): the same keys;
    - roles/*/meta/argument_specs.yml (else the argument_specs of roles/*/meta/main.yml): every entry point's options
      and their nested options, at any depth.

    Each must be a version released in changelogs/changelog.yaml, or the release being made (--release, default the
    ``version`` of galaxy.yml), and not later than that release; versions compare as semantic versions
    (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]). A plugin's own (top-level) version_added must moreover be the
    release whose changelog.yaml entry lists the plugin as new (``modules``, ``plugins``: antsibull-changelog writes
    them from version_added at release time), or the release being made for a plugin no release lists. An entry with a ``version_added_collection`` other than this
    collection is another collection's version and is left alone. Each offender is one line
    ``FILE: PATH: version_added X (why)``, PATH being ``(top level)``, an option path such as ``opt.subopt``, a
    path in another part of the documentation such as ``attributes.check_mode`` or ``RETURN result.key``, or
    ``ENTRY_POINT: opt.subopt`` for a role (options shared through a YAML anchor: once, after every entry point that
    has them, ``main, drift: opt``). Exit 1 if there is any.

fragments
    If a file under plugins/, roles/ or playbooks/ changed between REV and the working tree (``git diff --name-only
    REV``: committed, staged and unstaged changes, deletions included; plus untracked files that git does not
    ignore), at least one changelog fragment (changelogs/fragments/*.yml or *.yaml) must have been added or changed in
    the same range (or be untracked). Otherwise the changed files are printed and the exit status is 1.

    REV defaults to the last release: its tag (``X.Y.Z``, else ``vX.Y.Z``, X.Y.Z the highest version in
    changelogs/changelog.yaml) if the repository has it; else the commit where changelogs/changelog.yaml got its
    current set of releases (walking ``git log -- changelogs/changelog.yaml`` from the newest commit, the oldest of
    the commits whose changelog.yaml has the same release versions as the working tree's). That needs the history:
    in a shallow clone without the tag, give --since. With no release at all, every file counts as changed.

Exit status: 0 clean, 1 offenders, 2 the check could not run (unreadable changelog, unknown revision, ...).
Needs Python 3.9+, PyYAML and, for fragments, git.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import yaml

CHANGELOG = "changelogs/changelog.yaml"
FRAGMENTS = "changelogs/fragments"
WATCHED = ("plugins", "roles", "playbooks")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree: the base when nothing was released
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class CheckError(Exception):
    """The check cannot run; the message says why (exit 2)."""


# --- versions ---------------------------------------------------------------------------------------------------


def semver_key(version) -> tuple | None:
    """A sort key of a semantic version (build metadata ignored, a pre-release before its release); None if not one."""
    if not isinstance(version, str):
        return None
    match = SEMVER.match(version)
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        pre_key = (1,)
    else:
        pre_key = (0, *((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")))
    return (int(major), int(minor), int(patch), pre_key)


def load_yaml(path: Path, what: str):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CheckError(f"{what} {path} is not valid YAML: {exc}") from exc


def releases_of(changelog) -> list[str]:
    """The release versions of a changelog.yaml's content, oldest first."""
    releases = (changelog or {}).get("releases") or {}
    if not isinstance(releases, dict):
        raise CheckError(f"{CHANGELOG}: 'releases' is not a mapping")
    versions = [str(v) for v in releases]
    bad = [v for v in versions if semver_key(v) is None]
    if bad:
        raise CheckError(f"{CHANGELOG}: release keys that are not versions X.Y.Z: {', '.join(bad)}")
    return sorted(versions, key=semver_key)


def new_plugins(changelog) -> dict:
    """(type, name) -> the release whose changelog.yaml entry lists the plugin as new (``modules``, ``plugins``)."""
    recorded = {}
    for version, release in ((changelog or {}).get("releases") or {}).items():
        release = release if isinstance(release, dict) else {}
        lists = [("module", release.get("modules") or [])]
        lists += [(ptype, items or []) for ptype, items in (release.get("plugins") or {}).items()]
        for ptype, items in lists:
            for item in items:
                if isinstance(item, dict) and item.get("name"):
                    recorded.setdefault((ptype, str(item["name"])), str(version))
    return recorded


def released_versions(root: Path) -> list[str]:
    return releases_of(load_yaml(root / CHANGELOG, "changelog"))


def galaxy(root: Path) -> dict:
    data = load_yaml(root / "galaxy.yml", "galaxy.yml")
    if not isinstance(data, dict):
        raise CheckError(f"{root / 'galaxy.yml'} is not a mapping")
    return data


# --- version-added ----------------------------------------------------------------------------------------------


def doc_strings(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, text) of the DOCUMENTATION and RETURN strings of a Python file, read with ast; and problems."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError, OSError) as exc:
        return [], [f"(file): cannot be parsed as Python ({exc})"]
    found, problems = [], []
    for node in ast.walk(tree):  # module level and doc fragments' class attributes
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("DOCUMENTATION", "RETURN"):
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.append((target.id, value.value))
                else:
                    problems.append(f"{target.id}: not a string literal (line {node.lineno}); it cannot be checked")
    return found, problems


def walk(node, path: tuple, found: list) -> None:
    """Collect (path, value, entry) of every version_added below node; containers of options leave no trace in path."""
    if isinstance(node, dict):
        if "version_added" in node and not isinstance(node["version_added"], (dict, list)):
            found.append((path, node["version_added"], node))
        for key, value in node.items():
            if key in ("options", "suboptions", "contains"):
                if isinstance(value, dict):
                    for name, sub in value.items():
                        walk(sub, (*path, str(name)), found)
            elif isinstance(value, (dict, list)):
                walk(value, (*path, str(key)), found)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            walk(item, (*path, str(index)), found)


def plugin_entries(root: Path, rel: str, docs: list[tuple[str, object]]):
    """(file, path label, version, entry, plugin) of a plugin's documentation blocks.

    plugin is (type, name) as changelog.yaml records new plugins (type ``module`` for plugins/modules/) for the top
    level of DOCUMENTATION, else None.
    """
    parts = Path(rel).parts
    ptype = {"modules": "module"}.get(parts[1], parts[1]) if len(parts) > 2 and parts[1] != "doc_fragments" else None
    for name, data in docs:
        found: list = []
        walk(data, (), found)
        for path, value, entry in found:
            plugin = None
            if name == "RETURN":
                label = "RETURN " + ".".join(path)
            else:
                label = ".".join(path) if path else "(top level)"
                if not path and ptype:
                    plugin = (ptype, str(entry.get("module") or entry.get("name") or Path(rel).stem))
            yield rel, label, value, entry, plugin


def role_entries(root: Path, rel: str, specs):
    """(file, path label, version, entry) of a role's argument specs: every entry point's options, at any depth.

    Options shared by entry points through a YAML anchor are one entry, labelled with every entry point that has it.
    """
    if not isinstance(specs, dict):
        return
    shared: dict = {}
    for entry_point, spec in specs.items():
        found: list = []
        walk(spec, (), found)
        for path, value, entry in found:
            key = (id(entry), path)
            shared.setdefault(key, ([], value, entry))[0].append(str(entry_point))
    for (_, path), (entry_points, value, entry) in shared.items():
        yield rel, f"{', '.join(entry_points)}: {'.'.join(path) if path else '(entry point)'}", value, entry, None


def collect(root: Path) -> tuple[list, list[str]]:
    """Every version_added of the collection as (file, path, value, entry), and the files that could not be read."""
    entries, problems = [], []
    plugins = root / "plugins"
    for path in sorted(plugins.rglob("*")) if plugins.is_dir() else []:
        if "__pycache__" in path.parts or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".py":
            texts, bad = doc_strings(path)
            problems.extend(f"{rel}: {why}" for why in bad)
            docs = []
            for name, text in texts:
                try:
                    docs.append((name, yaml.safe_load(text)))
                except yaml.YAMLError as exc:
                    problems.append(f"{rel}: {name}: not valid YAML ({exc})")
            entries.extend(plugin_entries(root, rel, docs))
        elif path.suffix in (".yml", ".yaml"):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                problems.append(f"{rel}: not valid YAML ({exc})")
                continue
            if isinstance(data, dict):
                docs = [(name, data[name]) for name in ("DOCUMENTATION", "RETURN") if name in data]
                entries.extend(plugin_entries(root, rel, docs))
    roles = root / "roles"
    for role in sorted(roles.iterdir()) if roles.is_dir() else []:
        for name in ("argument_specs.yml", "argument_specs.yaml", "main.yml"):  # ansible's order
            path = role / "meta" / name
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                problems.append(f"{rel}: not valid YAML ({exc})")
                break
            specs = (data or {}).get("argument_specs") if isinstance(data, dict) else None
            if specs is None:
                continue
            entries.extend(role_entries(root, rel, specs))
            break
    return entries, problems


def version_added(root: Path, release: str | None) -> int:
    changelog = load_yaml(root / CHANGELOG, "changelog")
    released, recorded = releases_of(changelog), new_plugins(changelog)
    info = galaxy(root)
    this = f"{info.get('namespace')}.{info.get('name')}"
    from_galaxy = release is None
    release = str(info.get("version")) if from_galaxy else release
    if semver_key(release) is None:
        source = "galaxy.yml's version" if from_galaxy else "--release"
        raise CheckError(f"{source} {release!r} is not a version X.Y.Z")
    latest = released[-1] if released else None
    if latest and semver_key(release) < semver_key(latest):
        raise CheckError(f"the release {release} is older than {latest}, already released in {CHANGELOG}")
    allowed = set(released) | {release}
    shown = ", ".join(released) or "none"
    entries, offenders = collect(root)
    for rel, label, value, entry, plugin in entries:
        other = entry.get("version_added_collection")
        if other and other != this:
            continue
        key = semver_key(value)
        if key is None:
            why = "not a version X.Y.Z" + (
                "; quote it so that YAML keeps it a string" if not isinstance(value, str) else ""
            )
        elif key > semver_key(release):
            why = f"later than the release {release} being made"
        elif value not in allowed:
            why = f"never released: released are {shown}, the release being made is {release}"
        elif plugin and recorded.get(plugin, release) != value:
            ptype, name = plugin
            if plugin in recorded:
                why = f"{CHANGELOG} lists {ptype} {name} as new in {recorded[plugin]}"
            else:
                why = f"{ptype} {name} is new in no release of {CHANGELOG}, so it is new in {release}"
        else:
            continue
        offenders.append(f"{rel}: {label}: version_added {value} ({why})")
    for line in offenders:
        print(line)
    if offenders:
        note = ""
        if from_galaxy and release in released:
            note = f" galaxy.yml's version {release} is already released: set it to the next one or pass --release."
        print(
            f"{len(offenders)} version_added problem(s); each must be a release of {CHANGELOG} ({shown}) "
            f"or the release being made ({release}); a plugin's own, the release that lists it as new, "
            f"else {release}.{note}",
            file=sys.stderr,
        )
        return 1
    print(f"version_added: {len(entries)} entries, all released or {release}")
    return 0


# --- fragments --------------------------------------------------------------------------------------------------


def git(root: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise CheckError(f"cannot run git: {exc}") from exc
    if check and done.returncode:
        raise CheckError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout if done.returncode == 0 else ""


def last_release(root: Path) -> tuple[str, str]:
    """(revision, description) of the last release; the empty tree when nothing was released yet."""
    released = released_versions(root)
    if not released:
        return EMPTY_TREE, f"the beginning (no release in {CHANGELOG})"
    latest = released[-1]
    tags = set(git(root, "tag", "--list").split())
    for tag in (latest, f"v{latest}"):
        if tag in tags:
            return tag, f"tag {tag}"
    prefix = git(root, "rev-parse", "--show-prefix").strip()
    commits = git(root, "log", "--format=%H", "--", CHANGELOG).split()
    wanted, boundary = set(released), None
    for commit in commits:
        text = git(root, "show", f"{commit}:{prefix}{CHANGELOG}", check=False)
        try:
            keys = set(releases_of(yaml.safe_load(text))) if text else set()
        except (yaml.YAMLError, CheckError):
            keys = set()
        if keys != wanted:
            break
        boundary = commit
    if boundary is None:
        raise CheckError(
            f"no tag {latest} and no commit of {CHANGELOG} with the releases {', '.join(released)} "
            "(an uncommitted release?): give --since REV"
        )
    if boundary == commits[-1] and git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise CheckError(
            f"shallow clone without the tag {latest}: fetch the history (git fetch --unshallow) or give --since REV"
        )
    short = git(root, "rev-parse", "--short", boundary).strip()
    return boundary, f"commit {short}, where {CHANGELOG} got {latest}"


def fragments(root: Path, since: str | None) -> int:
    if since is None:
        rev, described = last_release(root)
    else:
        if not git(root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}", check=False):
            raise CheckError(f"--since {since}: not a commit of this repository")
        rev, described = since, since
    changed = set(git(root, "diff", "--name-only", "--relative", rev, "--", *WATCHED).split("\n"))
    changed |= set(git(root, "ls-files", "--others", "--exclude-standard", "--", *WATCHED).split("\n"))
    changed.discard("")
    notes = set(git(root, "diff", "--name-only", "--relative", "--diff-filter=ACMR", rev, "--", FRAGMENTS).split("\n"))
    notes |= set(git(root, "ls-files", "--others", "--exclude-standard", "--", FRAGMENTS).split("\n"))
    notes = {n for n in notes if n.endswith((".yml", ".yaml"))}
    if not changed:
        print(f"fragments: nothing under {', '.join(WATCHED)} changed since {described}")
        return 0
    if notes:
        names = sorted(Path(n).name for n in notes)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        print(f"fragments: {len(changed)} changed file(s) since {described}, {len(notes)} fragment(s): {shown}")
        return 0
    for name in sorted(changed):
        print(f"{name}: changed since {described} without a changelog fragment")
    print(
        f"{len(changed)} file(s) under {', '.join(d + '/' for d in WATCHED)} changed since {described} and no fragment "
        f"was added or changed in {FRAGMENTS}/: add one (antsibull-changelog sections; 'trivial' for a change users "
        "do not see).",
        file=sys.stderr,
    )
    return 1


# --- command line -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the collection's root")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("version-added", help="every version_added is a release (or the one being made)")
    one.add_argument("--release", help="the version being released (default: galaxy.yml's version)")
    two = commands.add_parser("fragments", help="changes since the last release come with a changelog fragment")
    two.add_argument("--since", metavar="REV", help="compare with REV (default: the last release's tag or commit)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "version-added":
            return version_added(root, args.release)
        return fragments(root, args.since)
    except CheckError as exc:
        print(f"check_release {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
