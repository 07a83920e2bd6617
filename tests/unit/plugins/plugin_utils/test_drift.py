# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/plugin_utils/drift.py: the drift messages the node_files action returns (through node_model) and that
the deprecated filters properties, settings_drift and drift_report wrap."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import (
    drift_report,
    parse_properties,
    settings_drift,
)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_parse_properties_last_occurrence_wins_comments_skipped():
    text = "# a=0\n! b=0\na=1\n  b : two words \nc=x=y\na=3\nempty=\n"
    assert parse_properties(text) == {"a": "3", "b": "two words", "c": "x=y", "empty": ""}


def test_parse_properties_of_nothing():
    assert parse_properties("") == {}
    assert parse_properties(None) == {}


def test_settings_drift_nested_and_flat():
    expected = {"public": {"app": {"basename": "/bbb-01/html5client", "appName": "x"}}, "list": [1, 2]}
    actual = {"public": {"app": {"basename": "/html5client", "appName": "x"}}, "list": [1, 2, 3]}
    assert settings_drift(actual, expected) == [
        {"key": "public.app.basename", "actual": "/html5client", "expected": "/bbb-01/html5client"},
        {"key": "list", "actual": [1, 2, 3], "expected": [1, 2]},
    ]
    # flat keys with dots, as in bbb-web.properties
    assert (
        settings_drift({"bigbluebutton.web.serverURL": "https://a"}, {"bigbluebutton.web.serverURL": "https://a"}) == []
    )


def test_settings_drift_missing_key_and_scalar_as_string():
    assert settings_drift({"a": {"b": "True"}}, {"a": {"b": True}, "c": 1}) == [
        {"key": "c", "actual": None, "expected": 1}
    ]
    assert settings_drift({"a": "not a map"}, {"a": {"b": 1}}) == [{"key": "a.b", "actual": None, "expected": 1}]


def test_settings_drift_needs_a_mapping():
    with pytest.raises(TypeError, match="expected must be a mapping"):
        settings_drift({}, ["x"])


def test_drift_report_names_file_key_values_and_hint_never_other_values():
    props = (
        "securitySalt=very-secret\naccessControlAllowOrigin=https://wrong.example\ndefaultGuestWaitURL=https://n/x\n"
    )
    checks = [
        {
            "path": "/etc/bigbluebutton/bbb-web.properties",
            "format": "properties",
            "content": b64(props),
            "wanted": {"accessControlAllowOrigin": "https://proxy.example.com", "apiUrl": "https://n/bigbluebutton"},
            "unwanted": {"defaultGuestWaitURL": "https://n/x"},
        },
        {"path": "/etc/bigbluebutton/bbb-html5.yml", "format": "yaml", "content": None, "wanted": {"a": 1}},
        {"path": "/etc/x.nginx", "format": "text", "content": b64("old"), "wanted": "new", "hint": "edited by hand"},
        {"path": "/etc/same.nginx", "format": "text", "content": b64("same"), "wanted": "same"},
    ]
    dropins = [
        {
            "item": {"unit": "bbb-web.service", "environment": {"JDK_JAVA_OPTIONS": "-Da=1"}},
            "content": b64('Environment="JDK_JAVA_OPTIONS=-Da=2"\n'),
        },
        {"item": {"unit": "x.service", "environment": {"A": "1"}}, "failed": True},
    ]
    messages = drift_report(
        checks,
        hints={"accessControlAllowOrigin": "CORS errors"},
        dropins=dropins,
        leftovers=["/etc/systemd/system/bbb-html5-frontend@.service.d/cluster.conf"],
    )
    assert messages == [
        "/etc/bigbluebutton/bbb-web.properties: accessControlAllowOrigin is 'https://wrong.example', "
        "the inventory says 'https://proxy.example.com': CORS errors",
        "/etc/bigbluebutton/bbb-web.properties: apiUrl is not set, the inventory says 'https://n/bigbluebutton'",
        "/etc/bigbluebutton/bbb-web.properties: defaultGuestWaitURL still has the value only an earlier BBB version needs (T12)",
        "/etc/bigbluebutton/bbb-html5.yml is missing: the node runs with the package defaults there",
        "/etc/x.nginx differs from what the inventory gives (edited by hand)",
        "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf: JDK_JAVA_OPTIONS is '-Da=2', the inventory says '-Da=1'",
        "/etc/systemd/system/x.service.d/cluster-proxy.conf is missing: the node runs with the package defaults there",
        "/etc/systemd/system/bbb-html5-frontend@.service.d/cluster.conf is left from an earlier BBB version (T12)",
    ]
    assert "very-secret" not in " ".join(messages)


