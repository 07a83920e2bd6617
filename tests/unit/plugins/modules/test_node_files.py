# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""node_files: the module's read and write phases with the controller's computation between them, as the action
plugin chains them (plugins/action/node_files.py), on files below a temporary directory."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.action.node_files import read_requests
from ansible_collections.bbb.cluster_proxy.plugins.modules import node_files as node_files_module
from ansible_collections.bbb.cluster_proxy.plugins.modules.node_files import main
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import (
    ModelError,
    dropin_problems,
    normalise,
    plan,
    report,
    select,
)

SECRET = "s3cr3t-node-secret-do-not-leak"
# What systemd prints as the drop-in of the role (the drift messages name it); not on this machine, so it sets nothing.
OURS = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"
SHOW_ARGS = "show --property=MainPID --property=DropInPaths --property=EnvironmentFiles -- bbb-web.service"
SHOW = f"{SHOW_ARGS}|LC_ALL=C"  # a call of the fake systemctl as it logs it


@pytest.fixture
def units(tmp_path, monkeypatch):
    """systemd of the node: a fake systemctl first on PATH whose ``show`` prints what ``unit()`` set (``MainPID=0``
    and ``DropInPaths=`` for any other unit, as systemd prints a unit that does not run) and logs each call, and a
    fake /proc for the module. Returns unit(name, pid, dropins, env_files, environ, fail) and calls()."""
    bin_dir, shown, proc, log = tmp_path / "bin", tmp_path / "units", tmp_path / "proc", tmp_path / "systemctl.log"
    bin_dir.mkdir()
    shown.mkdir()
    (bin_dir / "systemctl").write_text(
        "#!/bin/sh\n"
        f"printf '%s|LC_ALL=%s\\n' \"$*\" \"$LC_ALL\" >> '{log}'\n"
        "for unit; do :; done\n"
        f"if [ -f '{shown}/'\"$unit.fail\" ]; then cat '{shown}/'\"$unit.fail\" >&2; exit 1; fi\n"
        f"if [ -f '{shown}/'\"$unit\" ]; then cat '{shown}/'\"$unit\"; else printf 'MainPID=0\\nDropInPaths=\\n'; fi\n"
    )
    (bin_dir / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(node_files_module, "PROC", str(proc))

    def unit(name, pid=0, dropins=(), env_files=(), environ=None, fail=None):
        lines = [f"MainPID={pid}"] + [f"EnvironmentFiles={path}" for path in env_files]
        (shown / name).write_text("\n".join([*lines, "DropInPaths=" + " ".join(dropins)]) + "\n")
        if fail:
            (shown / f"{name}.fail").write_text(fail)
        if pid and environ is not None:
            (proc / str(pid)).mkdir(parents=True, exist_ok=True)
            data = environ if isinstance(environ, bytes) else "".join(f"{k}={v}\0" for k, v in environ.items()).encode()
            (proc / str(pid) / "environ").write_bytes(data)

    def calls():
        return log.read_text().splitlines() if log.exists() else []

    return unit, calls


@pytest.fixture
def node(tmp_path, run_module, units):
    """A node below tmp_path, and apply(files) / drift(files) that run the action's steps on it; bbb-web runs with the
    model's drop-in (and a secret in its environment)."""
    units[0](
        "bbb-web.service",
        4242,
        dropins=[OURS],
        env_files=[f"{tmp_path}/etc/default/bbb-web (ignore_errors=yes)"],
        environ={"DB_PASSWORD": SECRET, "JDK_JAVA_OPTIONS": "-Da=b", "LANG": "C.UTF-8"},
    )
    etc = tmp_path / "etc"
    (etc / "default").mkdir(parents=True)
    (etc / "bbb").mkdir()
    (etc / "bbb" / "web.properties").write_text(f"# bbb-web\nsecuritySalt={SECRET}\nserverURL=https://node\nkeep=1\n")
    (etc / "bbb" / "html5.yml").write_text("public:\n  app:\n    operatorKey: mine\n  list: [1, 2]\n")
    marker = tmp_path / "marker"

    def read(files, restart=True, reporting=False):
        probes = sorted({f[k] for f in files for k in ("if_exists", "unless_exists") if f.get(k)})
        failed, result, raw = run_module(
            main,
            {
                "phase": "read",
                "files": read_requests(files, reporting),
                "probe": probes,
                "marker": str(marker) if restart else "",
            },
        )
        assert not failed, result
        assert SECRET not in raw
        return select(files, result["probe"]), result

    def apply(entries, check=False, restart=True):
        """The action's steps; restart=False as the action with ``restart: false`` (no marker)."""
        files = normalise(entries, "node-1")
        active, found = read(files, restart)
        assert restart or not found["marker_found"]
        problems = dropin_problems(active, found["files"], "node-1")
        if problems:
            raise ModelError(" ".join(problems))
        steps = plan(active, found["files"], "node-1")
        changed = [s for s in steps if s["changed"]]
        assert SECRET not in json.dumps([s.get("diff") for s in steps])
        if changed and not check:
            restarting = restart and any(s["restart"] for s in changed)  # as the action: entries of restart: false
            failed, result, raw = run_module(
                main,
                {"phase": "write", "files": [s["write"] for s in changed], "marker": str(marker) if restarting else ""},
            )
            assert not failed and SECRET not in raw, result
        return [s["path"] for s in changed]

    def drift(entries):
        files = normalise(entries, "node-1")
        active, found = read(files, reporting=True)
        return report(active, found["files"], {"accessControlAllowOrigin": "CORS errors"})

    return etc, marker, apply, drift


def model(etc):
    return [
        {
            "path": f"{etc}/bbb/web.properties",
            "format": "properties",
            "settings": {"accessControlAllowOrigin": "https://proxy", "defaultHTML5ClientUrl": "https://proxy/a/"},
        },
        {
            "path": f"{etc}/bbb/web.properties",
            "format": "properties",
            "settings": {"apiUrl": "https://node/api"},
            "remove": {"defaultGuestWaitURL": "https://node/a/guestWait"},
        },
        {
            "path": f"{etc}/bbb/html5.yml",
            "format": "yaml",
            "settings": {"public": {"app": {"basename": "/a"}, "list": [3]}},
        },
        {"path": f"{etc}/bbb/etherpad.json", "format": "json", "settings": {"cluster_proxies": ["https://proxy"]}},
        {
            "path": f"{etc}/systemd/bbb-web.service.d/cluster-proxy.conf",
            "format": "dropin",
            "env_file": f"{etc}/default/bbb-web",
            "settings": {"JDK_JAVA_OPTIONS": "-Da=b"},
        },
        {"path": f"{etc}/bbb/only-with-probe.yml", "format": "yaml", "if_exists": f"{etc}/probe", "settings": {"x": 1}},
        {"path": f"{etc}/systemd/old.service.d/cluster.conf", "format": "absent"},
    ]


def test_apply_writes_each_file_once_keeps_every_other_key_and_the_secret(node):
    etc, marker, apply, _drift = node
    (etc / "systemd" / "old.service.d").mkdir(parents=True)
    (etc / "systemd" / "old.service.d" / "cluster.conf").write_text("[Service]\n")
    (etc / "bbb" / "web.properties").write_text(
        (etc / "bbb" / "web.properties").read_text() + "defaultGuestWaitURL=https://node/a/guestWait\n"
    )
    changed = apply(model(etc))
    assert sorted(changed) == sorted(
        [
            f"{etc}/bbb/web.properties",
            f"{etc}/bbb/html5.yml",
            f"{etc}/bbb/etherpad.json",
            f"{etc}/systemd/bbb-web.service.d/cluster-proxy.conf",
            f"{etc}/systemd/old.service.d/cluster.conf",
        ]
    )
    assert marker.exists()  # armed with the first write, until the restart
    properties = (etc / "bbb" / "web.properties").read_text()
    assert properties == (
        f"# bbb-web\nsecuritySalt={SECRET}\nserverURL=https://node\nkeep=1\n"
        "accessControlAllowOrigin=https://proxy\ndefaultHTML5ClientUrl=https://proxy/a/\napiUrl=https://node/api\n"
    )
    assert "operatorKey: mine" in (etc / "bbb" / "html5.yml").read_text()
    assert "list:\n  - 3\n" in (etc / "bbb" / "html5.yml").read_text()  # lists replace (T11)
    assert json.loads((etc / "bbb" / "etherpad.json").read_text()) == {"cluster_proxies": ["https://proxy"]}
    assert 'Environment="JDK_JAVA_OPTIONS=-Da=b"' in (etc / "systemd/bbb-web.service.d/cluster-proxy.conf").read_text()
    assert not (etc / "systemd/old.service.d/cluster.conf").exists()
    assert [p.name for p in (etc / "systemd/old.service.d").iterdir()][0].startswith("cluster.conf.")  # backed up
    assert not (etc / "bbb" / "only-with-probe.yml").exists()  # its condition does not hold
    assert apply(model(etc)) == []  # a second run changes nothing
    assert drift_free(node)


def drift_free(node):
    etc, _marker, _apply, drift = node
    return drift(model(etc)) == []


def test_check_mode_writes_nothing(node):
    etc, marker, apply, _drift = node
    before = (etc / "bbb" / "web.properties").read_text()
    assert apply(model(etc), check=True)
    assert (etc / "bbb" / "web.properties").read_text() == before and not marker.exists()


def test_drift_reports_what_a_rollout_would_change(node):
    etc, _marker, apply, drift = node
    apply(model(etc))
    path = etc / "bbb" / "web.properties"
    path.write_text(path.read_text().replace("accessControlAllowOrigin=https://proxy", "accessControlAllowOrigin=*"))
    (etc / "bbb" / "etherpad.json").unlink()
    messages = drift(model(etc))
    assert f"{path}: accessControlAllowOrigin is '*', the inventory says 'https://proxy': CORS errors" in messages
    assert f"{etc}/bbb/etherpad.json is missing: the node runs with the package defaults there" in messages
    assert len(messages) == 2
    assert SECRET not in json.dumps(messages)


def optional_component(etc):
    """Settings of an optional component (Etherpad from BBB 4.0) where it is installed, removed (T12) where not: entries
    of the same paths under opposite conditions, as roles/bbb_node/vars/main/model.yml has them."""
    installed = f"{etc}/pad/settings.json"
    pads = {"public": {"pads": {"url": "https://node/pad"}}}
    proxies = {"cluster_proxies": ["https://proxy"]}
    return [
        {"path": f"{etc}/bbb/html5.yml", "format": "yaml", "settings": {"public": {"app": {"basename": "/a"}}}},
        {"path": f"{etc}/bbb/html5.yml", "format": "yaml", "if_exists": installed, "settings": pads},
        {"path": f"{etc}/bbb/html5.yml", "format": "yaml", "unless_exists": installed, "remove": pads},
        {"path": f"{etc}/bbb/etherpad.json", "format": "json", "if_exists": installed, "settings": proxies},
        {"path": f"{etc}/bbb/etherpad.json", "format": "json", "unless_exists": installed, "remove": proxies},
    ]


def test_an_optional_component_s_keys_are_set_where_it_is_installed_and_removed_where_not(node):
    etc, _marker, apply, drift = node
    (etc / "pad").mkdir()
    (etc / "pad" / "settings.json").write_text("{}")
    assert sorted(apply(optional_component(etc))) == [f"{etc}/bbb/etherpad.json", f"{etc}/bbb/html5.yml"]
    html5 = yaml.safe_load((etc / "bbb" / "html5.yml").read_text())
    assert html5["public"]["pads"] == {"url": "https://node/pad"} and html5["public"]["app"]["operatorKey"] == "mine"
    assert drift(optional_component(etc)) == [] and apply(optional_component(etc)) == []

    # the component goes (a BBB upgrade that no longer installs it): what the model wrote goes, the rest stays
    (etc / "pad" / "settings.json").unlink()
    messages = drift(optional_component(etc))
    assert messages == [
        f"{etc}/bbb/html5.yml: public.pads.url still has the value only an earlier BBB version needs (T12)",
        f"{etc}/bbb/etherpad.json: cluster_proxies still has the value only an earlier BBB version needs (T12)",
    ]
    assert sorted(apply(optional_component(etc))) == [f"{etc}/bbb/etherpad.json", f"{etc}/bbb/html5.yml"]
    html5 = yaml.safe_load((etc / "bbb" / "html5.yml").read_text())
    assert "pads" not in html5["public"] and html5["public"]["app"] == {"operatorKey": "mine", "basename": "/a"}
    assert not (etc / "bbb" / "etherpad.json").exists()  # nothing of it was left
    assert [p.name.startswith("etherpad.json.") for p in (etc / "bbb").iterdir()].count(True) == 1  # backed up
    assert drift(optional_component(etc)) == [] and apply(optional_component(etc)) == []


def test_a_key_removed_under_t12_stays_where_the_operator_gave_it_another_value(node):
    etc, _marker, apply, drift = node
    (etc / "bbb" / "etherpad.json").write_text('{"cluster_proxies": ["https://other"], "port": 9001}')
    (etc / "bbb" / "html5.yml").write_text("public:\n  pads:\n    url: https://elsewhere/pad\n    extra: 1\n")
    assert apply(optional_component(etc)) == [f"{etc}/bbb/html5.yml"]  # the basename only
    html5 = yaml.safe_load((etc / "bbb" / "html5.yml").read_text())
    assert html5["public"]["pads"] == {"url": "https://elsewhere/pad", "extra": 1}
    assert json.loads((etc / "bbb" / "etherpad.json").read_text()) == {
        "cluster_proxies": ["https://other"],
        "port": 9001,
    }
    assert drift(optional_component(etc)) == []


@pytest.mark.parametrize("where", ["env_file", "later_dropin"])
def test_an_override_of_a_dropin_stops_before_any_write(node, where):
    etc, marker, apply, _drift = node
    if where == "env_file":
        (etc / "default" / "bbb-web").write_text("export JDK_JAVA_OPTIONS=-Dother\nDB_PASSWORD=hidden\n")
        expected = (
            f"{etc}/default/bbb-web sets JDK_JAVA_OPTIONS, which overrides the role's drop-in for bbb-web.service"
        )
    else:
        (etc / "systemd" / "bbb-web.service.d").mkdir(parents=True)
        (etc / "systemd" / "bbb-web.service.d" / "zz-operator.conf").write_text(
            '[Service]\nEnvironment="JDK_JAVA_OPTIONS=-x"\n'
        )
        expected = f"{etc}/systemd/bbb-web.service.d/zz-operator.conf also sets JDK_JAVA_OPTIONS and sorts after"
    before = (etc / "bbb" / "web.properties").read_text()
    with pytest.raises(ModelError) as info:
        apply(model(etc))
    assert expected in str(info.value) and "hidden" not in str(info.value)
    assert (etc / "bbb" / "web.properties").read_text() == before and not marker.exists()


def test_a_broken_override_file_is_named(node):
    etc, _marker, apply, _drift = node
    (etc / "bbb" / "html5.yml").write_text("public: [unclosed\n")
    with pytest.raises(ModelError, match=r"Host node-1: .*html5.yml is not valid YAML"):
        apply(model(etc))


def test_a_missing_properties_file_is_an_error_unless_created(node):
    etc, _marker, apply, _drift = node
    entry = {"path": f"{etc}/bbb/graphql.env", "format": "properties", "settings": {"CORS": '"https://proxy"'}}
    with pytest.raises(ModelError, match="graphql.env does not exist"):
        apply([entry])
    assert apply([dict(entry, create=True)]) == [f"{etc}/bbb/graphql.env"]
    assert (etc / "bbb" / "graphql.env").read_text() == 'CORS="https://proxy"\n'


def test_nginx_entry_is_the_package_file_with_the_node_prefix(node):
    etc, _marker, apply, _drift = node
    (etc / "pkg.nginx").write_text("location /html5client/locales {\n  alias /usr/share/x;\n}\n")
    entries = normalise(
        [
            {
                "path": f"{etc}/bbb/zz.nginx",
                "format": "nginx",
                "source": f"{etc}/pkg.nginx",
                "basename": "/a/html5client",
                "settings": {"bbb_cors_origin": "'https://proxy'"},
                "append": "location =/html5client/locale {\n    return 301 /a$request_uri;\n}\n",
            }
        ],
        "node-1",
    )
    found = {
        f"{etc}/pkg.nginx": {"exists": True, "content": base64.b64encode((etc / "pkg.nginx").read_bytes()).decode()}
    }
    text = plan(entries, found, "node-1")[0]["text"]
    assert "set $bbb_cors_origin 'https://proxy';" in text
    assert "location /a/html5client/locales {" in text and "return 301 /a$request_uri;" in text
    with pytest.raises(ModelError, match="pkg.nginx could not be read"):
        plan(entries, {}, "node-1")


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"path": "relative"}, "absolute path"),
        ({"path": "/x", "format": "ini"}, "format 'ini'"),
        ({"path": "/x", "format": "properties", "settings": {"k": [1]}}, "no text form"),
        ({"path": "/x", "format": "nginx"}, "needs source and basename"),
        ({"path": "/x", "content": "x", "mode": 493}, "quoted octal string"),  # YAML's unquoted 0755
        ({"path": "/x", "content": "x", "mode": "755x"}, "quoted octal string"),
        ({"path": "/x", "format": "properties", "mode": "0644"}, "a text entry takes"),
    ],
)
def test_bad_model_entries_are_named(entry, why):
    with pytest.raises(ModelError, match=why):
        normalise([entry], "node-1")


