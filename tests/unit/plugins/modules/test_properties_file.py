# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import glob

from ansible_collections.bbb.cluster_proxy.plugins.modules.properties_file import main

SECRET = "S3cr3t-Value-Never-Shown"
ORIGINAL = (
    "#\n# Overrides\n#\n"
    "bigbluebutton.web.serverURL=https://bbb-01.example.com\n"
    f"securitySalt={SECRET}\n"
    "# defaultHTML5ClientUrl=commented\n"
    "defaultHTML5ClientUrl = https://old/html5client/join\n"
    "defaultGuestPolicy=ASK_MODERATOR\n"
)


def write(tmp_path, text=ORIGINAL):
    path = tmp_path / "bbb-web.properties"
    path.write_text(text)
    return path


def test_replaces_in_place_appends_missing_and_keeps_the_rest(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _ = run_module(
        main,
        {
            "path": str(path),
            "values": {"defaultHTML5ClientUrl": "https://p/bbb-01/html5client/", "apiUrl": "https://n/b"},
        },
    )
    assert not failed and result["changed"]
    assert result["changed_keys"] == ["apiUrl", "defaultHTML5ClientUrl"]
    assert (
        path.read_text()
        == ORIGINAL.replace(
            "defaultHTML5ClientUrl = https://old/html5client/join",
            "defaultHTML5ClientUrl=https://p/bbb-01/html5client/",
        )
        + "apiUrl=https://n/b\n"
    )


def test_second_run_changes_nothing(tmp_path, run_module):
    path = write(tmp_path)
    args = {"path": str(path), "values": {"accessControlAllowOrigin": "https://p"}}
    assert run_module(main, args)[1]["changed"]
    before = path.read_bytes()
    failed, result, _ = run_module(main, args)
    assert not failed and not result["changed"] and result["changed_keys"] == []
    assert path.read_bytes() == before


def test_secret_is_masked_in_diff_and_absent_from_output(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, raw = run_module(
        main, {"path": str(path), "values": {"defaultGuestPolicy": "ALWAYS_ACCEPT"}}, diff=True
    )
    assert not failed
    assert SECRET not in raw
    assert "securitySalt=********" in result["diff"]["before"]
    assert "securitySalt=********" in result["diff"]["after"]
    assert "defaultGuestPolicy=ALWAYS_ACCEPT" in result["diff"]["after"]
    assert SECRET in path.read_text()


def test_secret_value_set_by_the_task_is_not_echoed_in_an_error(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, raw = run_module(main, {"path": str(path), "values": {"securitySalt": "new\nline-" + SECRET}})
    assert failed
    assert SECRET not in raw
    assert "line break" in result["msg"]


def test_backup_keeps_the_previous_file(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _ = run_module(main, {"path": str(path), "values": {"a": "1"}, "backup": True})
    assert not failed
    backups = glob.glob(str(path) + ".*~")
    assert backups == [result["backup_file"]]
    assert open(backups[0]).read() == ORIGINAL


def test_check_mode_writes_nothing(tmp_path, run_module):
    path = write(tmp_path)
    failed, result, _ = run_module(main, {"path": str(path), "values": {"a": "1"}, "backup": True}, check_mode=True)
    assert not failed and result["changed"]
    assert path.read_text() == ORIGINAL
    assert glob.glob(str(path) + ".*~") == []


def test_missing_file_without_create_fails(tmp_path, run_module):
    path = tmp_path / "missing.env"
    failed, result, _ = run_module(main, {"path": str(path), "values": {"A": "1"}})
    assert failed
    assert str(path) in result["msg"] and "create" in result["msg"]
    assert not path.exists()


def test_create_with_mode(tmp_path, run_module):
    path = tmp_path / "new.env"
    failed, result, _ = run_module(
        main,
        {"path": str(path), "values": {"HASURA_GRAPHQL_CORS_DOMAIN": '"https://p"'}, "create": True, "mode": "0640"},
    )
    assert not failed and result["changed"]
    assert path.read_text() == 'HASURA_GRAPHQL_CORS_DOMAIN="https://p"\n'
    assert oct(path.stat().st_mode & 0o777) == "0o640"


def test_missing_final_newline_is_handled(tmp_path, run_module):
    path = write(tmp_path, "a=1\nb=2")
    run_module(main, {"path": str(path), "values": {"c": "3"}})
    assert path.read_text() == "a=1\nb=2\nc=3\n"


def test_every_occurrence_is_set(tmp_path, run_module):
    path = write(tmp_path, "a=1\nb=2\na=3\n")
    failed, result, _ = run_module(main, {"path": str(path), "values": {"a": "9"}})
    assert path.read_text() == "a=9\nb=2\na=9\n"


def test_bad_key_is_rejected(tmp_path, run_module):
    path = write(tmp_path)
    for key in ("a b", "a=b", "#a", ""):
        failed, result, _ = run_module(main, {"path": str(path), "values": {key: "1"}})
        assert failed and "invalid key" in result["msg"]
    assert path.read_text() == ORIGINAL


def test_remove_only_the_value_the_role_set(tmp_path, run_module):
    path = write(tmp_path, "a=1\ndefaultGuestWaitURL=https://n/bbb-01/html5client/guestWait\nb=2\n")
    args = {
        "path": str(path),
        "values": {},
        "remove": {"defaultGuestWaitURL": "https://n/bbb-01/html5client/guestWait"},
    }
    failed, result, _ = run_module(main, args)
    assert not failed and result["changed_keys"] == ["defaultGuestWaitURL"]
    assert path.read_text() == "a=1\nb=2\n"
    path.write_text("a=1\ndefaultGuestWaitURL=https://operator/own\n")
    failed, result, _ = run_module(main, args)
    assert not failed and not result["changed"]
    assert path.read_text() == "a=1\ndefaultGuestWaitURL=https://operator/own\n"
    failed, result, _ = run_module(main, {"path": str(path), "values": {}, "remove": {"defaultGuestWaitURL": None}})
    assert path.read_text() == "a=1\n"
