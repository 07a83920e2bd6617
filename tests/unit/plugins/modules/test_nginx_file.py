# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nginx_file against the real nginx binary and a throw-away nginx tree."""

from __future__ import annotations

import glob
import os
import shutil

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules.nginx_file import main

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (apt-get install nginx)")

GOOD = "server {\n    listen 127.0.0.1:18080;\n    location /a/ { return 200; }\n}\n"


@pytest.fixture
def tree(tmp_path):
    """An nginx tree: conf/nginx.conf includes conf/conf.d/*.conf, conf/sites-enabled/* and other/*.nginx."""
    conf = tmp_path / "conf"
    other = tmp_path / "other"
    (conf / "conf.d").mkdir(parents=True)
    (conf / "sites-available").mkdir()
    (conf / "sites-enabled").mkdir()
    other.mkdir()
    (conf / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {conf}/conf.d/*.conf;\n  include {conf}/sites-enabled/*;\n"
        f"  server {{\n    listen 127.0.0.1:18081;\n    include {other}/*.nginx;\n  }}\n}}\n"
    )
    (conf / "sites-available" / "site").write_text("server { listen 127.0.0.1:18082; }\n")
    os.symlink(str(conf / "sites-available" / "site"), str(conf / "sites-enabled" / "site"))
    return tmp_path


def args(tree, dest, content, **extra):
    return dict(
        {"dest": str(dest), "content": content, "nginx_conf": str(tree / "conf" / "nginx.conf"), "nginx_binary": NGINX},
        **extra,
    )


def test_valid_candidate_is_written(tree, run_module):
    dest = tree / "conf" / "conf.d" / "proxy.conf"
    failed, result, _ = run_module(main, args(tree, dest, GOOD))
    assert not failed and result["changed"] and result["validated"]
    assert dest.read_text() == GOOD
    assert oct(dest.stat().st_mode & 0o777) == "0o644"


def test_syntax_error_fails_and_leaves_live_file(tree, run_module):
    dest = tree / "conf" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    failed, result, _ = run_module(main, args(tree, dest, GOOD.replace("return 200;", "return 200"), backup=True))
    assert failed
    assert "fails nginx -t" in result["msg"]
    assert str(dest) in result["msg"]
    assert "nginx_file." not in result["msg"]  # temporary paths are mapped back to real ones
    assert dest.read_text() == GOOD
    assert glob.glob(str(dest) + ".*~") == []


def test_conflict_with_another_file_is_found(tree, run_module):
    """Only a test of the whole configuration sees a clash with a file the candidate does not contain."""
    (tree / "conf" / "conf.d" / "a.conf").write_text("proxy_cache_path /tmp/c keys_zone=bbb:1m;\n")
    dest = tree / "conf" / "conf.d" / "b.conf"
    failed, result, _ = run_module(main, args(tree, dest, "proxy_cache_path /tmp/d keys_zone=bbb:1m;\n"))
    assert failed
    assert "bbb" in result["msg"]
    assert not dest.exists()


def test_duplicate_location_in_included_dir_outside_conf_dir(tree, run_module):
    (tree / "other" / "one.nginx").write_text("location /html5client { return 200; }\n")
    dest = tree / "other" / "two.nginx"
    failed, result, _ = run_module(main, args(tree, dest, "location /html5client { return 204; }\n"))
    assert failed
    assert "duplicate location" in result["msg"]
    assert str(tree / "other") in result["msg"]
    assert not dest.exists()
    failed, result, _ = run_module(main, args(tree, dest, "location /bbb-01/html5client { return 204; }\n"))
    assert not failed and result["validated"]
    assert dest.exists()


def test_candidate_behind_a_symlink_is_tested(tree, run_module):
    dest = tree / "conf" / "sites-available" / "site"
    failed, result, _ = run_module(main, args(tree, dest, "server { listen 127.0.0.1:18082; bogus_directive on; }\n"))
    assert failed
    assert "bogus_directive" in result["msg"]
    assert "18082; }" in dest.read_text()


def test_unchanged_content_is_not_validated_or_written(tree, run_module):
    dest = tree / "conf" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    failed, result, _ = run_module(main, args(tree, dest, GOOD))
    assert not failed and not result["changed"] and not result["validated"]


def test_check_mode_validates_but_writes_nothing(tree, run_module):
    dest = tree / "conf" / "conf.d" / "proxy.conf"
    failed, result, _ = run_module(main, args(tree, dest, GOOD), check_mode=True, diff=True)
    assert not failed and result["changed"] and result["validated"]
    assert result["diff"]["after"] == GOOD
    assert not dest.exists()
    failed, result, _ = run_module(main, args(tree, dest, "server {"), check_mode=True)
    assert failed


def test_backup_of_previous_file_is_not_loaded_by_globs(tree, run_module):
    dest = tree / "conf" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    new = GOOD.replace("/a/", "/b/")
    failed, result, _ = run_module(main, args(tree, dest, new, backup=True))
    assert not failed
    assert open(result["backup_file"]).read() == GOOD
    assert result["backup_file"].endswith("~")
    failed, result, _ = run_module(main, args(tree, dest, new.replace("/b/", "/c/")))
    assert not failed, result.get("msg")
