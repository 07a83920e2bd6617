# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cluster-wide settings: one public variable per fact, its default, and the names it had before (deprecated).

Several roles read each of these facts (the node writes the self-heal marker that health and metrics report, the
proxy writes the access log that metrics and the log bundle read, ...). Each is declared here once as
``bbb_cluster_*`` (the load balancer as ``bbb_cluster_lb_*``); roles ask the cluster_var lookup for it.
"""

from __future__ import annotations

DEFAULTS = {
    "bbb_cluster_selfheal_marker": "/var/lib/bbb-cluster-proxy/selfheal-failed",
    "bbb_cluster_proxy_access_log": "/var/log/nginx/bbb-cluster-proxy.access.log",
    "bbb_cluster_recording_status_dir": "/var/bigbluebutton/recording/status",
    "bbb_cluster_disk_path": "/var/bigbluebutton",
    "bbb_cluster_certificate_days": 14,
    "bbb_cluster_lb_api_url": "",
    "bbb_cluster_lb_secret": "",
    # a run's request to the rollback role: the point's name (empty: a UTC timestamp) and who makes the change
    "bbb_rollback_id": "",
    "bbb_rollback_operator": "",
}

# new name -> the names it replaces, deprecated in 0.2.0 and removed in 1.0.0 (changelogs/fragments/one-place-per-fact.yml)
ALIASES = {
    "bbb_cluster_selfheal_marker": (
        "bbb_node_selfheal_marker",
        "bbb_health_selfheal_marker",
        "bbb_metrics_selfheal_marker",
    ),
    "bbb_cluster_proxy_access_log": ("bbb_proxy_access_log", "bbb_metrics_proxy_access_log"),
    "bbb_cluster_recording_status_dir": ("bbb_metrics_recording_status_dir",),
    "bbb_cluster_disk_path": ("bbb_metrics_disk_path",),
    "bbb_cluster_certificate_days": ("bbb_health_certificate_days",),
    "bbb_cluster_lb_api_url": ("bbb_acceptance_api_url",),
    "bbb_cluster_lb_secret": ("bbb_acceptance_api_secret",),
    "bbb_rollback_id": ("bbb_cluster_rollback_id",),
    "bbb_rollback_operator": ("bbb_cluster_operator",),
}
REMOVED_IN = "1.0.0"


def resolve(name, defined, value):
    """(value, deprecated old name or None) of the cluster-wide setting ``name``.

    ``defined(var)`` says whether a variable is set, ``value(var)`` gives its value.
    """
    if name not in DEFAULTS:
        raise KeyError(f"{name} is no cluster-wide setting; known: {', '.join(sorted(DEFAULTS))}")
    if defined(name):
        return value(name), None
    for old in ALIASES.get(name, ()):
        if defined(old):
            return value(old), old
    return DEFAULTS[name], None
