# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""adopt: the upstream guide's hand edits found by file and line and migrated, on files below a temporary directory,
with the role's own checks (roles/bbb_node/vars), and dpkg/apt-get stand-ins on PATH that restore a pristine copy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.modules.adopt import main
from ansible_collections.bbb.cluster_proxy.tests.unit.role_model import adopt_checks

ROOT = Path(__file__).resolve().parents[4]
VARS = ROOT / "roles" / "bbb_node" / "vars"
LAB_FILES = ROOT / "molecule" / "resources" / "roles" / "bbb_lab_node" / "files"


def role_checks(family, root):
    """The role's checks of a family (tests/unit/role_model.py), their paths moved below ``root``."""
    common = yaml.safe_load((VARS / "main" / "adopt.yml").read_text())
    location = common["__bbb_node_adopt_location"]
    out = []
    for check in adopt_checks(family):
        check = dict(check, path=f"{root}{check['path']}")
        check["match"] = [m.replace("{{ __bbb_node_adopt_location }}", location) for m in check["match"]]
        out.append(check)
    return out


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node's tree below tmp_path/root; dpkg -S and apt-get install --reinstall stand-ins over a package list."""
    root = tmp_path / "root"
    pristine = tmp_path / "pristine"
    owners = tmp_path / "owners"  # lines "package path pristine-copy"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # dpkg -S PATH: "pkg: PATH", exit 1 and "no path found matching pattern" when no package owns it (dpkg(1)).
    (bin_dir / "dpkg").write_text(
        "#!/bin/sh\n"
        f'[ "$1" = -S ] || exit 2\nline=$(grep " $2 " {owners}) || {{ echo "dpkg-query: no path found matching'
        ' pattern $2" >&2; exit 1; }\necho "${line%% *}: $2"\n'
    )
    # apt-get install --reinstall PKG...: every file of PKG back as packaged, but a conffile (BBB's fpm packages: all
    # of /etc) that was modified stays (dpkg --force-confold); an unknown package fails (exit 100).
    # dpkg-query -W -f=${Version} PKG: the installed version (every package of the stand-in: 1:3.0.30-1)
    (bin_dir / "dpkg-query").write_text(
        f'#!/bin/sh\nfor pkg; do :; done\ngrep -q "^$pkg " {owners} && printf 1:3.0.30-1 && exit 0\n'
        'echo "dpkg-query: no packages found matching $pkg" >&2; exit 1\n'
    )
    # apt-get must be asked for the installed version: a bare name would upgrade to the newest on offer
    (bin_dir / "apt-get").write_text(
        "#!/bin/sh\nshift 3\nfor arg; do case $arg in -o|Dpkg*) continue;; esac\n"
        "  case $arg in *=*) v=${arg#*=}; arg=${arg%%=*};; *) v=;; esac\n"
        f'  grep -q "^$arg " {owners} || {{ echo "E: Unable to locate package $arg" >&2; exit 100; }}\n'
        '  [ "$v" = 1:3.0.30-1 ] || { echo "E: $arg not asked for at its installed version" >&2; exit 100; }\n'
        f'  grep "^$arg " {owners} | while read -r p f src; do case $f in {root}/etc/*) continue;; esac; cp "$src" "$f"; done\n'
        "done\n"
    )
    for script in bin_dir.iterdir():
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    def package(name, path, text):
        for base in (root, pristine):
            target = Path(f"{base}{path}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        with owners.open("a") as handle:
            handle.write(f"{name} {root}{path} {pristine}{path}\n")

    def write(path, text):
        target = Path(f"{root}{path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    return type("Node", (), {"root": root, "package": staticmethod(package), "write": staticmethod(write)})


STATIC = "/usr/share/bigbluebutton/nginx/bbb-html5.nginx.static"
LOADBALANCER = "/usr/share/bigbluebutton/nginx/loadbalancer.nginx"
BBB_WEB = "/etc/default/bbb-web"
GUIDE_JDK = (
    'JDK_JAVA_OPTIONS="-Dgrails.cors.enabled=true -Dgrails.cors.allowCredentials=true'
    ' -Dgrails.cors.allowedOrigins=https://proxy.example.com,https://bbb-01.example.com"\n'
)


def hand_made_30(node):
    """A 3.0 node set up by hand as the guide says: package files edited in place, the guide's lines and files."""
    node.package("bbb-html5", STATIC, (LAB_FILES / "3.0" / "bbb-html5.nginx.static").read_text())
    node.package("bbb-web", LOADBALANCER, (LAB_FILES / "3.0" / "loadbalancer.nginx").read_text())
    node.package("bbb-web", BBB_WEB, "# bbb-web\nJAVA_OPTS=-Xmx2g\n")
    static = Path(f"{node.root}{STATIC}")
    static.write_text(
        static.read_text().replace("location /html5client", "location /bbb-01/html5client")
        + "location =/html5client/locale {\n  return 301 /bbb-01$request_uri;\n}\n"
    )
    lb = Path(f"{node.root}{LOADBALANCER}")
    lb.write_text(lb.read_text().replace("set $bbb_loadbalancer_node '';", "set $bbb_loadbalancer_node https://proxy;"))
    Path(f"{node.root}{BBB_WEB}").write_text("# bbb-web\n" + GUIDE_JDK + "JAVA_OPTS=-Xmx2g\n")
    node.write("/etc/bigbluebutton/nginx/bbb-cluster.nginx", "set $bbb_cors_origin 'https://proxy';\n")


def test_a_pristine_node_has_no_findings(node, run_module):
    """Every package file of the lab's fixtures, as shipped: nothing is reported (a fresh node is left alone)."""
    for family in ("3.0", "2.x"):
        for fixture in (LAB_FILES / family).iterdir():
            node.write(f"/fixtures/{family}/{fixture.name}", fixture.read_text())
    checks = [dict(c, path=f"{node.root}/fixtures/*/*") for f in ("3.0", "2.x") for c in role_checks(f, node.root)]
    failed, result, _raw = run_module(main, {"checks": checks})
    assert not failed and result["findings"] == [] and not result["changed"]


def below(path, root):
    """``path`` without the prefix ``root`` (str.removeprefix is Python 3.9+: these tests run on the nodes' 3.8)."""
    return path[len(str(root)) :] if path.startswith(str(root)) else path


def test_each_hand_edit_is_reported_with_file_and_line(node, run_module):
    hand_made_30(node)
    failed, result, _raw = run_module(main, {"checks": role_checks("3.0", node.root)})
    assert not failed and not result["changed"]
    found = {(below(f["path"], node.root), f["line"]) for f in result["findings"]}
    static_lines = [
        n
        for n, line in enumerate(Path(f"{node.root}{STATIC}").read_text().split("\n"), 1)
        if line.lstrip().startswith("location")
    ]
    assert found == {
        *((STATIC, n) for n in static_lines),
        (LOADBALANCER, 2),
        (BBB_WEB, 2),
        ("/etc/bigbluebutton/nginx/bbb-cluster.nginx", 1),
    }
    message = next(m for m in result["messages"] if LOADBALANCER in m)
    assert message == (
        f"{node.root}{LOADBALANCER} line 2: set $bbb_loadbalancer_node https://proxy; (the slides' CORS origin set in"
        f" the package file). Site restores {node.root}{LOADBALANCER} from package bbb-web (apt-get install --reinstall"
        " bbb-web); the value is in /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx."
    )


def test_check_mode_shows_the_migration_and_changes_nothing(node, run_module):
    hand_made_30(node)
    before = {p: p.read_bytes() for p in node.root.rglob("*") if p.is_file()}
    failed, result, _raw = run_module(main, {"checks": role_checks("3.0", node.root), "migrate": True}, check_mode=True)
    assert not failed and result["changed"]
    assert {p: p.read_bytes() for p in node.root.rglob("*") if p.is_file()} == before
    diffs = {below(d["before_header"], node.root): d for d in result["diff"]}
    assert diffs[BBB_WEB]["before"] == GUIDE_JDK and diffs[BBB_WEB]["after"] == ""  # only the guide's line
    assert "JAVA_OPTS" not in str(result["diff"])
    assert "apt-get install --reinstall bbb-html5" in diffs[STATIC]["after"]


def test_refuse_stops_where_edits_are_found_and_migration_is_off(node, run_module, tmp_path):
    """bbb_node_adopt/bbb_proxy_adopt false: the role's text, then each finding; nothing changes, no marker."""
    refuse = "Host bbb-01: hand edits are in place, and bbb_node_adopt is false. Found:"
    args = {"checks": role_checks("3.0", node.root), "refuse": refuse, "marker": str(tmp_path / "marker")}
    node.package("bbb-html5", STATIC, (LAB_FILES / "3.0" / "bbb-html5.nginx.static").read_text())
    failed, result, _raw = run_module(main, args)  # a pristine node passes
    assert not failed and result["findings"] == []
    hand_made_30(node)
    before = {p: p.read_bytes() for p in node.root.rglob("*") if p.is_file()}
    failed, result, _raw = run_module(main, args)
    assert failed and not result["changed"]
    assert result["msg"].startswith(refuse + " ") and result["msg"].endswith(result["messages"][-1])
    assert len(result["messages"]) == len(result["findings"]) > 1
    assert all(m in result["msg"] for m in result["messages"])
    assert {p: p.read_bytes() for p in node.root.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "marker").exists()
    # with migrate, refuse has no effect
    failed, result, _raw = run_module(main, {**args, "migrate": True})
    assert not failed and result["changed"]


def test_migration_restores_packages_drops_lines_removes_files_and_keeps_backups(node, run_module, tmp_path):
    hand_made_30(node)
    marker = tmp_path / "marker"
    args = {"checks": role_checks("3.0", node.root), "migrate": True, "marker": str(marker)}
    failed, result, _raw = run_module(main, args)
    assert not failed and result["changed"], result
    assert Path(f"{node.root}{STATIC}").read_text() == (LAB_FILES / "3.0" / "bbb-html5.nginx.static").read_text()
    assert Path(f"{node.root}{LOADBALANCER}").read_text() == (LAB_FILES / "3.0" / "loadbalancer.nginx").read_text()
    assert Path(f"{node.root}{BBB_WEB}").read_text() == "# bbb-web\nJAVA_OPTS=-Xmx2g\n"
    assert not Path(f"{node.root}/etc/bigbluebutton/nginx/bbb-cluster.nginx").exists()
    assert marker.exists()
    assert len(result["backups"]) == 4
    for path, copy in result["backups"].items():
        assert Path(copy).exists() and Path(copy).name.startswith(Path(path).name)
    assert "bbb-01/html5client" in Path(result["backups"][f"{node.root}{STATIC}"]).read_text()
    # a second run finds nothing and changes nothing
    failed, again, _raw = run_module(main, args)
    assert not failed and not again["changed"] and again["findings"] == []


def test_an_edited_file_no_package_ships_is_not_migrated(node, run_module):
    node.write(STATIC, "location /bbb-01/html5client { }\n")  # not in the package list: dpkg -S fails
    failed, result, _raw = run_module(main, {"checks": role_checks("3.0", node.root), "migrate": True})
    assert failed
    assert "no package ships it (dpkg -S); move the file away by hand" in result["msg"]
    assert Path(f"{node.root}{STATIC}").read_text() == "location /bbb-01/html5client { }\n"


def test_an_operator_line_with_other_jvm_options_is_not_the_guides(node, run_module):
    node.package("bbb-web", BBB_WEB, "")
    node.write(BBB_WEB, 'JDK_JAVA_OPTIONS="-Xmx2g -Dgrails.cors.enabled=true"\n')
    failed, result, _raw = run_module(main, {"checks": role_checks("3.0", node.root), "migrate": True})
    assert not failed and result["findings"] == []  # node_files names it (an EnvironmentFile= over the drop-in)


def test_a_file_serving_more_is_reported_but_not_removed(node, run_module, tmp_path):
    conf = node.write(
        "/etc/nginx/sites-enabled/mine",
        "server {\n  server_name other.example;\n  location /bbb-01/html5client/ { }\n}\n",
    )
    check = {
        "path": f"{node.root}/etc/nginx/sites-enabled/*",
        "how": "remove",
        "links": True,
        "match": [r"location\s+/bbb-01/html5client/"],
        "keep_if": [r"server_name\s+(?!proxy\.example\.com;)"],
    }
    failed, result, _raw = run_module(main, {"checks": [check], "migrate": True, "backup_dir": str(tmp_path / "b")})
    assert failed and "line 2: server_name other.example;" in result["msg"] and conf.exists()


def test_the_guides_etherpad_json_with_tabs_is_merged():
    """The guide's etherpad.json is indented with tabs: JSON, but no YAML; the role reads it as JSON."""
    from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import _parse
    from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import render

    guide = '{\n\t"cluster_proxies": [\n\t\t"https://proxy.example.com"\n\t]\n}\n'
    entry = {"path": "/etc/bigbluebutton/etherpad.json", "format": "json", "settings": {"cluster_proxies": ["x"]}}
    assert render(entry, guide, {}) == '{\n  "cluster_proxies": [\n    "x"\n  ]\n}\n'
    assert _parse(guide, "yaml", entry["path"]) == {"cluster_proxies": ["https://proxy.example.com"]}


def test_check_mode_judges_the_role_files_after_the_pending_migration():
    """--check --diff before a migration: the prefixed copy is shown as derived from the restored package file, and
    the guide's JDK_JAVA_OPTIONS in /etc/default/bbb-web (which the migration removes) does not stop the role."""
    from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import dropin_problems, normalise, plan

    files = normalise(
        [
            {
                "path": "/etc/bigbluebutton/nginx/zz-cluster-proxy.nginx",
                "format": "nginx",
                "source": STATIC,
                "basename": "/bbb-01/html5client",
            },
            {
                "path": "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf",
                "format": "dropin",
                "env_file": BBB_WEB,
                "settings": {"JDK_JAVA_OPTIONS": "-Dgrails.cors.enabled=true"},
            },
        ],
        "bbb-01",
    )
    found = {STATIC: {"exists": True, "content": None}, BBB_WEB: {"exists": True, "set": ["JDK_JAVA_OPTIONS"]}}
    assert dropin_problems(files, found, "bbb-01")  # without the migration: stopped, as before
    assert dropin_problems(files, found, "bbb-01", {STATIC, BBB_WEB}) == []
    step = plan(files[:1], found, "bbb-01", {STATIC})[0]
    assert step["changed"] and "once its package restored it" in step["diff"]["after"]


def proxy_checks(root, hostname="proxy.example.com"):
    """The bbb_proxy role's checks (roles/bbb_proxy/vars/main.yml), their paths below ``root``, its templating done."""
    import re

    data = yaml.safe_load((ROOT / "roles" / "bbb_proxy" / "vars" / "main.yml").read_text())
    keep = [
        k.replace("{{ bbb_cluster_proxy_hostname | regex_escape }}", re.escape(hostname))
        for k in data["__bbb_proxy_adopt_keep_if"]
    ]
    own = f"{root}/etc/nginx/sites-enabled/bbb-cluster-proxy.conf"
    return [
        dict(c, path=f"{root}{c['path']}", exclude=[own], match=data["__bbb_proxy_adopt_locations"], keep_if=keep)
        for c in data["__bbb_proxy_adopt_checks"]
    ]


def _operator_site(n):
    """One of an operator's other sites, as hosting panels write them: several server blocks, many locations
    (an application under /app-<n>/, a Scalelite-like /bigbluebutton/api, a commented-out old client path)."""
    blocks = []
    for k in range(4):
        locations = "".join(
            f"    location /app-{n}/part-{j}/ {{\n        proxy_pass http://127.0.0.1:{8000 + j};\n"
            f"        proxy_set_header Host $host;\n    }}\n"
            for j in range(12)
        )
        blocks.append(
            f"server {{\n    listen 443 ssl;\n    server_name site-{n}-{k}.example.org;\n{locations}"
            "    location /bigbluebutton/api/ { proxy_pass http://scalelite; }\n"
            f"    # location /bbb-{n}/html5client/ {{ }}   (old setup, commented out)\n"
            f"    location ~ ^/b/html5clientx{n} {{ return 404; }}\n}}\n"
        )
    return "\n".join(blocks)


HAND_MADE_PROXY = (
    "server {\n  listen 443 ssl;\n  server_name proxy.example.com;\n"
    + "".join(f"  location /bbb-0{i}/html5client/ {{ proxy_pass https://bbb-0{i}.example.com; }}\n" for i in (1, 2, 3))
    + "  location ~ ^/bbb-01/bigbluebutton/api { proxy_pass https://bbb-01.example.com; }\n}\n"
)


def test_a_production_nginx_tree_gives_the_same_findings_as_a_small_one(node, run_module):
    """At production size: the lab shows adopt a bare nginx. A proxy host that serves hundreds of other sites (hundreds of KiB of
    server blocks) gives exactly the findings of the hand-made file alone, none from the other sites, in bounded time."""
    import time

    node.write("/etc/nginx/sites-enabled/cluster", HAND_MADE_PROXY)
    node.write("/etc/nginx/sites-enabled/bbb-cluster-proxy.conf", HAND_MADE_PROXY)  # the role's own: excluded
    failed, small, _raw = run_module(main, {"checks": proxy_checks(node.root)})
    assert not failed and len(small["findings"]) == 4
    for n in range(300):
        node.write(f"/etc/nginx/sites-enabled/site-{n:03d}", _operator_site(n))
        node.write(f"/etc/nginx/conf.d/upstream-{n:03d}.conf", f"upstream app{n} {{ server 127.0.0.1:{9000 + n}; }}\n")
    size = sum(p.stat().st_size for p in Path(f"{node.root}/etc/nginx").rglob("*") if p.is_file())
    assert size > 1 * 2**20
    started = time.monotonic()
    failed, large, _raw = run_module(main, {"checks": proxy_checks(node.root)})
    assert time.monotonic() - started < 10
    assert not failed and large["findings"] == small["findings"] and large["messages"] == small["messages"]


def test_the_guide_s_jdk_line_is_matched_in_linear_time():
    """The guide's JDK_JAVA_OPTIONS line (grails CORS options only) and an operator's line that runs such options
    together without spaces and then holds another option: a pattern whose value part can also swallow the next
    `-Dgrails.cors.` splits that line in 2^n ways before it fails (30 options: minutes per line)."""
    import re
    import time

    [check] = [c for c in role_checks("3.0", "") if c["path"] == BBB_WEB]
    pattern = re.compile(check["match"][0])
    assert pattern.match(GUIDE_JDK.rstrip("\n"))
    assert not pattern.match('JDK_JAVA_OPTIONS="-Xmx2g -Dgrails.cors.enabled=true"')
    names = ["".join(chr(ord("a") + int(digit)) for digit in str(i)) for i in range(30)]
    joined = "JDK_JAVA_OPTIONS=" + "".join(f"-Dgrails.cors.{name}=v" for name in names) + " -Xmx2g"
    started = time.monotonic()
    assert not pattern.match(joined)
    assert time.monotonic() - started < 1