def test_the_module_alone_refuses_to_run(run_module):
    failed, result, _raw = run_module(main, {"files": []})
    assert failed and "action plugin" in result["msg"]


def test_values_of_any_ansible_string_type_are_written_as_plain_yaml():
    """ansible-core < 2.19 hands the action AnsibleUnsafeText, which yaml.safe_dump cannot represent."""
    from ansible.utils.unsafe_proxy import wrap_var

    entries = wrap_var(
        [{"path": "/x.yml", "format": "yaml", "settings": {"public": {"app": {"basename": "/a/html5client"}}}}]
    )
    assert plan(normalise(entries, "node-1"), {}, "node-1")[0]["text"].endswith("    basename: /a/html5client\n")


def test_files_without_a_restart_get_their_mode_and_arm_no_marker(node):
    """The self-heal hook's files (restart: false): new directories, each file's mode, no pending-restart marker; a
    mode changed by hand is set back without a rewrite; a file that must only be created where none exists (bbb-conf's
    apply-config.sh) keeps an operator's content and mode."""
    etc, marker, apply, _drift = node
    lib, units, operator = etc / "lib" / "hook", etc / "systemd", etc / "bbb" / "operator-apply.sh"
    hook = [
        {"path": f"{lib}/hook.py", "content": "#!/usr/bin/python3\nprint('heal')\n", "mode": "0755"},
        {"path": f"{lib}/config.json", "content": "{}\n", "mode": "644"},
        {"path": f"{units}/hook.path", "content": "[Path]\nPathChanged=/x\n"},
        {"path": str(operator), "content": "#!/bin/bash\n", "mode": "0755", "unless_exists": str(operator)},
    ]
    assert sorted(apply(hook, restart=False)) == sorted(
        [f"{lib}/hook.py", f"{lib}/config.json", f"{units}/hook.path", str(operator)]
    )
    assert not marker.exists()
    assert {p.name: p.stat().st_mode & 0o7777 for p in lib.iterdir()} == {"hook.py": 0o755, "config.json": 0o644}
    assert (units / "hook.path").stat().st_mode & 0o7777 == 0o644 and operator.stat().st_mode & 0o7777 == 0o755
    assert apply(hook, restart=False) == []
    (lib / "hook.py").chmod(0o600)
    files = normalise(hook, "node-1")
    assert apply(hook, check=True, restart=False) == [f"{lib}/hook.py"]
    assert apply(hook, restart=False) == [f"{lib}/hook.py"]
    assert (lib / "hook.py").stat().st_mode & 0o7777 == 0o755 and sorted(p.name for p in lib.iterdir()) == [
        "config.json",
        "hook.py",
    ]  # only the mode was set: nothing to back up
    operator.write_text("#!/bin/bash\n# the operator's own\n")
    operator.chmod(0o700)
    assert apply(hook, restart=False) == []
    assert operator.read_text() == "#!/bin/bash\n# the operator's own\n" and operator.stat().st_mode & 0o7777 == 0o700
    (lib / "hook.py").write_text("old\n")
    assert apply(hook, restart=False) == [f"{lib}/hook.py"]
    assert (lib / "hook.py").stat().st_mode & 0o7777 == 0o755
    assert any(p.name.startswith("hook.py.") for p in lib.iterdir())  # the replaced file is backed up
    assert not marker.exists() and files


