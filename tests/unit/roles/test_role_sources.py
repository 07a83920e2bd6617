# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Static checks of the roles' sources for the traps of docs/versions.md (Traps) that a lab cannot show."""

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

    for path in sorted((ROLES / role / "tasks").rglob("*.yml")):
        yield from walk(yaml.safe_load(path.read_text()), path)


def node_vars():
    """The bbb_node role's vars/main/*.yml, merged as Ansible loads a vars/main directory."""
    merged = {}
    for path in sorted((ROLES / "bbb_node" / "vars" / "main").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def test_sources_found():
    assert len(SOURCES) > 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROLES)))
def test_no_yq(path):
    """T6: yq 3 and yq 4 differ in syntax across BBB releases; the roles merge YAML in Jinja instead."""
    assert not re.search(r"\byq(-go)?\b", path.read_text()), path


def model():
    """Every entry of the node's model: the files every version needs and each family's (raw, untemplated)."""
    entries = []
    for path in sorted((ROLES / "bbb_node" / "vars").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for name in ("__bbb_node_common_files", "__bbb_node_graphql_files", "__bbb_node_family_files"):
            entries += [dict(entry, source=path.name) for entry in data.get(name) or []]
    return entries


FORBIDDEN = re.compile(r"^(/usr/share/|/usr/lib/systemd/|/etc/default/|/etc/nginx/sites-available/)")


def test_the_retention_is_written_only_where_no_package_writes():
    """The recording retention (vars/main/model.yml ``__bbb_node_retention_files``): the override file BigBlueButton's
    daily job sources (no package ships it: upstream docs, administration/configuration-files) and the collection's
    own daily job; nothing else, so no package file is edited."""
    assert [entry["path"] for entry in node_vars()["__bbb_node_retention_files"]] == [
        "/etc/default/bigbluebutton-cron-config",
        "/etc/cron.daily/bbb-cluster-proxy-recordings",
    ]


def test_package_owned_and_conffiles_are_never_written_on_a_node():
    """T1/T2: the node's model writes nothing below /usr/share or to a conffile under /etc/default."""
    entries = model()
    assert len(entries) > 10
    for entry in entries:
        assert not FORBIDDEN.match(entry["path"]), f"{entry['source']}: {entry['path']}"
        assert entry["path"].startswith(("/etc/bigbluebutton/", "/etc/systemd/system/")), entry
    # Outside the model only the upgrade self-heal hook is installed (tasks/model/selfheal.yml), at paths of its own.
    assert [
        p.name
        for p in (ROLES / "bbb_node" / "tasks").rglob("*.yml")
        if re.search(r"\b(copy|template|lineinfile|blockinfile)\b:", p.read_text())
    ] == ["selfheal.yml"]
    main = node_vars()
    hook = [main[f"__bbb_node_{name}"] for name in ("selfheal_script", "selfheal_config", "apply_config")]
    assert hook == [
        "/usr/local/lib/bbb-cluster-proxy/bbb_cluster_proxy_selfheal.py",
        "/etc/bbb-cluster-proxy/selfheal.json",
        "/etc/bigbluebutton/bbb-conf/apply-config.sh",  # the operator's hook file: one marked block is ours
    ]
    assert not [path for path in hook if FORBIDDEN.match(path)]


def test_package_owned_and_conffiles_are_never_written_on_the_proxy():
    checked = 0
    for path, task in tasks("bbb_proxy"):
        for action, args in task.items():
            if action.rsplit(".", 1)[-1] in {"copy", "template", "file", "nginx_file"} and isinstance(args, dict):
                dest = str(args.get("dest") or args.get("path") or "")
                assert not FORBIDDEN.match(dest), f"{path.name}: task '{task.get('name')}' writes {dest}"
                checked += 1
    assert checked >= 2


def test_properties_are_edited_key_by_key():
    """T3: bbb-web.properties holds serverURL and the secret; the model edits it only key by key."""
    entries = [e for e in model() if e["path"] == "/etc/bigbluebutton/bbb-web.properties"]
    assert len(entries) == 4  # the keys of every version, of the React client's families, and two families' own
    assert {e["format"] for e in entries} == {"properties"}
    keys = [k for e in entries for k in e.get("settings", {})]
    assert "securitySalt" not in keys and "serverURL" not in keys


def leaves(data, prefix=""):
    """The dotted keys of the leaves of a nested mapping."""
    for key, value in data.items():
        yield from leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]