def test_drift_report_clean_host_and_bad_input():
    yml = "public:\n  app:\n    basename: /bbb-01/html5client\n    appName: mine\n"
    checks = [
        {
            "path": "h.yml",
            "format": "yaml",
            "content": b64(yml),
            "wanted": {"public": {"app": {"basename": "/bbb-01/html5client"}}},
        }
    ]
    assert drift_report(checks) == []
    assert drift_report([{"path": "h.yml", "format": "yaml", "content": b64("a: [\n"), "wanted": {"a": 1}}])[
        0
    ].startswith("h.yml is not valid YAML/JSON")
    with pytest.raises(ValueError, match="content must be base64"):
        drift_report([{"path": "p", "format": "text", "content": "not base64!", "wanted": ""}])
    with pytest.raises(ValueError, match="unknown format"):
        drift_report([{"path": "p", "format": "toml", "content": b64("x"), "wanted": {}}])


def _unit_result(lines, unit="bbb-web.service", wanted=None):
    """A unit read in the shell-task form (stdout_lines) that drift_report still reads."""
    return {
        "item": {"unit": unit, "environment": wanted or {"JDK_JAVA_OPTIONS": "-Dgrails.cors.enabled=true"}},
        "stdout_lines": lines,
    }


def test_drift_report_names_what_a_running_unit_really_has():
    """systemd: a later drop-in's Environment= replaces the role's, EnvironmentFile= wins; else not restarted."""
    ours = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"
    clean = _unit_result(["pid 42", f"set {ours}", "env JDK_JAVA_OPTIONS=-Dgrails.cors.enabled=true"])
    assert drift_report([], effective=[clean]) == []
    later = "/etc/systemd/system/bbb-web.service.d/zz-operator.conf"
    overridden = _unit_result(["pid 42", f"set {ours}", f"set {later}", "env JDK_JAVA_OPTIONS=-Xmx2g"])
    (message,) = drift_report([], effective=[overridden])
    assert message.startswith("bbb-web.service runs with JDK_JAVA_OPTIONS '-Xmx2g' (its process environment)")
    assert f"{later} also sets JDK_JAVA_OPTIONS" in message and f"Remove JDK_JAVA_OPTIONS from {later}" in message
    assert ours + ":" not in message.split("not the value of ")[1][len(ours) + 2 :]  # the role's file is not a culprit
    stale = _unit_result(["pid 42", f"set {ours}"])
    (message,) = drift_report([], effective=[stale])
    assert "runs with JDK_JAVA_OPTIONS not set" in message and "was not restarted since" in message
    (message,) = drift_report([], effective=[_unit_result(["pid 0", f"set {ours}"])])
    assert message.startswith("bbb-web.service is not running")


def test_drift_report_reads_the_node_files_form_of_a_unit():
    """The read phase of node_files gives pid, setters and env instead of stdout_lines; same messages."""
    ours = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"
    item = {"unit": "bbb-web.service", "environment": {"JDK_JAVA_OPTIONS": "-Dgrails.cors.enabled=true"}}
    clean = {"item": item, "pid": 42, "setters": [ours], "env": {"JDK_JAVA_OPTIONS": "-Dgrails.cors.enabled=true"}}
    assert drift_report([], effective=[clean]) == []
    (message,) = drift_report([], effective=[{"item": item, "pid": 42, "setters": [ours], "env": {}}])
    assert "runs with JDK_JAVA_OPTIONS not set" in message and "was not restarted since" in message


def test_a_hand_edit_of_the_roles_drop_in_is_reported_once_by_the_file_check():
    edited = '[Service]\nEnvironment="JDK_JAVA_OPTIONS=-Dedited"\n'
    slurped = {
        "item": {"unit": "bbb-web.service", "environment": {"JDK_JAVA_OPTIONS": "-Dgrails.cors.enabled=true"}},
        "content": b64(edited),
    }
    running = _unit_result(["pid 7", "env JDK_JAVA_OPTIONS=-Dedited"])
    (message,) = drift_report([], dropins=[slurped], effective=[running])
    assert message.startswith(
        "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf: JDK_JAVA_OPTIONS is '-Dedited'"
    )