def test_a_mode_change_is_shown_in_the_diff(node):
    etc, _marker, _apply, _drift = node
    path = etc / "hook.py"
    path.write_text("x\n")
    path.chmod(0o644)
    files = normalise([{"path": str(path), "content": "x\n", "mode": "0755"}], "node-1")
    found = {str(path): {"exists": True, "content": base64.b64encode(b"x\n").decode(), "mode": "0644"}}
    (step,) = plan(files, found, "node-1")
    assert step["changed"] and step["write"]["mode"] == "0755"
    assert (step["diff"]["before_header"], step["diff"]["after_header"]) == (
        f"{path} (mode 0644)",
        f"{path} (mode 0755)",
    )


def test_only_the_drift_report_asks_systemd_once_per_unit_and_gets_the_wanted_variables(node, units):
    """The rollout's no-op run does not call systemctl; the report calls it once per drop-in's unit (an argv list,
    LC_ALL=C) and gets only the drop-in's variables of the process environment (the secret in it stays on the node:
    read() asserts it is not in the module's output)."""
    etc, _marker, apply, drift = node
    _unit, calls = units
    apply(model(etc))
    assert apply(model(etc)) == [] and calls() == []
    assert drift(model(etc)) == []
    assert calls() == [SHOW]
    files = normalise(model(etc), "node-1")
    (request,) = [r for r in read_requests(files, True) if r["format"] == "unit_environment"]
    assert request == {
        "path": "bbb-web.service",
        "format": "unit_environment",
        "unit": "bbb-web.service",
        "keys": ["JDK_JAVA_OPTIONS"],
    }
    assert not [r for r in read_requests(files) if r["format"] == "unit_environment"]