def test_each_node_setting_is_set_in_one_place():
    """One model: a key the role sets appears once under roles/ (a family's file holds only what differs)."""
    seen = {}
    for entry in model():
        settings = entry.get("settings") or {}
        if isinstance(settings, str):  # bbb-html5.yml: the client settings below, merged in Jinja
            continue
        for key in leaves(settings) if entry["format"] in ("yaml", "json") else settings:
            seen.setdefault((entry["path"], key), []).append(entry["source"])
    main = node_vars()

    for name in ("__bbb_node_html5_settings", "__bbb_node_livekit_settings"):
        for key in leaves(main[name]):
            seen.setdefault(("/etc/bigbluebutton/bbb-html5.yml", key), []).append("main.yml")
    for (path, key), sources in seen.items():
        families = [s for s in sources if s.startswith("family_")]
        assert len(sources) == 1 or (len(families) == len(sources) and len(set(families)) == len(families)), (
            f"{key} of {path} is set in {sources}: set it once, in main.yml if every version needs it"
        )
    # ... and nowhere else: no task, template or other role re-declares a setting (drift used to).
    elsewhere = [
        p
        for role in ("bbb_node", "bbb_proxy")
        for p in (ROLES / role).rglob("*")
        if p.is_file() and p.suffix in (".yml", ".j2") and "vars" not in p.parts
    ]
    for _path, key in seen:
        users = [str(p.relative_to(ROLES)) for p in elsewhere if re.search(rf"\b{re.escape(key)}\b", p.read_text())]
        assert not [u for u in users if not u.endswith("argument_specs.yml")], (key, users)


# A reader that stops at its first match or line (grep -q/-m/-l, head, sed ...q, awk ...exit, openssl x509 reading
# one certificate) leaves its writer to die of SIGPIPE once the output is larger than a pipe buffer (64 KiB); under
# `set -o pipefail` (which ansible-lint's risky-shell-pipe asks of every piped shell task) the pipeline then fails,
# depending on the size of the output (as drift's `nginx -T | grep -q` did at production size).
EARLY_EXIT = re.compile(
    r"\|\s*(?:"
    r"grep\b[^|\n]*\s(?:-[a-zA-Z]*[qlm]|--quiet|--silent|--max-count|--files-with-matches)"
    r"|head\b"
    r"|sed\b[^|\n]*(?:\dq\b|/q\b|;\s*q\b|\bq[;'\"])"
    r"|awk\b[^|\n]*\bexit\b"
    r"|openssl\s+x509\b"
    r")"
)
SHELL_SOURCES = sorted(
    [p for p in ROLES.rglob("*") if p.is_file() and p.suffix in (".yml", ".j2", ".sh")]
    + list((ROLES.parent / "playbooks").rglob("*.yml"))
    + list((ROLES.parent / "tools").glob("*.sh"))
)


@pytest.mark.parametrize("path", SHELL_SOURCES, ids=lambda p: str(p.relative_to(ROLES.parent)))
def test_no_pipe_into_an_early_exiting_reader(path):
    found = [
        f"{path.relative_to(ROLES.parent)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if EARLY_EXIT.search(line)
    ]
    assert not found, "a pipe into a reader that stops early (read the whole output in Python instead):\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    "line",
    [
        "printf '%s\\n' \"$dump\" | grep -q '^# configuration file'",
        "journalctl -u x | grep -m1 error",
        "pgrep -P 1 | head -n 1",
        "bbb-conf --status | sed '/active/q'",
        "nginx -T | awk '/server/ {print; exit}'",
        "openssl s_client -connect a:443 </dev/null | openssl x509 -noout -enddate",
        "ls | grep -l foo",
    ],
)
def test_the_early_exit_pattern_finds_each_reader(line):
    assert EARLY_EXIT.search(line), line


@pytest.mark.parametrize(
    "line",
    ["df --output=pcent /var | tail -1 | tr -dc '0-9'", "find /x -name '*.fail' | wc -l", "grep -Eq x file"],
)
def test_the_early_exit_pattern_lets_whole_readers_pass(line):
    assert not EARLY_EXIT.search(line), line


# BigBlueButton and Scalelite API calls are signed by one filter (bbb_api_url, its algorithm configurable) and their
# XML answers read by one parser (bbb_api_answer): no role computes a checksum or reads an answer with a regex.
API_BY_HAND = re.compile(r"hash\(['\"]sha|checksum=\{\{|<returncode>|<meetingID>|<messageKey>|<graphql\w*Url>")
API_SOURCES = sorted(p for root in (ROLES, ROLES.parent / "playbooks") for p in root.rglob("*.yml"))


@pytest.mark.parametrize("path", API_SOURCES, ids=lambda p: str(p.relative_to(ROLES.parent)))
def test_api_calls_are_signed_and_read_in_one_place(path):
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if API_BY_HAND.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == [], "sign with bbb.cluster_proxy.bbb_api_url, read with bbb.cluster_proxy.bbb_api_answer"


@pytest.mark.parametrize(
    "line",
    [
        "url: \"{{ api }}/getMeetings?checksum={{ ('getMeetings' ~ key) | hash('sha1') }}\"",
        "until: r.content is search('<returncode>SUCCESS</returncode>')",
        "msg: \"{{ r.content | regex_findall('<meetingID>') | length }}\"",
    ],
)
def test_the_by_hand_pattern_finds_each_old_form(line):
    assert API_BY_HAND.search(line)
