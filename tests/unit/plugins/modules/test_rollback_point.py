# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_point on real files in tmp_path, run through main() as Ansible runs it."""

from __future__ import annotations

import json
import os

from ansible_collections.bbb.cluster_proxy.plugins.modules.rollback_point import main

SECRET = "securitySalt=never-in-any-output"


def setup(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    props = etc / "bbb-web.properties"
    props.write_text(f"a=1\n{SECRET}\n")
    os.chmod(props, 0o640)
    html5 = etc / "bbb-html5.yml"
    html5.write_text("public: {}\n")
    later = etc / "zz-cluster-proxy.nginx"  # does not exist yet
    return tmp_path / "backups", [str(props), str(html5), str(later)]


def test_record_then_restore_byte_identical(tmp_path, run_module):
    base, files = setup(tmp_path)
    props, html5, later = files
    failed, result, out = run_module(
        main, dict(id="20261125T101500Z", path=str(base), files=files, operator="jane", info={"v": "3.0"})
    )
    assert not failed and result["changed"]
    assert result["present"] == sorted([props, html5]) and result["absent"] == [later]
    assert "never-in-any-output" not in out
    point = base / "20261125T101500Z"
    assert oct(point.stat().st_mode & 0o777) == "0o700"
    assert oct((point / "files.tar").stat().st_mode & 0o777) == "0o600"
    manifest = json.loads((point / "manifest.json").read_text())
    assert manifest["operator"] == "jane" and manifest["info"] == {"v": "3.0"}

    # recording the same point again changes nothing
    failed, result, _unused = run_module(main, dict(id="20261125T101500Z", path=str(base), files=files))
    assert not failed and not result["changed"]

    before = {p: open(p, "rb").read() for p in (props, html5)}
    with open(props, "w") as handle:
        handle.write("a=2\nsecuritySalt=changed\n")
    os.chmod(props, 0o644)
    os.remove(html5)
    with open(later, "w") as handle:
        handle.write("location /x {}\n")

    # check mode tells and changes nothing
    failed, result, _unused = run_module(main, dict(state="restored", id="latest", path=str(base)), check_mode=True)
    assert not failed and result["changed"]
    assert result["restored"] == sorted([props, html5]) and result["removed"] == [later]
    assert os.path.exists(later)

    failed, result, out = run_module(main, dict(state="restored", id="latest", path=str(base)))
    assert not failed and result["changed"] and result["id"] == "20261125T101500Z"
    assert {p: open(p, "rb").read() for p in (props, html5)} == before
    assert oct(os.stat(props).st_mode & 0o777) == "0o640"
    assert not os.path.exists(later)
    assert "never-in-any-output" not in out and "changed" not in json.dumps(result["manifest"])

    # a second restore changes nothing
    failed, result, _unused = run_module(main, dict(state="restored", id="20261125T101500Z", path=str(base)))
    assert not failed and not result["changed"] and result["restored"] == [] and result["removed"] == []


def test_latest_is_the_newest_point(tmp_path, run_module):
    base, files = setup(tmp_path)
    run_module(main, dict(id="20261125T101500Z", path=str(base), files=files))
    with open(files[0], "w") as handle:
        handle.write("a=3\n")
    run_module(main, dict(id="20261126T080000Z", path=str(base), files=files))
    with open(files[0], "w") as handle:
        handle.write("a=4\n")
    failed, result, _unused = run_module(main, dict(state="restored", id="latest", path=str(base)))
    assert not failed and result["id"] == "20261126T080000Z"
    assert open(files[0]).read() == "a=3\n"


def test_unknown_point_names_the_points_the_host_has(tmp_path, run_module):
    base, files = setup(tmp_path)
    run_module(main, dict(id="20261125T101500Z", path=str(base), files=files))
    failed, result, _unused = run_module(main, dict(state="restored", id="20270101T000000Z", path=str(base)))
    assert failed
    assert result["msg"] == (
        f"rollback_point: no rollback point '20270101T000000Z' in {base}. "
        "This host has: 20261125T101500Z. Set the identifier to one of them."
    )
    failed, result, _unused = run_module(main, dict(state="restored", id="latest", path=str(tmp_path / "none")))
    assert failed and "Run the preflight playbook" in result["msg"]


def test_bad_id_and_empty_files_fail(tmp_path, run_module):
    failed, result, _unused = run_module(main, dict(id="yesterday", files=["/etc/x"], path=str(tmp_path)))
    assert failed and "is not a UTC timestamp such as 20261125T101500Z" in result["msg"]
    failed, result, _unused = run_module(main, dict(id="20261125T101500Z", files=[], path=str(tmp_path)))
    assert failed and "files is empty" in result["msg"]
    failed, result, _unused = run_module(main, dict(id="20261125T101500Z", files=["relative/x"], path=str(tmp_path)))
    assert failed and "absolute" in result["msg"]


def test_check_mode_records_nothing(tmp_path, run_module):
    base, files = setup(tmp_path)
    failed, result, _unused = run_module(
        main, dict(id="20261125T101500Z", path=str(base), files=files), check_mode=True
    )
    assert not failed and result["changed"]
    assert not base.exists()


# BigBlueButton packages: dpkg-query, apt-cache madison and apt-get answered by a fake host (run_command).
POINT = "20261125T101500Z"
DPKG_QUERY = ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"]
APT_INSTALL = [
    "apt-get",
    "install",
    "--yes",
    "--allow-downgrades",
    "--no-remove",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
    "-o",
    "DPkg::Lock::Timeout=120",
]


class FakeHost:
    """dpkg's database ({name: (version, Status-Abbrev)}), the versions the package sources offer, apt-get."""

    def __init__(self, installed, offered=None):
        self.installed = dict(installed)
        self.offered = offered or {}
        self.calls = []
        self.simulation = (0, "Inst ...\n", "")
        self.install_rc = 0
        self.on_install = None  # called before the fake apt-get changes dpkg's database

    def run_command(self, module, args, environ_update=None, **_kwargs):
        args = list(args)
        self.calls.append((args, dict(environ_update or {})))
        if args == DPKG_QUERY:
            return 0, "".join(f"{n}\t{v}\t{s}\n" for n, (v, s) in sorted(self.installed.items())), ""
        if args[:2] == ["apt-cache", "madison"]:
            lines = [
                f"{n:>10} | {v} | http://packages.example/bbb-30 bigbluebutton-jammy/main amd64 Packages"
                for n in args[2:]
                for v in self.offered.get(n, [])
            ]
            return 0, "\n".join(lines) + "\n", ""
        if args[: len(APT_INSTALL)] == APT_INSTALL:
            targets = args[len(APT_INSTALL) :]
            if targets[0] == "--simulate":
                return self.simulation
            if self.on_install:
                self.on_install()
            if self.install_rc:
                return self.install_rc, "", "E: Sub-process /usr/bin/dpkg returned an error code (1)"
            for target in targets:
                name, version = target.split("=", 1)
                self.installed[name] = (version, "ii ")
            return 0, "", ""
        raise AssertionError(f"unexpected command {args}")

    def commands(self, first=None):
        return [args for args, _env in self.calls if first is None or args[: len(first)] == first]


def fake_host(monkeypatch, installed, offered=None):
    from ansible.module_utils import basic

    host = FakeHost(installed, offered)

    def run_command(module, args, **kwargs):  # the module (AnsibleModule's self) handed on to the fake host
        return host.run_command(module, args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    return host


RECORDED = {
    "bbb-web": ("1:3.0.30-1", "ii "),
    "bbb-html5": ("1:3.0.30-1", "ii "),
    "bigbluebutton": ("1:3.0.30-1", "ii "),
    "bbb-freeswitch-core": ("2:1.10.12-1", "hi "),  # held: installed all the same
    "bbb-webhooks": ("1:3.0.30-1", "ii "),
    "bbb-old-player": ("1:2.7.1-1", "rc "),  # removed, its conffiles left: not installed
    "nginx": ("1.22.1-9", "ii "),
    "libbbbcrypt": ("0.3", "ii "),  # contains bbb: bbb-conf --version lists it (dpkg -l | grep bbb)
}


def record_point(run_module, tmp_path, monkeypatch, installed=None, **extra):
    base, files = setup(tmp_path)
    host = fake_host(monkeypatch, RECORDED if installed is None else installed)
    failed, result, _unused = run_module(main, dict(id=POINT, path=str(base), files=files, packages=True, **extra))
    assert not failed, result
    return base, files, host, result


def upgrade(host):
    """As apt-get dist-upgrade to 3.0.31 would: new versions, bbb-livekit new, bbb-webhooks removed."""
    host.installed.update(
        {
            "bbb-web": ("1:3.0.31-1", "ii "),
            "bbb-html5": ("1:3.0.31-1", "ii "),
            "bigbluebutton": ("1:3.0.31-1", "ii "),
            "bbb-livekit": ("1:3.0.31-1", "ii "),
            "bbb-webhooks": ("1:3.0.30-1", "rc "),
        }
    )


CHANGED = [
    {"name": "bbb-html5", "recorded": "1:3.0.30-1", "installed": "1:3.0.31-1"},
    {"name": "bbb-livekit", "recorded": None, "installed": "1:3.0.31-1"},
    {"name": "bbb-web", "recorded": "1:3.0.30-1", "installed": "1:3.0.31-1"},
    {"name": "bbb-webhooks", "recorded": "1:3.0.30-1", "installed": None},
    {"name": "bigbluebutton", "recorded": "1:3.0.30-1", "installed": "1:3.0.31-1"},
]
TARGETS = ["bbb-html5=1:3.0.30-1", "bbb-web=1:3.0.30-1", "bbb-webhooks=1:3.0.30-1", "bigbluebutton=1:3.0.30-1"]
OFFERED = {
    "bbb-html5": ["1:3.0.31-1", "1:3.0.30-1"],
    "bbb-web": ["1:3.0.31-1", "1:3.0.30-1"],
    "bbb-webhooks": ["1:3.0.31-1", "1:3.0.30-1"],
    "bigbluebutton": ["1:3.0.31-1", "1:3.0.30-1"],
}


def test_record_holds_every_installed_bbb_package(tmp_path, run_module, monkeypatch, warnings_of):
    installed = dict(RECORDED, **{"bbb-apps-akka": ("1:3.0.30-1", "iF ")})  # half-configured: not recorded
    base, _files, host, result = record_point(run_module, tmp_path, monkeypatch, installed)
    assert host.commands() == [DPKG_QUERY]
    assert host.calls[0][1] == {"LC_ALL": "C"}
    packages = {
        "bbb-web": "1:3.0.30-1",
        "bbb-html5": "1:3.0.30-1",
        "bigbluebutton": "1:3.0.30-1",
        "bbb-freeswitch-core": "2:1.10.12-1",
        "bbb-webhooks": "1:3.0.30-1",
        "libbbbcrypt": "0.3",
    }
    assert result["manifest"]["packages"] == packages
    assert result["manifest"]["package_patterns"] == ["bigbluebutton", "*bbb*"]
    assert json.loads((base / POINT / "manifest.json").read_text())["packages"] == packages
    assert any("bbb-apps-akka 1:3.0.30-1 is half-configured" in w for w in warnings_of(result))

    # the point is never rewritten: a later record of the same id keeps the versions of the first
    upgrade(host)
    failed, result, _unused = run_module(main, dict(id=POINT, path=str(base), files=[str(base)], packages=True))
    assert not failed and not result["changed"] and result["manifest"]["packages"] == packages


def test_record_with_patterns_and_without_packages(tmp_path, run_module, monkeypatch):
    base, files = setup(tmp_path)
    host = fake_host(monkeypatch, RECORDED)
    failed, result, _unused = run_module(main, dict(id=POINT, path=str(base), files=files))
    assert not failed and "packages" not in result["manifest"] and host.calls == []  # the proxy: no dpkg at all
    failed, result, _unused = run_module(
        main,
        dict(
            id="20261126T000000Z", path=str(base), files=files, packages=True, package_patterns=["bbb-web", "bigblue*"]
        ),
    )
    assert not failed and result["manifest"]["packages"] == {"bbb-web": "1:3.0.30-1", "bigbluebutton": "1:3.0.30-1"}
    failed, result, _unused = run_module(
        main, dict(id="20261127T000000Z", path=str(base), files=files, packages=True, package_patterns=[])
    )
    assert failed and "package_patterns is empty" in result["msg"]


def test_restore_without_packages_reports_the_changed_ones_and_installs_nothing(tmp_path, run_module, monkeypatch):
    base, _files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    upgrade(host)
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base)))
    assert not failed and not result["changed"], result
    assert result["packages_changed"] == CHANGED
    assert result["packages_restored"] == []
    assert host.commands(["apt-get"]) == [] and host.commands(["apt-cache"]) == []


