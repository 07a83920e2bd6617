# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""node_files: the module's read and write phases with the controller's computation between them, as the action
plugin chains them (plugins/action/node_files.py), on files below a temporary directory."""

from __future__ import annotations

import base64
import json

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.action.node_files import read_requests
from ansible_collections.bbb.cluster_proxy.plugins.modules.node_files import main
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import (
    ModelError,
    dropin_problems,
    normalise,
    plan,
    report,
)

SECRET = "s3cr3t-node-secret-do-not-leak"


@pytest.fixture
def node(tmp_path, run_module):
    """A node below tmp_path, and apply(files) / drift(files) that run the action's steps on it."""
    etc = tmp_path / "etc"
    (etc / "default").mkdir(parents=True)
    (etc / "bbb").mkdir()
    (etc / "bbb" / "web.properties").write_text(f"# bbb-web\nsecuritySalt={SECRET}\nserverURL=https://node\nkeep=1\n")
    (etc / "bbb" / "html5.yml").write_text("public:\n  app:\n    operatorKey: mine\n  list: [1, 2]\n")
    marker = tmp_path / "marker"

    def read(files, restart=True):
        probes = sorted({f[k] for f in files for k in ("if_exists", "unless_exists") if f.get(k)})
        failed, result, raw = run_module(
            main,
            {"phase": "read", "files": read_requests(files), "probe": probes, "marker": str(marker) if restart else ""},
        )
        assert not failed, result
        assert SECRET not in raw
        active = [
            f
            for f in files
            if (not f.get("if_exists") or result["probe"][f["if_exists"]])
            and (not f.get("unless_exists") or not result["probe"][f["unless_exists"]])
        ]
        return active, result

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
            failed, result, raw = run_module(
                main,
                {"phase": "write", "files": [s["write"] for s in changed], "marker": str(marker) if restart else ""},
            )
            assert not failed and SECRET not in raw, result
        return [s["path"] for s in changed]

    def drift(entries, effective=None):
        files = normalise(entries, "node-1")
        active, found = read(files)
        return report(active, found["files"], {"accessControlAllowOrigin": "CORS errors"}, effective)

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
