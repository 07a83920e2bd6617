# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/unit_environment.py: systemctl show's output as systemd prints it (src/systemctl/
systemctl-show.c, src/shared/bus-print-properties.c), the files that set a variable, and a process environment of
production size, of which only the wanted variables come back."""

from __future__ import annotations

import time

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.unit_environment import (
    parse_show,
    process_environment,
    setter_pattern,
    setters,
    show_argv,
    unit_environment,
)

SECRET = "s3cr3t-db-password-do-not-leak"
WANTED = "-Dgrails.cors.enabled=true -Dgrails.cors.allowedOrigins=https://proxy.example.com"

# systemctl show --property=MainPID --property=DropInPaths --property=EnvironmentFiles bbb-web.service, systemd 252:
# the properties come in systemd's order (the Service interface's before the Unit interface's), not the options'.
RUNNING = """MainPID=2817
EnvironmentFiles=/etc/default/bbb-web (ignore_errors=yes)
EnvironmentFiles=/etc/bigbluebutton/bbb-web.env (ignore_errors=no)
DropInPaths=/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf \
/etc/systemd/system/bbb-web.service.d/override.conf /run/systemd/system/bbb-web.service.d/zz-operator.conf
"""
# A stopped unit without EnvironmentFile= and without drop-ins (a property asked for is printed even when empty).
STOPPED = "MainPID=0\nDropInPaths=\n"


def test_the_command_is_one_argv_list_of_the_three_properties():
    assert show_argv("/usr/bin/systemctl", "bbb-web.service") == [
        "/usr/bin/systemctl",
        "show",
        "--property=MainPID",
        "--property=DropInPaths",
        "--property=EnvironmentFiles",
        "--",
        "bbb-web.service",
    ]


def test_parse_show_of_a_running_unit_keeps_systemds_order():
    assert parse_show(RUNNING) == {
        "pid": 2817,
        "dropins": [
            "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf",
            "/etc/systemd/system/bbb-web.service.d/override.conf",
            "/run/systemd/system/bbb-web.service.d/zz-operator.conf",
        ],
        "environment_files": ["/etc/default/bbb-web", "/etc/bigbluebutton/bbb-web.env"],
    }


@pytest.mark.parametrize(
    "text",
    [STOPPED, "MainPID=0\nDropInPaths=\nEnvironmentFiles=\n", "", "MainPID=\n", "MainPID=x\nDropInPaths=\n"],
    ids=["stopped", "empty-values", "no-output", "empty-pid", "no-number"],
)
def test_parse_show_of_a_stopped_unit_or_empty_values(text):
    assert parse_show(text) == {"pid": 0, "dropins": [], "environment_files": []}


def test_parse_show_takes_environment_files_as_systemd_prints_them():
    """One line per file with its ignore_errors flag; a leading '-' (EnvironmentFile=-/path) is dropped should a
    systemd print it; a path with a space in a quoted DropInPaths entry (shell_maybe_quote) stays one path."""
    text = (
        "EnvironmentFiles=-/etc/default/optional (ignore_errors=yes)\n"
        "EnvironmentFiles=/etc/default/with space (ignore_errors=no)\n"
        "EnvironmentFiles=/etc/default/plain\n"
        'DropInPaths="/etc/systemd/system/x.service.d/a b.conf" /etc/systemd/system/x.service.d/c.conf\n'
        "Id=x.service\n"
        "not a property line\n"
    )
    assert parse_show(text) == {
        "pid": 0,
        "dropins": ["/etc/systemd/system/x.service.d/a b.conf", "/etc/systemd/system/x.service.d/c.conf"],
        "environment_files": ["/etc/default/optional", "/etc/default/with space", "/etc/default/plain"],
    }


@pytest.mark.parametrize(
    ("line", "sets"),
    [
        ('Environment="JDK_JAVA_OPTIONS=-Xmx2g"', True),
        ("Environment=JDK_JAVA_OPTIONS=-Xmx2g", True),
        ("  export JDK_JAVA_OPTIONS=-Xmx2g", True),
        ('JDK_JAVA_OPTIONS="-Xmx2g"', True),
        ("\tOTHER=1", True),
        ("# JDK_JAVA_OPTIONS=-Xmx2g", False),
        ("JDK_JAVA_OPTIONS_EXTRA=1", False),
        ("MY_JDK_JAVA_OPTIONS=1", False),
        ("Environment=A=1 JDK_JAVA_OPTIONS=2", False),  # one assignment per line, as today's grep -E took it
        ("export\nJDK_JAVA_OPTIONS_X=1", False),
    ],
)
def test_setter_pattern_has_the_semantics_of_the_former_grep(line, sets):
    """^\\s*(export\\s+|Environment="?)?(VAR1|VAR2)= per line, as the drift task's grep -E had it."""
    assert bool(setter_pattern(["JDK_JAVA_OPTIONS", "OTHER"]).search(f"[Service]\n{line}\n")) is sets


def test_setters_are_the_files_that_set_a_wanted_variable_in_systemds_order(tmp_path):
    ours, later, other, env = (tmp_path / name for name in ("cluster-proxy.conf", "zz.conf", "mem.conf", "bbb-web"))
    ours.write_text(f'[Service]\nEnvironment="JDK_JAVA_OPTIONS={WANTED}"\n')
    later.write_text('[Service]\nEnvironment="JDK_JAVA_OPTIONS=-Xmx2g"\n')
    other.write_text("[Service]\nMemoryMax=2G\n")
    env.write_text(f"DB_PASSWORD={SECRET}\nexport JDK_JAVA_OPTIONS=-Dx\n")
    paths = [str(p) for p in (ours, other, later, tmp_path / "missing.conf", tmp_path, env)]
    assert setters(paths, ["JDK_JAVA_OPTIONS"]) == [str(ours), str(later), str(env)]
    assert setters(paths, []) == []


def _environ(count=20000, size=4 * 1024 * 1024):
    """A NUL-separated environment of ``count`` variables and at least ``size`` bytes, a secret and the wanted one."""
    filler = "x" * (size // count)
    entries = [f"BBB_VAR_{i:05d}={filler}" for i in range(count)]
    entries[count // 3] = f"DB_PASSWORD={SECRET}"
    entries[count // 2] = f"JDK_JAVA_OPTIONS={WANTED}"
    entries[count // 2 + 1] = "JDK_JAVA_OPTIONS_EXTRA=not-this-one"
    entries.append("ROOT_URL=https://127.0.0.1/a/html5client")
    return ("\0".join(entries) + "\0").encode()


def test_a_process_environment_of_production_size_gives_the_wanted_variables_only(tmp_path):
    environ = tmp_path / "environ"
    environ.write_bytes(_environ())
    assert environ.stat().st_size >= 4 * 1024 * 1024
    start = time.monotonic()
    found = process_environment(str(environ), ["JDK_JAVA_OPTIONS", "ROOT_URL", "NOT_SET"])
    assert time.monotonic() - start < 2
    assert found == {"JDK_JAVA_OPTIONS": WANTED, "ROOT_URL": "https://127.0.0.1/a/html5client"}
    assert SECRET not in repr(found)


def test_process_environment_edge_cases(tmp_path):
    environ = tmp_path / "environ"
    environ.write_bytes(b"A=first\0B=\0A=last\0C=a=b\0")  # first entry without a NUL before it; = in a value
    assert process_environment(str(environ), ["A", "B", "C"]) == {"A": "last", "B": "", "C": "a=b"}
    assert process_environment(str(tmp_path / "gone"), ["A"]) == {}  # the process ended
    assert process_environment(str(environ), []) == {}


def test_unit_environment_of_a_running_and_a_stopped_unit(tmp_path):
    proc, etc = tmp_path / "proc", tmp_path / "etc"
    (proc / "2817").mkdir(parents=True)
    (proc / "2817" / "environ").write_bytes(_environ())
    etc.mkdir()
    (etc / "cluster-proxy.conf").write_text(f'[Service]\nEnvironment="JDK_JAVA_OPTIONS={WANTED}"\n')
    (etc / "bbb-web").write_text(f"DB_PASSWORD={SECRET}\n")
    show = f"MainPID=2817\nEnvironmentFiles=-{etc}/bbb-web (ignore_errors=yes)\nDropInPaths={etc}/cluster-proxy.conf\n"
    start = time.monotonic()
    result = unit_environment(show, ["JDK_JAVA_OPTIONS"], str(proc))
    assert time.monotonic() - start < 2
    assert result == {"pid": 2817, "setters": [f"{etc}/cluster-proxy.conf"], "env": {"JDK_JAVA_OPTIONS": WANTED}}
    assert SECRET not in repr(result)
    assert unit_environment(STOPPED, ["JDK_JAVA_OPTIONS"], str(proc)) == {"pid": 0, "setters": [], "env": {}}
