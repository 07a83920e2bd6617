# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/properties.py: line-by-line editing of key=value files, shared by the node_files, adopt and
(deprecated) properties_file modules. The modules' own behaviour (options, backup, create, mode, check mode) is tested
with each module."""

from __future__ import annotations

import os

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.properties import (
    MASK,
    _readable,
    as_text,
    hide_secret_values,
    masked,
    split_lines,
    update_lines,
    write_text_atomically,
)

SECRET = "S3cr3t-Value-Never-Shown"
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


def edit(text, values, remove=None):
    """(new text, changed_keys, removed_keys, duplicate_keys) of update_lines on ``text``."""
    lines, changed, removed, duplicates = update_lines(split_lines(text), values, remove)
    return "".join(lines), changed, removed, duplicates


@pytest.mark.parametrize("text", ["", "a=1", "a=1\n", "a=1\r\nb=2\r\n", "\n\n", "x=Gr\udcfc\udcdfe\n"])
def test_split_lines_gives_back_the_same_text(text):
    assert "".join(split_lines(text)) == text


def test_replaces_in_place_appends_missing_and_keeps_every_other_byte():
    text, changed, removed, duplicates = edit(
        ORIGINAL, {"defaultHTML5ClientUrl": "https://p/bbb-01/html5client/", "apiUrl": "https://n/b"}
    )
    assert (changed, removed, duplicates) == (["apiUrl", "defaultHTML5ClientUrl"], [], [])
    # The separator style of the existing line stays; the commented lines and the secret are untouched.
    expected = ORIGINAL.replace(
        "defaultHTML5ClientUrl = https://old/html5client/join", "defaultHTML5ClientUrl = https://p/bbb-01/html5client/"
    )
    assert text == expected + "apiUrl=https://n/b\n"


def test_the_same_values_again_change_nothing():
    once = edit(ORIGINAL, {"accessControlAllowOrigin": "https://p", "defaultGuestPolicy": "ASK_MODERATOR"})
    assert once[1] == ["accessControlAllowOrigin"]
    assert edit(once[0], {"accessControlAllowOrigin": "https://p", "defaultGuestPolicy": "ASK_MODERATOR"}) == (
        once[0],
        [],
        [],
        [],
    )


def test_value_with_spaces_after_the_separator_is_unchanged():
    assert edit("a =  1\nb: two\n", {"a": "1", "b": "two"}) == ("a =  1\nb: two\n", [], [], [])
    assert edit("a =  1\nb: two\n", {"b": "three"})[0] == "a =  1\nb: three\n"


def test_missing_final_newline_is_added_before_appending():
    assert edit("a=1\nb=2", {"c": "3"})[0] == "a=1\nb=2\nc=3\n"


def test_missing_final_newline_is_kept_when_replacing():
    assert edit("a=1\nb=2", {"b": "3"})[:2] == ("a=1\nb=3", ["b"])


def test_crlf_line_endings_are_kept():
    assert edit("# c\r\na=1\r\nb=2\r\n", {"a": "9", "b": "2"})[:2] == ("# c\r\na=9\r\nb=2\r\n", ["a"])


def test_bytes_that_are_not_utf8_are_kept_and_shown_readable():
    original = b"name=Gr\xfc\xdfe\na=1\n".decode("utf-8", "surrogateescape")
    text = edit(original, {"a": "2"})[0]
    assert text.encode("utf-8", "surrogateescape") == b"name=Gr\xfc\xdfe\na=2\n"
    assert _readable(text).startswith("name=Gr\ufffd\ufffde\n")


def test_every_occurrence_is_set_and_reported():
    assert edit("a=1\nb=2\na=3\n", {"a": "9"}) == ("a=9\nb=2\na=9\n", ["a"], [], ["a"])


def test_commented_lines_never_match():
    text = "#a=1\n! a=2\n  # a = 3\n;a=4\n"
    assert edit(text, {"a": "5"})[:2] == (text + "a=5\n", ["a"])


def test_key_is_matched_whole_not_as_a_prefix():
    assert edit("apiUrl=1\napi=2\n", {"api": "3"})[0] == "apiUrl=1\napi=3\n"


def test_continued_value_is_replaced_as_a_whole():
    text, changed, _removed, _duplicates = edit(
        "a=one,\\\n  two\nb=x\\\n  securitySalt=not-a-key\nc=3\n", {"a": "three", "securitySalt": "s-1234"}
    )
    assert changed == ["a", "securitySalt"]
    # b's continuation line belongs to b's value: it is not a securitySalt line.
    assert text == "a=three\nb=x\\\n  securitySalt=not-a-key\nc=3\nsecuritySalt=s-1234\n"


def test_typed_values_are_written_as_properties_expect_them():
    values = {
        key: as_text(value) for key, value in {"enabled": True, "off": False, "port": 8090, "empty": None}.items()
    }
    assert edit("", values)[0] == "enabled=true\noff=false\nport=8090\nempty=\n"
    assert as_text(["x"]) is None and as_text({"x": 1}) is None


def test_even_backslashes_at_the_end_do_not_continue_the_value():
    assert edit("k=C:\\\\\nb=1\n", {"b": "2"})[0] == "k=C:\\\\\nb=2\n"


def test_remove_only_the_value_the_role_set():
    wanted = {"defaultGuestWaitURL": "https://n/bbb-01/html5client/guestWait"}
    text = "a=1\ndefaultGuestWaitURL=https://n/bbb-01/html5client/guestWait\nb=2\n"
    assert edit(text, {}, wanted) == ("a=1\nb=2\n", ["defaultGuestWaitURL"], ["defaultGuestWaitURL"], [])
    operators = "a=1\ndefaultGuestWaitURL=https://operator/own\n"
    assert edit(operators, {}, wanted) == (operators, [], [], [])
    assert edit(operators, {}, {"defaultGuestWaitURL": None})[0] == "a=1\n"


def test_remove_a_continued_value_as_a_whole():
    assert edit("a=1\\\n  2\nb=3\n", {}, {"a": None}) == ("b=3\n", ["a"], ["a"], [])


def test_secret_values_are_masked_also_in_commented_lines():
    lines = split_lines(ORIGINAL + f"#securitySalt={SECRET}-old\nTOKEN=tok-1\n")
    shown = masked(lines, ["securitySalt", "TOKEN"])
    assert SECRET not in shown and "tok-1" not in shown
    assert f"\nsecuritySalt={MASK}\n" in shown and f"\n#securitySalt={MASK}\n" in shown
    assert f"\nTOKEN={MASK}\n" in shown
    assert "defaultGuestPolicy=ASK_MODERATOR\n" in shown


def test_hide_secret_values_registers_every_non_empty_secret_with_ansible():
    class Module:
        no_log_values = set()

    lines = split_lines(f"securitySalt={SECRET}\n# securitySalt=old-one\nTOKEN=\nother=x\n")
    hide_secret_values(Module, lines, ["securitySalt", "TOKEN"])
    assert Module.no_log_values == {SECRET, "old-one"}


class AtomicModule:
    """The part of AnsibleModule that write_text_atomically uses."""

    @staticmethod
    def atomic_move(src, dest, unsafe_writes=False):
        os.replace(src, dest)


def test_write_text_atomically_writes_the_bytes_back_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "bbb-web.properties"
    text = b"name=Gr\xfc\xdfe\n".decode("utf-8", "surrogateescape")
    write_text_atomically(AtomicModule, str(path), text, mode=0o640)
    assert path.read_bytes() == b"name=Gr\xfc\xdfe\n"
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert os.listdir(tmp_path) == ["bbb-web.properties"]


def test_write_text_atomically_removes_its_temporary_file_when_the_move_fails(tmp_path):
    class Failing:
        @staticmethod
        def atomic_move(src, dest, unsafe_writes=False):
            raise Exception("disk full")

    with pytest.raises(Exception, match="disk full"):
        write_text_atomically(Failing, str(tmp_path / "f"), "a=1\n")
    assert os.listdir(tmp_path) == []