def test_restore_with_packages_puts_the_versions_back_first_then_the_files(tmp_path, run_module, monkeypatch):
    base, files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    props = files[0]
    before = open(props, "rb").read()
    upgrade(host)
    host.offered = OFFERED
    with open(props, "w") as handle:
        handle.write("a=2\n")

    # check mode: the same checks, what apt would put back; no package and no file changes
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True), True)
    assert not failed and result["changed"]
    assert result["packages_restored"] == TARGETS and result["restored"] == [props]
    assert host.commands(["apt-cache"]) == [["apt-cache", "madison", *[t.split("=", maxsplit=1)[0] for t in TARGETS]]]
    assert host.commands(APT_INSTALL) == [[*APT_INSTALL, "--simulate", *TARGETS]]
    assert open(props).read() == "a=2\n" and host.installed["bbb-web"][0] == "1:3.0.31-1"

    seen = {}
    host.on_install = lambda: seen.update(props=open(props).read())
    host.calls.clear()
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert not failed and result["changed"], result
    assert host.commands(APT_INSTALL) == [[*APT_INSTALL, "--simulate", *TARGETS], [*APT_INSTALL, *TARGETS]]
    install_env = [env for args, env in host.calls if args == [*APT_INSTALL, *TARGETS]][0]
    assert install_env == {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    assert seen == {"props": "a=2\n"}  # apt ran before the files came back
    assert open(props, "rb").read() == before
    assert result["packages_changed"] == CHANGED and result["packages_restored"] == TARGETS
    assert {n: host.installed[n][0] for n in ("bbb-web", "bbb-webhooks")} == {
        "bbb-web": "1:3.0.30-1",
        "bbb-webhooks": "1:3.0.30-1",
    }

    # again: only the package installed since differs (it stays), nothing to do
    host.calls.clear()
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert not failed and not result["changed"]
    assert result["packages_changed"] == [CHANGED[1]] and result["packages_restored"] == []
    assert host.commands(["apt-get"]) == [] and host.commands(["apt-cache"]) == []


def test_a_version_not_on_offer_is_named_and_nothing_changes(tmp_path, run_module, monkeypatch):
    base, files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    upgrade(host)
    host.offered = dict(OFFERED, **{"bbb-web": ["1:3.0.31-1"], "bbb-webhooks": []})
    with open(files[0], "w") as handle:
        handle.write("a=2\n")
    for check_mode in (True, False):
        failed, result, _unused = run_module(
            main, dict(state="restored", id=POINT, path=str(base), packages=True), check_mode
        )
        assert failed
        assert (
            "do not offer every version of rollback point 20261125T101500Z, so nothing was changed (no package, no "
            "file): bbb-web 1:3.0.30-1 (on offer: 1:3.0.31-1); bbb-webhooks 1:3.0.30-1 (on offer: none)."
        ) in result["msg"]
        assert result["packages_unavailable"] == [
            {"name": "bbb-web", "recorded": "1:3.0.30-1", "offered": ["1:3.0.31-1"]},
            {"name": "bbb-webhooks", "recorded": "1:3.0.30-1", "offered": []},
        ]
        assert result["packages_changed"] == CHANGED
    assert host.commands(["apt-get"]) == []
    assert open(files[0]).read() == "a=2\n" and host.installed["bbb-web"][0] == "1:3.0.31-1"


def test_apt_refusing_the_versions_changes_nothing(tmp_path, run_module, monkeypatch):
    base, files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    upgrade(host)
    host.offered = OFFERED
    host.simulation = (
        100,
        "The following packages will be REMOVED:\n  bbb-livekit\n",
        "E: Packages need to be removed but remove is disabled.",
    )
    with open(files[0], "w") as handle:
        handle.write("a=2\n")
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert failed
    assert "apt-get would not put back the versions of rollback point 20261125T101500Z" in result["msg"]
    assert "exit 100: E: Packages need to be removed but remove is disabled." in result["msg"]
    assert "remove it first (apt-get remove)" in result["msg"]
    assert host.commands(APT_INSTALL) == [[*APT_INSTALL, "--simulate", *TARGETS]]
    assert open(files[0]).read() == "a=2\n"


def test_apt_failing_after_its_checks_leaves_the_files_for_the_next_restore(tmp_path, run_module, monkeypatch):
    base, files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    upgrade(host)
    host.offered = OFFERED
    host.install_rc = 100
    with open(files[0], "w") as handle:
        handle.write("a=2\n")
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert failed and "the files of the point were not restored" in result["msg"]
    assert "dpkg returned an error code (1)" in result["msg"]
    assert open(files[0]).read() == "a=2\n"


def test_a_point_without_package_versions(tmp_path, run_module, monkeypatch):
    base, files = setup(tmp_path)
    host = fake_host(monkeypatch, RECORDED)
    run_module(main, dict(id=POINT, path=str(base), files=files))  # recorded without packages (the proxy; before 0.2)
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base)))
    assert not failed and result["packages_changed"] == [] and host.calls == []
    with open(files[0], "w") as handle:
        handle.write("a=2\n")
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert failed and "rollback point 20261125T101500Z holds no package versions" in result["msg"]
    assert "nothing was changed" in result["msg"] and open(files[0]).read() == "a=2\n"


