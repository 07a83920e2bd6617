# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx_info against the real nginx binary, on a small tree and on one of production size.

The drift check this module replaced piped ``nginx -T`` into ``grep -q`` under ``pipefail``: once the dump was
larger than a pipe buffer (64 KiB) the writer got SIGPIPE and the proxy's file was reported as not loaded at random
at production size. These tests give the module a dump of several MiB with the cluster's file first, where that pipeline
failed, and expect the same answer as on the small tree.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import nginx_config
from ansible_collections.bbb.cluster_proxy.plugins.modules.nginx_info import main
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAME = "proxy.example.com"
CLUSTER = (
    "server {{\n    listen 127.0.0.1:{port};\n    server_name "
    + NAME
    + ";\n    location = /bbb-01/ {{ return 204; }}\n}}\n"
)


@pytest.fixture(autouse=True)
def nginx_binary():
    require("nginx", [] if os.access(NGINX, os.X_OK) else [NGINX], "apt-get install nginx-light")


def operator_site(blocks, locations):
    """Another site of the operator's: its own server blocks and a large redirect map (hundreds of KiB or more)."""
    parts = ["map $uri $legacy_target {\n    default '';\n"]
    parts += [f"    /old/course-{i:06d}/ /courses/{i:06d}/;\n" for i in range(blocks * locations)]
    parts.append("}\n")
    for b in range(blocks):
        parts.append(f"server {{\n    listen 127.0.0.1:18190;\n    server_name site-{b:04d}.university.test;\n")
        parts += [
            f"    location = /page-{b:04d}-{i:04d}/ {{ return 301 /pages/{i:04d}/; }}\n" for i in range(locations)
        ]
        parts.append("}\n")
    return "".join(parts)


def make_tree(root, site_blocks=0, site_locations=0, include_cluster=True, extra=""):
    conf = root / "etc" / "nginx"
    for directory in ("conf.d", "sites-enabled", "elsewhere"):
        (conf / directory).mkdir(parents=True, exist_ok=True)
    (conf / "nginx.conf").write_text(
        f"pid {root}/nginx.pid;\n"
        f"error_log {root}/error.log;\n"
        "events {}\n"
        "http {\n"
        "  access_log off;\n"
        "  server_names_hash_bucket_size 64;\n"
        "  server_names_hash_max_size 8192;\n"
        f"  client_body_temp_path {root}/body;\n"
        f"  proxy_temp_path {root}/proxy;\n"
        f"  fastcgi_temp_path {root}/fastcgi;\n"
        f"  uwsgi_temp_path {root}/uwsgi;\n"
        f"  scgi_temp_path {root}/scgi;\n"
        f"  include {conf}/conf.d/*.conf;\n"
        f"  include {conf}/sites-enabled/*;\n"
        "}\n"
    )
    where = "conf.d" if include_cluster else "elsewhere"
    cluster = conf / where / "bbb-cluster-proxy.conf"
    cluster.write_text(CLUSTER.format(port=18191))
    if site_blocks:
        (conf / "sites-enabled" / "university").write_text(operator_site(site_blocks, site_locations))
    if extra:
        (conf / "sites-enabled" / "zz-extra").write_text(extra)
    return conf / "nginx.conf", conf / "conf.d" / "bbb-cluster-proxy.conf"


def run(run_module, nginx_conf, path, **extra):
    return run_module(
        main, dict(path=str(path), server_name=NAME, nginx_conf=str(nginx_conf), nginx_binary=NGINX, **extra)
    )


def test_a_small_configuration(tmp_path, run_module):
    nginx_conf, path = make_tree(tmp_path)
    failed, result, _unused = run(run_module, nginx_conf, path)
    assert not failed, result
    assert result["valid"] and result["included"] and result["error"] == ""
    assert result["files"] == [str(nginx_conf), str(path)]
    assert result["conflicts"] == [] and result["changed"] is False
    assert result["pid"] is None and result["running_since"] is None and not result["stale"]


