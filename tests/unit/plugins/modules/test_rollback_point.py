# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
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
