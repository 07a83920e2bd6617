# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/plugin_utils/drift.py: the drift messages the node_files action returns (through node_model), the proxy's
drift messages (proxy_drift, through the filter of that name), and what the deprecated filters properties,
settings_drift and drift_report wrap."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import (
    drift_report,
    parse_properties,
    proxy_drift,
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


# The proxy: the messages' wording is what the molecule workflows tests assert on; keep it byte-identical.
CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
PROXY = "proxy.example.com"
LOADED = {"valid": True, "error": "", "included": True, "conflicts": [], "stale": False}


def _conf(*labels, extra=""):
    return "".join(f"location /{label}/html5client/ {{ proxy_pass https://{label}; }}\n" for label in labels) + extra


WANTED = _conf("bbb-01", "bbb-02")


def _proxy(live_text=WANTED, wanted_text=WANTED, labels=None, loaded=None):
    labels = ["bbb-01", "bbb-02"] if labels is None else labels
    return proxy_drift(CONF, live_text, wanted_text, labels, LOADED if loaded is None else loaded, PROXY)


def test_proxy_drift_none_where_the_proxy_is_as_the_inventory_says():
    assert _proxy() == []


def test_proxy_drift_missing_file_and_nginx_not_asked():
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    assert _proxy(live_text=None, loaded=skipped) == [
        f"{CONF} is missing: no node is served through the proxy. Run bbb.cluster_proxy.site."
    ]
    assert proxy_drift(CONF, None, _conf("bbb-01"), ["bbb-01"], None, PROXY) == [
        f"{CONF} is missing: no node is served through the proxy. Run bbb.cluster_proxy.site."
    ]


def test_proxy_drift_locations_of_nodes_not_in_the_inventory_sorted():
    assert _proxy(live_text=_conf("room-b", "bbb-01", "bbb-02", "room-a")) == [
        "locations for nodes not in the inventory: room-a, room-b (their paths still reach those hosts)."
        " Run bbb.cluster_proxy.site to remove them."
    ]


def test_proxy_drift_no_location_for_nodes_in_the_inventory():
    assert _proxy(live_text=_conf("bbb-01"), labels=["bbb-03", "bbb-01", "bbb-02"]) == [
        "no location for bbb-02, bbb-03 (in the inventory): their clients answer 404 on the proxy."
        " Run bbb.cluster_proxy.site."
    ]


def test_proxy_drift_file_differs_otherwise():
    assert _proxy(live_text=_conf("bbb-01", "bbb-02", extra="proxy_cache_valid 200 1h;\n")) == [
        f"{CONF} differs from what the inventory gives (the address of a node changed in DNS, or TLS or cache"
        " settings were changed by hand or by another tool). See how with:"
        " ansible-playbook bbb.cluster_proxy.site --check --diff"
    ]


def test_proxy_drift_nginx_test_fails():
    error = 'nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/bbb-cluster-proxy.conf:12'
    loaded = {"valid": False, "error": error, "included": False, "conflicts": [], "stale": False}
    assert _proxy(loaded=loaded) == [
        f"nginx -t fails, so nginx cannot load the configuration: {error}."
        " Fix it before any reload (nginx keeps running the old one)."
    ]


def test_proxy_drift_file_not_loaded_by_nginx():
    assert _proxy(loaded=dict(LOADED, included=False)) == [
        f"{CONF} is not part of what nginx loads (nginx -T does not list it): no node is served through the proxy."
        " Include /etc/nginx/conf.d/*.conf in the http block of nginx.conf."
    ]


def test_proxy_drift_another_server_block_claims_the_name():
    warning = f'nginx: [warn] conflicting server name "{PROXY}" on 0.0.0.0:443, ignored'
    assert _proxy(loaded=dict(LOADED, conflicts=[warning, warning.replace("443", "80")])) == [
        f"another server block also claims {PROXY} and nginx ignores one of them ({warning}):"
        " requests may not reach the cluster-proxy locations. Remove the other server block for that name."
    ]


def test_proxy_drift_nginx_runs_an_older_configuration():
    assert _proxy(loaded=dict(LOADED, stale=True)) == [
        f"nginx runs a configuration older than {CONF} (its workers started before the file changed):"
        " the change is not live. Reload nginx (systemctl reload nginx) after nginx -t."
    ]


def test_proxy_drift_messages_in_order_and_the_differs_message_only_with_the_inventorys_locations():
    loaded = {"valid": True, "error": "", "included": False, "conflicts": ["warn"], "stale": True}
    messages = _proxy(live_text=_conf("bbb-01", "old"), loaded=loaded)
    assert [m.split(" ")[0] for m in messages] == ["locations", "no", CONF, "another", "nginx"]
    assert not any("differs from" in m for m in messages)


def test_proxy_drift_needs_a_result_and_a_list():
    with pytest.raises(TypeError, match="nginx_info"):
        proxy_drift(CONF, "", "", [], "skipped", PROXY)
    with pytest.raises(TypeError, match="list of node labels"):
        proxy_drift(CONF, "", "", "bbb-01", LOADED, PROXY)