def test_a_dump_of_several_mib_gives_the_same_answer(tmp_path, run_module):
    """The cluster's file comes first in a dump of > 2 MiB: a reader that stops early would miss nothing, and a
    writer that is stopped early (SIGPIPE) must not turn into "not loaded"."""
    nginx_conf, path = make_tree(tmp_path, site_blocks=400, site_locations=60)
    started = time.monotonic()
    failed, result, _unused = run(run_module, nginx_conf, path)
    took = time.monotonic() - started
    assert not failed, result
    assert result["dump_bytes"] > 2 * 1024 * 1024, result["dump_bytes"]
    assert result["valid"] and result["included"] and result["conflicts"] == []
    assert result["files"] == [str(nginx_conf), str(path), str(path.parent.parent / "sites-enabled" / "university")]
    assert took < 10, f"nginx_info took {took:.1f} s on a {result['dump_bytes']} byte dump"


def test_the_pipeline_it_replaced_says_not_loaded_on_that_dump(tmp_path):
    """Why the module exists: drift.yml's old ``printf "$dump" | grep -q`` under pipefail on the same tree."""
    nginx_conf, path = make_tree(tmp_path, site_blocks=400, site_locations=60)
    script = (
        "set -o pipefail\n"
        f"dump=$({NGINX} -T -c {nginx_conf} 2>&1)\n"
        f"printf '%s\\n' \"$dump\" | grep -q '^# configuration file {path}:$' && echo included\n"
        "exit 0\n"
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "", "grep -q stopped reading, printf got SIGPIPE, the file read as not loaded"


def test_a_file_nginx_does_not_include(tmp_path, run_module):
    nginx_conf, _unused = make_tree(tmp_path, include_cluster=False, site_blocks=50, site_locations=20)
    path = tmp_path / "etc" / "nginx" / "elsewhere" / "bbb-cluster-proxy.conf"
    failed, result, _unused = run(run_module, nginx_conf, path)
    assert not failed
    assert result["valid"] and not result["included"]


def test_a_link_to_the_file_counts_as_the_file(tmp_path, run_module):
    nginx_conf, path = make_tree(tmp_path)
    real = tmp_path / "etc" / "nginx" / "elsewhere" / "real.conf"
    path.rename(real)
    os.symlink(str(real), str(path))
    _failed, result, _unused = run(run_module, nginx_conf, real)
    assert result["included"]


def test_another_server_block_for_the_name_is_named_and_a_longer_name_is_not(tmp_path, run_module):
    extra = (
        f"server {{ listen 127.0.0.1:18191; server_name {NAME.upper()}; }}\n"
        f"server {{ listen 127.0.0.1:18191; server_name {NAME}.au; }}\n"
    )
    nginx_conf, path = make_tree(tmp_path, site_blocks=200, site_locations=40, extra=extra)
    _failed, result, _unused = run(run_module, nginx_conf, path)
    assert result["valid"] and result["included"]
    assert result["conflicts"] == [f'nginx: [warn] conflicting server name "{NAME}" on 127.0.0.1:18191, ignored']


def test_a_configuration_nginx_cannot_load(tmp_path, run_module):
    nginx_conf, path = make_tree(tmp_path, site_blocks=200, site_locations=40)
    path.write_text(CLUSTER.format(port=18191).replace("return 204;", "retrun 204;"))
    failed, result, _unused = run(run_module, nginx_conf, path)
    assert not failed  # a finding, not a failure of the module
    assert not result["valid"] and not result["included"] and result["files"] == []
    assert result["error"] == f'nginx: [emerg] unknown directive "retrun" in {path}:4'


def test_nginx_missing_is_named(tmp_path, run_module):
    nginx_conf, path = make_tree(tmp_path)
    failed, result, _unused = run_module(
        main, dict(path=str(path), nginx_conf=str(nginx_conf), nginx_binary="nginx-that-is-not-installed")
    )
    assert failed and "nginx-that-is-not-installed not found" in result["msg"]


def test_a_running_nginx_is_stale_until_it_loads_the_changed_file(tmp_path, run_module):
    """A real master and its workers: the module reads the pid file the configuration names and /proc."""
    nginx_conf, path = make_tree(tmp_path, site_blocks=20, site_locations=10)
    subprocess.run([NGINX, "-c", str(nginx_conf)], check=True, capture_output=True)
    pid_file = tmp_path / "nginx.pid"
    try:
        for _unused in range(50):
            if pid_file.exists() and nginx_config.workers_started(int(pid_file.read_text())):
                break
            time.sleep(0.1)
        _failed, result, _unused = run(run_module, nginx_conf, path)
        assert result["pid"] == int(pid_file.read_text())
        assert result["running_since"] is not None
        assert abs(result["running_since"] - time.time()) < 60
        assert not result["stale"]
        os.utime(path, (time.time() + 30, time.time() + 30))  # the file changed after nginx took it
        _failed, result, _unused = run(run_module, nginx_conf, path)
        assert result["stale"]
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGQUIT)


