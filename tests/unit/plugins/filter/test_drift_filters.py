# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""proxy_labels, and the deprecated filters properties, settings_drift and drift_report as thin wrappers of
plugins/plugin_utils/drift.py (whose logic is tested in tests/unit/plugins/plugin_utils/test_drift.py)."""

from __future__ import annotations

import base64

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.drift_report import FilterModule as DriftReportModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.drift_report import drift_report
from ansible_collections.bbb.cluster_proxy.plugins.filter.properties import FilterModule as PropertiesModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.properties import properties
from ansible_collections.bbb.cluster_proxy.plugins.filter.proxy_labels import proxy_labels
from ansible_collections.bbb.cluster_proxy.plugins.filter.settings_drift import FilterModule as SettingsDriftModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.settings_drift import settings_drift
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils import drift


def test_proxy_labels():
    conf = """
    location / { return 404; }
    location /bbb-02/html5client/ {
    location /bbb-01/html5client/ {
    location ~* ^/bbb-01/html5client/.+\\.(js)$ {
    location /bbb-01/bigbluebutton/api {
    """
    assert proxy_labels(conf) == ["bbb-01", "bbb-02"]
    assert proxy_labels("") == []


def test_deprecated_filters_are_registered_under_their_names():
    assert PropertiesModule().filters() == {"properties": properties}
    assert SettingsDriftModule().filters() == {"settings_drift": settings_drift}
    assert DriftReportModule().filters() == {"drift_report": drift_report}


def test_properties_gives_what_the_helper_gives():
    text = "a=1\n# b=2\na=3\n"
    assert properties(text) == drift.parse_properties(text) == {"a": "3"}


def test_settings_drift_takes_the_wanted_settings_first_and_fails_as_a_filter():
    wanted, current = {"a": {"b": 1}}, {"a": {"b": 2}}
    assert settings_drift(wanted, current) == drift.settings_drift(current, wanted)
    assert settings_drift(wanted, current) == [{"key": "a.b", "actual": 2, "expected": 1}]
    with pytest.raises(AnsibleFilterError, match="settings_drift: expected must be a mapping"):
        settings_drift(["x"], {})


def test_drift_report_passes_every_option_on_and_fails_as_a_filter():
    checks = [{"path": "/etc/x.properties", "format": "properties", "content": None, "wanted": {"k": "v"}}]
    dropins = [{"item": {"unit": "u.service", "environment": {"A": "1"}}, "content": None}]
    effective = [{"item": {"unit": "u.service", "environment": {"A": "1"}}, "pid": 0}]
    arguments = dict(hints={"k": "h"}, dropins=dropins, dropin_name="x.conf", leftovers=["/old"], effective=effective)
    assert drift_report(checks, **arguments) == drift.drift_report(checks, **arguments)
    assert "/etc/systemd/system/u.service.d/x.conf is missing" in " ".join(drift_report(checks, **arguments))
    content = base64.b64encode(b"x").decode()
    with pytest.raises(AnsibleFilterError, match="drift_report: unknown format"):
        drift_report([{"path": "p", "format": "toml", "content": content, "wanted": {}}])
    with pytest.raises(AnsibleFilterError, match="drift_report: "):
        drift_report([{"format": "text"}])  # no path: a KeyError of the helper
