# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""properties_file on real files in tmp_path, run through main() as Ansible runs it."""

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


def test_replaces_in_place_appends_missing_and_keeps_every_other_byte(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(
        main,
        {
            "path": str(path),
            "values": {"defaultHTML5ClientUrl": "https://p/bbb-01/html5client/", "apiUrl": "https://n/b"},
        },
    )
    assert not failed and result["changed"]
    assert result["changed_keys"] == ["apiUrl", "defaultHTML5ClientUrl"]
    assert result["duplicate_keys"] == [] and result["removed_keys"] == []
    # The separator style of the existing line stays; the commented lines and the secret are untouched.
    expected = ORIGINAL.replace(
        "defaultHTML5ClientUrl = https://old/html5client/join", "defaultHTML5ClientUrl = https://p/bbb-01/html5client/"
    )
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


def test_value_with_spaces_after_the_separator_is_unchanged(tmp_path, run_module):
    path = write(tmp_path, "a =  1\nb: two\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1", "b": "two"}})
    assert not failed and not result["changed"]
    assert path.read_text() == "a =  1\nb: two\n"
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"b": "three"}})
    assert path.read_text() == "a =  1\nb: three\n"


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


def test_missing_final_newline_is_added_before_appending(tmp_path, run_module):
    path = write(tmp_path, "a=1\nb=2")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"c": "3"}})
    assert not failed
    assert path.read_text() == "a=1\nb=2\nc=3\n"


def test_missing_final_newline_is_kept_when_replacing(tmp_path, run_module):
    path = write(tmp_path, "a=1\nb=2")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"b": "3"}})
    assert not failed and result["changed"]
    assert path.read_text() == "a=1\nb=3"


def test_crlf_line_endings_are_kept(tmp_path, run_module):
    path = write(tmp_path, b"# c\r\na=1\r\nb=2\r\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "9", "b": "2"}})
    assert not failed and result["changed_keys"] == ["a"]
    assert path.read_bytes() == b"# c\r\na=9\r\nb=2\r\n"


def test_bytes_that_are_not_utf8_are_kept(tmp_path, run_module):
    path = write(tmp_path, b"name=Gr\xfc\xdfe\na=1\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "2"}}, diff=True)
    assert not failed and result["changed"]
    assert path.read_bytes() == b"name=Gr\xfc\xdfe\na=2\n"
    assert result["diff"]["before"].startswith("name=Gr\ufffd\ufffde\n")


def test_every_occurrence_is_set_and_reported(tmp_path, run_module, warnings_of):
    path = write(tmp_path, "a=1\nb=2\na=3\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "9"}})
    assert not failed
    assert path.read_text() == "a=9\nb=2\na=9\n"
    assert result["duplicate_keys"] == ["a"]
    assert warnings_of(result) == [
        f"properties_file: a occurs on more than one line of {path}; every occurrence was set."
    ]


def test_commented_lines_never_match(tmp_path, run_module):
    text = "#a=1\n! a=2\n  # a = 3\n;a=4\n"
    path = write(tmp_path, text)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "5"}})
    assert not failed and result["changed_keys"] == ["a"]
    assert path.read_text() == text + "a=5\n"


def test_key_is_matched_whole_not_as_a_prefix(tmp_path, run_module):
    path = write(tmp_path, "apiUrl=1\napi=2\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"api": "3"}})
    assert not failed
    assert path.read_text() == "apiUrl=1\napi=3\n"


def test_continued_value_is_replaced_as_a_whole(tmp_path, run_module):
    path = write(tmp_path, "a=one,\\\n  two\nb=x\\\n  securitySalt=not-a-key\nc=3\n")
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "three", "securitySalt": "s-1234"}})
    assert not failed and result["changed_keys"] == ["a", "securitySalt"]
    # b's continuation line belongs to b's value: it is not a securitySalt line.
    assert path.read_text() == "a=three\nb=x\\\n  securitySalt=not-a-key\nc=3\nsecuritySalt=s-1234\n"


def test_typed_values_are_written_as_properties_expect_them(tmp_path, run_module):
    path = write(tmp_path, "")
    failed, result, _unused = run_module(
        main, {"path": str(path), "values": {"enabled": True, "off": False, "port": 8090, "empty": None}}
    )
    assert not failed
    assert path.read_text() == "enabled=true\noff=false\nport=8090\nempty=\n"


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


def test_remove_only_the_value_the_role_set(tmp_path, run_module):
    path = write(tmp_path, "a=1\ndefaultGuestWaitURL=https://n/bbb-01/html5client/guestWait\nb=2\n")
    args = {
        "path": str(path),
        "values": {},
        "remove": {"defaultGuestWaitURL": "https://n/bbb-01/html5client/guestWait"},
    }
    failed, result, _unused = run_module(main, args)
    assert not failed and result["changed_keys"] == ["defaultGuestWaitURL"]
    assert result["removed_keys"] == ["defaultGuestWaitURL"]
    assert path.read_text() == "a=1\nb=2\n"
    path.write_text("a=1\ndefaultGuestWaitURL=https://operator/own\n")
    failed, result, _unused = run_module(main, args)
    assert not failed and not result["changed"] and result["removed_keys"] == []
    assert path.read_text() == "a=1\ndefaultGuestWaitURL=https://operator/own\n"
    failed, result, _unused = run_module(
        main, {"path": str(path), "values": {}, "remove": {"defaultGuestWaitURL": None}}
    )
    assert not failed and result["changed"]
    assert path.read_text() == "a=1\n"


def test_key_in_values_and_remove_is_rejected(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _unused = run_module(main, {"path": str(path), "values": {"a": "1"}, "remove": {"a": "1"}})
    assert failed and "a for" in result["msg"] and "both" in result["msg"]
    assert path.read_text() == ORIGINAL