def test_template_units_are_not_read():
    """A drop-in of a template (name@.service) has no one process to read, as before."""
    files = normalise(
        [
            {"path": "/etc/systemd/system/bbb-html5-frontend@.service.d/cluster-proxy.conf", "format": "dropin"},
            {"path": "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf", "format": "dropin"},
            {"path": "/etc/systemd/system/bbb-web.service.d/zz-more.conf", "format": "dropin", "settings": {"B": "1"}},
        ],
        "node-1",
    )
    assert [(r["unit"], r["keys"]) for r in read_requests(files, True) if r["format"] == "unit_environment"] == [
        ("bbb-web.service", ["B"])
    ]


@pytest.mark.parametrize("case", ["later_dropin", "env_file_and_later_dropin", "not_restarted", "stopped"])
def test_drift_names_what_a_unit_really_runs_with_in_the_same_words(node, units, case):
    """The drift messages of what runs, word for word as before (the lab's operator tests assert them)."""
    etc, _marker, apply, drift = node
    unit, calls = units
    apply(model(etc))
    later = etc / "systemd" / "bbb-web.service.d" / "zz-operator.conf"
    later.write_text('[Service]\nEnvironment="JDK_JAVA_OPTIONS=-Xmx2g"\n')
    env_file = etc / "default" / "bbb-web"
    env_file.write_text(f"DB_PASSWORD={SECRET}\nJDK_JAVA_OPTIONS=-Xmx2g\n")
    environ = {"DB_PASSWORD": SECRET, "JDK_JAVA_OPTIONS": "-Xmx2g"}
    precedence = (
        ", and systemd gives precedence to it (a later drop-in's Environment= replaces an earlier one;"
        " EnvironmentFile= wins over Environment=). Remove JDK_JAVA_OPTIONS from "
    )
    runs_with = "bbb-web.service runs with JDK_JAVA_OPTIONS {} (its process environment), not the value of " + OURS
    if case == "later_dropin":
        unit("bbb-web.service", 4242, dropins=[OURS, str(later)], environ=environ)
        expected = runs_with.format("'-Xmx2g'") + f": {later} also sets JDK_JAVA_OPTIONS{precedence}{later}"
    elif case == "env_file_and_later_dropin":
        env_files = [f"-{env_file} (ignore_errors=yes)", f"{etc}/default/absent (ignore_errors=yes)"]
        unit("bbb-web.service", 4242, dropins=[OURS, str(later)], env_files=env_files, environ=environ)
        both = f"{later}, {env_file}"
        expected = runs_with.format("'-Xmx2g'") + f": {both} also set JDK_JAVA_OPTIONS{precedence}{both}"
    elif case == "not_restarted":
        later.unlink()
        unit("bbb-web.service", 4242, dropins=[OURS], environ={"DB_PASSWORD": SECRET})
        expected = (
            runs_with.format("not set")
            + f": it was not restarted since {OURS} changed: restart it (bbb-conf --restart)"
        )
    else:
        unit("bbb-web.service", 0, dropins=[OURS, str(later)], env_files=[f"{env_file} (ignore_errors=no)"])
        expected = "bbb-web.service is not running: what it runs with cannot be checked (start BigBlueButton: bbb-conf --restart)"
    messages = drift(model(etc))
    assert messages == [expected]
    assert SECRET not in json.dumps(messages) and calls() == [SHOW]