def test_a_package_dpkg_has_not_configured_is_put_back(tmp_path, run_module, monkeypatch):
    base, _files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    host.installed["bbb-web"] = ("1:3.0.31-1", "iF ")  # an upgrade that failed in its postinst
    host.offered = OFFERED
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert not failed, result
    assert result["packages_changed"] == [
        {"name": "bbb-web", "recorded": "1:3.0.30-1", "installed": "1:3.0.31-1 (half-configured)"}
    ]
    assert result["packages_restored"] == ["bbb-web=1:3.0.30-1"]
    assert host.installed["bbb-web"] == ("1:3.0.30-1", "ii ")


def test_a_damaged_archive_changes_nothing_not_even_packages(tmp_path, run_module, monkeypatch):
    base, files, host, _unused = record_point(run_module, tmp_path, monkeypatch)
    upgrade(host)
    host.offered = OFFERED
    (base / POINT / "files.tar").write_bytes(b"not a tar")
    failed, result, _unused = run_module(main, dict(state="restored", id=POINT, path=str(base), packages=True))
    assert failed and "is damaged for" in result["msg"] and "nothing was changed" in result["msg"]
    assert [args for args in host.commands(APT_INSTALL) if "--simulate" not in args] == []


def test_madison_lines_of_sources_and_repeated_versions(monkeypatch):
    from ansible_collections.bbb.cluster_proxy.plugins.modules import rollback_point

    out = (
        "   bbb-web | 1:3.0.30-1 | https://a.example bigbluebutton-jammy/main amd64 Packages\n"
        "   bbb-web | 1:3.0.30-1 | https://b.example bigbluebutton-jammy/main amd64 Packages\n"
        "   bbb-web | 1:3.0.29-1 | https://a.example bigbluebutton-jammy/main Sources\n"
        "N: Unable to locate package other\n"
    )

    class Module:
        def run_command(self, args, environ_update=None):
            assert args == ["apt-cache", "madison", "bbb-web", "other"] and environ_update == {"LC_ALL": "C"}
            return 0, out, ""

    assert rollback_point.offered_versions(Module(), ["bbb-web", "other"]) == {"bbb-web": ["1:3.0.30-1"], "other": []}