# ---- the parsers, on inputs shaped as nginx prints them ------------------------------------------------------------


def test_dump_files_reads_every_header_once_in_order():
    dump = (
        "# configuration file /etc/nginx/nginx.conf:\nhttp { include conf.d/*.conf; }\n\n"
        "# configuration file /etc/nginx/conf.d/a.conf:\n# configuration file is a comment here\n\n"
        "# configuration file /etc/nginx/conf.d/b.conf:\nserver {}\n\n"
        "# configuration file /etc/nginx/conf.d/a.conf:\n\n"
    )
    assert nginx_config.dump_files(dump) == [
        "/etc/nginx/nginx.conf",
        "/etc/nginx/conf.d/a.conf",
        "/etc/nginx/conf.d/b.conf",
    ]


def test_dump_files_at_several_mib_in_bounded_time():
    body = "".join(f"    location = /p/{i}/ {{ return 204; }}\n" for i in range(120000))
    dump = f"# configuration file /etc/nginx/nginx.conf:\n{body}\n# configuration file /etc/nginx/conf.d/z.conf:\n\n"
    assert len(dump) > 4 * 1024 * 1024
    started = time.monotonic()
    assert nginx_config.dump_files(dump) == ["/etc/nginx/nginx.conf", "/etc/nginx/conf.d/z.conf"]
    assert time.monotonic() - started < 2


def test_messages_first_error_and_pid_file():
    stderr = (
        '2026/12/06 10:02:03 [warn] 12#12: conflicting server name "a.test" on 0.0.0.0:443, ignored\n'
        'nginx: [emerg] host not found in upstream "x" in /etc/nginx/conf.d/a.conf:3\n'
        "nginx: configuration file /etc/nginx/nginx.conf test failed\n"
    )
    assert nginx_config.messages(stderr)[0] == 'nginx: [warn] conflicting server name "a.test" on 0.0.0.0:443, ignored'
    assert nginx_config.first_error(stderr, 1).startswith("nginx: [emerg] host not found")
    assert nginx_config.first_error("", 1) == "nginx -T exited 1 without a message"
    assert nginx_config.pid_file("# pid /wrong.pid;\nuser www-data;\n  pid /run/x.pid ;\n") == "/run/x.pid"
    assert nginx_config.pid_file("events {}\n") == "/run/nginx.pid"


def test_workers_started_takes_the_newest_child_of_the_master(tmp_path):
    """A fake /proc: after a reload the old worker (started at tick 1000) still finishes its requests."""
    (tmp_path / "stat").write_text("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n")

    def proc(pid, ppid, start, comm="nginx"):
        (tmp_path / str(pid)).mkdir()
        tail = " ".join(["S", str(ppid)] + ["0"] * 17 + [str(start), "0", "0"])
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) {tail}\n")

    proc(100, 1, 500)
    proc(101, 100, 1000, comm="nginx: worker (shutting down)")
    proc(102, 100, 4000, comm="nginx) worker")
    proc(103, 1, 9000)  # another program
    (tmp_path / "self").mkdir()
    assert nginx_config.workers_started(100, proc=str(tmp_path), ticks=100) == 1700000000 + 40
    assert nginx_config.workers_started(555, proc=str(tmp_path), ticks=100) is None