def test_the_drift_report_reads_a_process_environment_of_production_size_in_time(node, units):
    """Several MiB and thousands of variables in /proc/<pid>/environ, a secret among them: the module returns the
    wanted variable only, well within the time bound."""
    etc, _marker, apply, drift = node
    unit, _calls = units
    apply(model(etc))
    filler = "x" * 200
    entries = [f"BBB_VAR_{i:05d}={filler}" for i in range(20000)]
    entries[5000] = f"BBB_SECRET={SECRET}"
    entries[15000] = "JDK_JAVA_OPTIONS=-Dwrong"
    environ = ("\0".join(entries) + "\0").encode()
    assert len(environ) > 4 * 1024 * 1024
    unit("bbb-web.service", 4242, dropins=[OURS], environ=environ)
    start = time.monotonic()
    messages = drift(model(etc))  # read() asserts that the secret is not in the module's output
    assert time.monotonic() - start < 2
    assert messages == [
        f"bbb-web.service runs with JDK_JAVA_OPTIONS '-Dwrong' (its process environment), not the value of {OURS}: it"
        f" was not restarted since {OURS} changed: restart it (bbb-conf --restart)"
    ]


def test_the_drift_report_reads_a_real_process_environment(node, units, monkeypatch):
    """A real process and the real /proc: its environment holds the secret, the result only the wanted variable."""
    etc, _marker, apply, drift = node
    unit, _calls = units
    apply(model(etc))
    monkeypatch.setattr(node_files_module, "PROC", "/proc")
    environment = {f"BBB_VAR_{i:04d}": "y" * 100 for i in range(5000)}
    environment.update(PATH=os.environ.get("PATH", "/usr/bin:/bin"), DB_PASSWORD=SECRET, JDK_JAVA_OPTIONS="-Da=b")
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, env=environment
    )
    try:
        unit("bbb-web.service", process.pid, dropins=[OURS])
        assert drift(model(etc)) == []
        environment["JDK_JAVA_OPTIONS"] = "-Dother"
        other = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, env=environment
        )
        try:
            unit("bbb-web.service", other.pid, dropins=[OURS])
            (message,) = drift(model(etc))
            assert message.startswith("bbb-web.service runs with JDK_JAVA_OPTIONS '-Dother' (its process environment)")
        finally:
            other.communicate(b"")
    finally:
        process.communicate(b"")


