# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx_file against the real nginx binary and a throw-away nginx tree in tmp_path."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules.nginx_file import main
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture(autouse=True)
def nginx_binary():
    """These tests run the real nginx binary: missing, they fail (or are left out by BBB_TEST_SKIP=nginx)."""
    require("nginx", [] if os.access(NGINX, os.X_OK) else [NGINX], "apt-get install nginx-light")


GOOD = "server {\n    listen 127.0.0.1:18080;\n    location /a/ { return 200; }\n}\n"
BROKEN = GOOD.replace("return 200;", "return 200")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small nginx installation under tmp_path, laid out like a BigBlueButton node.

    etc/nginx/nginx.conf includes conf.d/*.conf (absolute), sites-enabled/* (absolute), snippets/common.conf
    (relative to the configuration directory) and ../nginx-extra/extra.conf (a sibling directory whose name starts
    like the configuration directory's). Its server block includes etc/bigbluebutton/nginx/*.nginx.
    sites-enabled/site is an absolute link to sites-available/site, sites-enabled/rel a relative one.
    """
    etc = tmp_path / "etc"
    conf = etc / "nginx"
    for directory in ("conf.d", "sites-available", "sites-enabled", "snippets"):
        (conf / directory).mkdir(parents=True)
    (etc / "nginx-extra").mkdir()
    (etc / "bigbluebutton" / "nginx").mkdir(parents=True)
    (conf / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "  access_log off;\n"
        "  include snippets/common.conf;\n"
        f"  include {conf}/conf.d/*.conf;\n"
        f"  include {conf}/sites-enabled/*;\n"
        f"  include {etc}/nginx-extra/extra.conf;\n"
        "  server {\n"
        "    listen 127.0.0.1:18081;\n"
        f"    include {etc}/bigbluebutton/nginx/*.nginx;\n"
        "  }\n"
        "}\n"
    )
    (conf / "snippets" / "common.conf").write_text("server_names_hash_bucket_size 64;\n")
    (etc / "nginx-extra" / "extra.conf").write_text("map $host $extra { default 1; }\n")
    (conf / "sites-available" / "site").write_text("server { listen 127.0.0.1:18082; }\n")
    (conf / "sites-available" / "rel").write_text("server { listen 127.0.0.1:18083; }\n")
    os.symlink(str(conf / "sites-available" / "site"), str(conf / "sites-enabled" / "site"))
    os.symlink("../sites-available/rel", str(conf / "sites-enabled" / "rel"))
    # Every temporary file of the module goes here, so that the tests can see it is cleaned up.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return tmp_path


def args(tree, dest, content, **extra):
    return dict(
        dest=str(dest),
        content=content,
        nginx_conf=str(tree / "etc" / "nginx" / "nginx.conf"),
        nginx_binary=NGINX,
        **extra,
    )


@pytest.fixture(autouse=True)
def _tree_is_valid_and_scratch_is_cleaned(request):
    """Guards every test: the tree passes nginx -t before it runs, and no temporary copy is left after it."""
    if "tree" not in request.fixturenames:
        yield
        return
    tree = request.getfixturevalue("tree")
    check = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(tree / "etc" / "nginx" / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, f"the fixture tree itself must pass nginx -t: {check.stderr}"
    yield
    assert os.listdir(tree / "scratch") == [], "the temporary copy must be removed"


def test_valid_candidate_is_written_with_mode_0644(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    old_umask = os.umask(0o077)
    try:
        failed, result, _unused = run_module(main, args(tree, dest, GOOD))
    finally:
        os.umask(old_umask)
    assert not failed, result.get("msg")
    assert result["changed"] and result["validated"]
    assert result["dest"] == str(dest)
    assert result["nginx_output"] == ""
    assert dest.read_text() == GOOD
    assert oct(dest.stat().st_mode & 0o777) == "0o644"


def test_syntax_error_fails_with_nginx_message_and_leaves_the_live_file(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    failed, result, _unused = run_module(main, args(tree, dest, BROKEN, backup=True))
    assert failed
    assert not result["changed"] and not result["validated"]
    assert "fails nginx -t" in result["msg"]
    # nginx's own words, with the real path and line of the candidate, not the temporary one
    assert f'nginx: [emerg] unexpected "}}" in {dest}:3' in result["msg"]
    assert "scratch" not in result["msg"] and "nginx_file." not in result["msg"]
    assert dest.read_text() == GOOD
    assert glob.glob(str(dest) + ".*~") == []


def test_new_file_with_a_syntax_error_is_not_created(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    failed, result, _unused = run_module(main, args(tree, dest, BROKEN))
    assert failed and str(dest) in result["msg"]
    assert not dest.exists()


def test_conflict_with_another_file_is_found(tree, run_module):
    """Only a test of the whole configuration sees a clash with a file the candidate does not contain."""
    conf_d = tree / "etc" / "nginx" / "conf.d"
    zone = "proxy_cache_path {} keys_zone=bbb_assets:1m;\n"
    dest = conf_d / "b.conf"
    # Alone, the candidate is valid ...
    failed, result, _unused = run_module(main, args(tree, dest, zone.format(tree / "cache-b")), check_mode=True)
    assert not failed and result["validated"], result.get("msg")
    # ... but another file already defines the zone.
    (conf_d / "a.conf").write_text(zone.format(tree / "cache-a"))
    failed, result, _unused = run_module(main, args(tree, dest, zone.format(tree / "cache-b")))
    assert failed
    assert '"bbb_assets"' in result["msg"] and str(dest) in result["msg"]
    assert not dest.exists()


def test_duplicate_location_in_a_directory_outside_the_configuration_directory(tree, run_module):
    bbb = tree / "etc" / "bigbluebutton" / "nginx"
    (bbb / "bbb-html5.nginx").write_text("location /html5client { return 200; }\n")
    dest = bbb / "zz-cluster-proxy.nginx"
    failed, result, _unused = run_module(main, args(tree, dest, "location /html5client { return 204; }\n"))
    assert failed
    assert 'duplicate location "/html5client"' in result["msg"]
    assert f"in {dest}:1" in result["msg"]
    assert not dest.exists()
    failed, result, _unused = run_module(main, args(tree, dest, "location /bbb-01/html5client { return 204; }\n"))
    assert not failed and result["validated"], result.get("msg")
    assert dest.read_text() == "location /bbb-01/html5client { return 204; }\n"


def test_candidate_reached_through_an_absolute_symlink_is_tested(tree, run_module):
    dest = tree / "etc" / "nginx" / "sites-available" / "site"
    failed, result, _unused = run_module(
        main, args(tree, dest, "server { listen 127.0.0.1:18082; bogus_directive on; }\n")
    )
    assert failed
    assert f'unknown directive "bogus_directive" in {tree}/etc/nginx/sites-enabled/site:1' in result["msg"]
    assert dest.read_text() == "server { listen 127.0.0.1:18082; }\n"


def test_candidate_reached_through_a_relative_symlink_is_tested(tree, run_module):
    dest = tree / "etc" / "nginx" / "sites-available" / "rel"
    failed, result, _unused = run_module(
        main, args(tree, dest, "server { listen 127.0.0.1:18083; bogus_directive on; }\n")
    )
    assert failed and "bogus_directive" in result["msg"]
    failed, result, _unused = run_module(main, args(tree, dest, "server { listen 127.0.0.1:18084; }\n"))
    assert not failed and result["validated"]


def test_dest_that_is_a_symlink_writes_its_target_and_keeps_the_link(tree, run_module, warnings_of):
    link = tree / "etc" / "nginx" / "sites-enabled" / "site"
    target = tree / "etc" / "nginx" / "sites-available" / "site"
    failed, result, _unused = run_module(main, args(tree, link, "server { listen 127.0.0.1:18085; }\n"))
    assert not failed and result["validated"], result.get("msg")
    assert result["dest"] == str(target)
    assert link.is_symlink()
    assert target.read_text() == "server { listen 127.0.0.1:18085; }\n"
    assert warnings_of(result) == []


def test_directory_linked_out_of_the_configuration_directory(tree, run_module):
    """sites-enabled is a link to a directory elsewhere: the candidate must not land in the live directory."""
    conf = tree / "etc" / "nginx"
    shutil.rmtree(conf / "sites-enabled")
    live = tree / "srv" / "sites"
    live.mkdir(parents=True)
    (live / "one.conf").write_text("server { listen 127.0.0.1:18086; }\n")
    os.symlink(str(live), str(conf / "sites-enabled"))
    dest = conf / "sites-enabled" / "two.conf"
    failed, result, _unused = run_module(main, args(tree, dest, "server { bogus_directive on; }\n"))
    assert failed and "bogus_directive" in result["msg"]
    assert sorted(os.listdir(live)) == ["one.conf"]
    failed, result, _unused = run_module(main, args(tree, dest, "server { listen 127.0.0.1:18087; }\n"))
    assert not failed and result["validated"], result.get("msg")
    assert (live / "two.conf").read_text() == "server { listen 127.0.0.1:18087; }\n"


def test_paths_that_only_start_like_a_copied_directory_stay_live(tree, run_module):
    """etc/nginx-extra/extra.conf is not in the copy: rewriting it as if it were would make nginx -t fail."""
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    failed, result, _unused = run_module(main, args(tree, dest, "map $host $proxy { default 1; }\n"))
    assert not failed and result["validated"], result.get("msg")
    assert result["nginx_output"] == ""


def test_candidate_nginx_does_not_read_is_written_with_a_warning(tree, run_module, warnings_of):
    dest = tree / "etc" / "nginx" / "sites-available" / "unlinked"
    failed, result, _unused = run_module(main, args(tree, dest, "this is not nginx syntax\n"))
    assert not failed and result["validated"]
    assert [text for text in warnings_of(result) if "nginx does not read" in text and str(dest) in text]


def test_nginx_warnings_are_returned(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "dup.conf"
    content = "server { listen 127.0.0.1:18088; server_name a.example; }\n" * 2
    failed, result, _unused = run_module(main, args(tree, dest, content))
    assert not failed and result["validated"]
    assert result["nginx_output"] == 'nginx: [warn] conflicting server name "a.example" on 127.0.0.1:18088, ignored'


def test_unchanged_content_is_neither_tested_nor_written(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    mtime = dest.stat().st_mtime_ns
    failed, result, _unused = run_module(main, dict(args(tree, dest, GOOD), nginx_binary="/nonexistent/nginx"))
    assert not failed and not result["changed"] and not result["validated"]
    assert dest.stat().st_mtime_ns == mtime


def test_mode_change_alone_is_a_change(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    os.chmod(dest, 0o600)
    failed, result, _unused = run_module(main, args(tree, dest, GOOD, mode="0644"))
    assert not failed and result["changed"] and not result["validated"]
    assert oct(dest.stat().st_mode & 0o777) == "0o644"


def test_existing_mode_is_kept(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    os.chmod(dest, 0o640)
    failed, result, _unused = run_module(main, args(tree, dest, GOOD.replace("/a/", "/b/")))
    assert not failed and result["changed"]
    assert oct(dest.stat().st_mode & 0o777) == "0o640"


def test_check_mode_tests_and_diffs_but_writes_nothing(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    failed, result, _unused = run_module(main, args(tree, dest, GOOD, backup=True), check_mode=True, diff=True)
    assert not failed and result["changed"] and result["validated"]
    assert result["diff"]["before"] == "" and result["diff"]["after"] == GOOD
    assert not dest.exists()
    failed, result, _unused = run_module(main, args(tree, dest, "server {"), check_mode=True)
    assert failed and "unexpected end of file" in result["msg"]


def test_backup_of_the_previous_file_is_not_loaded_by_the_glob(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    dest.write_text(GOOD)
    new = GOOD.replace("/a/", "/b/")
    failed, result, _unused = run_module(main, args(tree, dest, new, backup=True), diff=True)
    assert not failed, result.get("msg")
    assert result["diff"]["before"] == GOOD and result["diff"]["after"] == new
    assert glob.glob(str(dest) + ".*~") == [result["backup_file"]]
    assert open(result["backup_file"]).read() == GOOD
    assert dest.read_text() == new
    # The backup holds the same server block; were it loaded, the next test would fail on a duplicate listen.
    failed, result, _unused = run_module(main, args(tree, dest, new.replace("/b/", "/c/")))
    assert not failed and result["validated"], result.get("msg")


def test_validate_false_writes_without_testing(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    failed, result, _unused = run_module(
        main, dict(args(tree, dest, BROKEN), validate=False, nginx_binary="/nonexistent/nginx")
    )
    assert not failed and result["changed"] and not result["validated"]
    assert dest.read_text() == BROKEN


def test_missing_nginx_binary_fails_clearly(tree, run_module):
    dest = tree / "etc" / "nginx" / "conf.d" / "proxy.conf"
    failed, result, _unused = run_module(main, dict(args(tree, dest, GOOD), nginx_binary="/nonexistent/nginx"))
    assert failed and "/nonexistent/nginx" in result["msg"] and "validate: false" in result["msg"]
    assert not dest.exists()


def test_missing_directory_of_dest_fails_clearly(tree, run_module):
    dest = tree / "etc" / "nginx" / "missing" / "proxy.conf"
    failed, result, _unused = run_module(main, args(tree, dest, GOOD))
    assert failed and f"the directory {dest.parent} of {dest} does not exist" in result["msg"]
