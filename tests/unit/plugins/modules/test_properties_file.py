# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deprecated properties_file module on real files in tmp_path, run through main() as Ansible runs it.

Its own part is tested here: options and their checks, secrets kept out of the output, create, backup, mode, check
and diff mode. The line editing it shares with node_files is tested in tests/unit/plugins/module_utils/test_properties.py.
"""

from __future__ import annotations

import glob
import os

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules.properties_file import main

SECRET = "S3cr3t-Value-Never-Shown"
NEW_SECRET = "N3w-S3cr3t-Also-Never-Shown"
ORIGINAL = (
    "#\n# Overrides\n#\n"
    "bigbluebutton.web.serverURL=https://bbb-01.example.com\n"
    f"securitySalt={SECRET}\n"
    "# defaultHTML5ClientUrl=commented\n"
    "! defaultHTML5ClientUrl=also commented\n"
    "\n"
    "defaultHTML5ClientUrl = https://old/html5client/join\n"
    "defaultGuestPolicy=ASK_MODERATOR\n"
)


def write(tmp_path, text=ORIGINAL, name="bbb-web.properties"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def backups(path):
    return glob.glob(str(path) + ".*~")


def test_edits_the_file_with_the_shared_helper(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(
        main,
        {
            "path": str(path),
            "values": {"defaultHTML5ClientUrl": "https://p/bbb-01/html5client/", "apiUrl": "https://n/b"},
            "remove": {"defaultGuestPolicy": "ASK_MODERATOR"},
        },
    )
    assert not failed and result["changed"] and result["path"] == str(path)
    assert result["changed_keys"] == ["apiUrl", "defaultGuestPolicy", "defaultHTML5ClientUrl"]
    assert result["duplicate_keys"] == [] and result["removed_keys"] == ["defaultGuestPolicy"]
    # The separator style of the existing line stays; the commented lines and the secret are untouched.
    expected = ORIGINAL.replace(
        "defaultHTML5ClientUrl = https://old/html5client/join", "defaultHTML5ClientUrl = https://p/bbb-01/html5client/"
    )
    expected = expected.replace("defaultGuestPolicy=ASK_MODERATOR\n", "")
    assert path.read_bytes() == (expected + "apiUrl=https://n/b\n").encode()


def test_second_run_changes_nothing(tmp_path, run_module):
    path = write(tmp_path)
    args = {
        "path": str(path),
        "values": {"accessControlAllowOrigin": "https://p", "defaultGuestPolicy": "ASK_MODERATOR"},
    }
    failed, result, _unused = run_module(main, args)
    assert not failed and result["changed"] and result["changed_keys"] == ["accessControlAllowOrigin"]
    before = path.read_bytes()
    mtime = os.stat(path).st_mtime_ns
    failed, result, _unused = run_module(main, args, diff=True)
    assert not failed and not result["changed"] and result["changed_keys"] == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert path.read_bytes() == before
    assert os.stat(path).st_mtime_ns == mtime


def test_secret_in_the_file_is_masked_in_the_diff_and_absent_from_the_output(tmp_path, run_module):
    path = write(tmp_path, ORIGINAL + f"#securitySalt={SECRET}-old\n")
    failed, result, raw = run_module(
        main, {"path": str(path), "values": {"defaultGuestPolicy": "ALWAYS_ACCEPT"}}, diff=True
    )
    assert not failed and result["changed"]
    assert SECRET not in raw
    for side in ("before", "after"):
        assert "\nsecuritySalt=********\n" in result["diff"][side]
        assert "\n#securitySalt=********\n" in result["diff"][side]
    assert "defaultGuestPolicy=ASK_MODERATOR" in result["diff"]["before"]
    assert "defaultGuestPolicy=ALWAYS_ACCEPT" in result["diff"]["after"]
    assert f"securitySalt={SECRET}\n" in path.read_text()


def test_secret_set_by_the_task_is_masked_everywhere(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, raw = run_module(main, {"path": str(path), "values": {"securitySalt": NEW_SECRET}}, diff=True)
    assert not failed and result["changed"] and result["changed_keys"] == ["securitySalt"]
    assert SECRET not in raw and NEW_SECRET not in raw  # neither in the diff nor in invocation.module_args
    assert "securitySalt=********" in result["diff"]["after"]
    assert f"securitySalt={NEW_SECRET}\n" in path.read_text()


def test_other_secret_keys_are_masked(tmp_path, run_module):
    path = write(tmp_path, "A=1\nTOKEN=tok-123456\n")
    failed, result, raw = run_module(
        main, {"path": str(path), "values": {"A": "2"}, "secret_keys": ["TOKEN"]}, check_mode=True, diff=True
    )
    assert not failed
    assert "tok-123456" not in raw
    assert result["diff"]["after"] == "A=2\nTOKEN=********\n"


def test_secret_value_is_not_echoed_in_an_error(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, raw = run_module(main, {"path": str(path), "values": {"securitySalt": NEW_SECRET + "\nx"}})
    assert failed
    assert NEW_SECRET not in raw
    assert "securitySalt" in result["msg"] and "line break" in result["msg"] and str(path) in result["msg"]
    assert path.read_text() == ORIGINAL


def test_secret_is_not_echoed_when_the_arguments_are_wrong(tmp_path, run_module):
    """A misspelt option fails during argument validation, whose result echoes all parameters."""
    path = write(tmp_path)
    failed, result, raw = run_module(main, {"path": str(path), "values": {"securitySalt": NEW_SECRET}, "bakup": True})
    assert failed and "bakup" in result["msg"]
    assert NEW_SECRET not in raw


def test_backup_keeps_the_previous_file(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}, "backup": True})
    assert not failed
    assert backups(path) == [result["backup_file"]]
    assert open(result["backup_file"]).read() == ORIGINAL
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}, "backup": True})
    assert not failed and not result["changed"] and "backup_file" not in result
    assert len(backups(path)) == 1


def test_check_mode_reports_and_diffs_but_writes_nothing(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(
        main, {"path": str(path), "values": {"a": "1"}, "backup": True}, check_mode=True, diff=True
    )
    assert not failed and result["changed"] and result["changed_keys"] == ["a"]
    assert result["diff"]["after"].endswith("defaultGuestPolicy=ASK_MODERATOR\na=1\n")
    assert path.read_text() == ORIGINAL
    assert backups(path) == []
    missing = tmp_path / "new.env"
    failed, result, _unused = run_module(
        main, {"path": str(missing), "values": {"a": "1"}, "create": True}, check_mode=True
    )
    assert not failed and result["changed"]
    assert not missing.exists()


def test_missing_file_without_create_fails(tmp_path, run_module):
    path = tmp_path / "missing.env"
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"A": "1"}})
    assert failed
    assert str(path) in result["msg"] and "create: true" in result["msg"]
    assert not path.exists()


def test_create_with_mode_and_verbatim_quotes(tmp_path, run_module):
    path = tmp_path / "new.env"
    failed, result, _unused = run_module(
        main,
        {"path": str(path), "values": {"HASURA_GRAPHQL_CORS_DOMAIN": '"https://p"'}, "create": True, "mode": "0640"},
    )
    assert not failed and result["changed"]
    assert path.read_text() == 'HASURA_GRAPHQL_CORS_DOMAIN="https://p"\n'
    assert oct(path.stat().st_mode & 0o777) == "0o640"


def test_create_in_a_missing_directory_fails_clearly(tmp_path, run_module):
    path = tmp_path / "nope" / "new.env"
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"A": "1"}, "create": True})
    assert failed and str(tmp_path / "nope") in result["msg"]


def test_existing_mode_is_kept_and_a_mode_change_alone_is_a_change(tmp_path, run_module):
    path = write(tmp_path)
    os.chmod(path, 0o640)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}})
    assert not failed and result["changed"]
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}, "mode": "0600"})
    assert not failed and result["changed"] and result["changed_keys"] == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_every_occurrence_is_set_and_reported(tmp_path, run_module, warnings_of):
    path = write(tmp_path, "a=1\nb=2\na=3\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "9"}})
    assert not failed
    assert path.read_text() == "a=9\nb=2\na=9\n"
    assert result["duplicate_keys"] == ["a"]
    assert warnings_of(result) == [
        f"properties_file: a occurs on more than one line of {path}; every occurrence was set."
    ]


@pytest.mark.parametrize("key", ["a b", "a=b", "a:b", "#a", "!a", ";a", "a\\b", ""])
def test_bad_key_is_rejected(tmp_path, run_module, key):
    path = write(tmp_path)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {key: "1"}})
    assert failed and "invalid key" in result["msg"] and str(path) in result["msg"]
    assert path.read_text() == ORIGINAL


@pytest.mark.parametrize(
    ("value", "message"),
    [("a\nb", "line break"), ("a\rb", "line break"), ("C:\\", "backslash"), (["x"], "is a list")],
)
def test_bad_value_is_rejected(tmp_path, run_module, value, message):
    path = write(tmp_path)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"k": value}})
    assert failed and message in result["msg"] and "k" in result["msg"]
    assert path.read_text() == ORIGINAL


def test_even_backslashes_at_the_end_are_fine(tmp_path, run_module):
    path = write(tmp_path, "")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"k": "C:\\\\"}})
    assert not failed
    assert path.read_text() == "k=C:\\\\\n"


def test_key_in_values_and_remove_is_rejected(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}, "remove": {"a": "1"}})
    assert failed and "a for" in result["msg"] and "both" in result["msg"]
    assert path.read_text() == ORIGINAL