def test_a_failing_systemctl_fails_the_report_naming_the_unit(node, units, run_module):
    etc, _marker, _apply, _drift = node
    unit, _calls = units
    unit("bbb-web.service", fail="System has not been booted with systemd as init system (PID 1). Can't operate.")
    files = normalise(model(etc), "node-1")
    failed, result, _raw = run_module(
        main, {"phase": "read", "files": read_requests(files, True), "probe": [f"{etc}/probe"], "marker": ""}
    )
    assert failed
    assert f"{SHOW_ARGS} failed (rc 1): System has not been booted with systemd" in result["msg"]


def test_retention_keys_are_set_removed_whatever_their_value_and_their_drift_named(node, tmp_path):
    """The retention entries as the role gives them (roles/bbb_node/vars/main/model.yml): set keys written into the
    daily job's override file (created), keys left null removed whatever their value, a file with nothing to set and
    not there left alone; drift names a changed key and a key the inventory leaves unset; the cron job with a mode."""
    etc, marker, apply, drift = node
    config, job = f"{etc}/default/bigbluebutton-cron-config", f"{etc}/cron.daily/bbb-cluster-proxy-recordings"

    def entries(**days):
        keys = ("history", "unrecorded_days", "published_days", "log_history", "bbb_cluster_proxy_published_days")
        wanted = {k: days.get(k) for k in keys}
        chosen = {k: v for k, v in wanted.items() if v is not None}
        return [
            {
                "path": config,
                "format": "properties",
                "create": True,
                "settings": chosen,
                "remove": {k: v for k, v in wanted.items() if v is None},
                "restart": False,
            },
            {
                "path": job,
                "format": "absent" if wanted["bbb_cluster_proxy_published_days"] is None else "text",
                "mode": "0755",
                "content": "#!/bin/sh\n",
                "restart": False,
            },
        ]

    assert apply(entries()) == []  # nothing set, nothing there: nothing written
    assert not os.path.exists(config)
    assert apply(entries(history=3, bbb_cluster_proxy_published_days=30)) == [config, job]
    assert open(config).read() == "history=3\nbbb_cluster_proxy_published_days=30\n"
    assert oct(os.stat(job).st_mode & 0o777) == "0o755"
    assert not marker.exists()  # read by the daily job only (restart: false): no restart
    assert apply(entries(history=3, bbb_cluster_proxy_published_days=30)) == []
    assert drift(entries(history=3, bbb_cluster_proxy_published_days=30)) == []

    with open(config, "a") as handle:  # an operator's hand edits: a key of the policy, one of their own
        handle.write("log_history=90\nsafemeet_days=7\n")
    assert drift(entries(history=5, bbb_cluster_proxy_published_days=30)) == [
        f"{config}: history is '3', the inventory says '5'",
        f"{config}: log_history is '90', the inventory leaves it unset (BigBlueButton's default)",
    ]
    assert apply(entries(history=5)) == [config, job]
    assert open(config).read() == "history=5\nsafemeet_days=7\n"  # the operator's own key stays
    assert not os.path.exists(job) and not marker.exists()
    # in one round trip with a file BigBlueButton reads at its start: that one arms the marker
    assert apply([*entries(history=4), *model(etc)[:1]]) == [config, f"{etc}/bbb/web.properties"]
    assert marker.exists()
