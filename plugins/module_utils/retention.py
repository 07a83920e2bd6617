# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recording retention: the ages BigBlueButton's daily job removes files at, and the collection's own for published
recordings, in one place.

BigBlueButton's daily job (``/etc/cron.daily/bigbluebutton``, upstream ``bigbluebutton-config/cron.daily/
bigbluebutton``) sets ``history=5``, ``unrecorded_days=14``, ``published_days=14`` and ``log_history=28`` and then
sources ``/etc/default/bigbluebutton-cron-config`` where it exists ("Only variables allowed in the override": docs,
administration/configuration-files). Read for 2.6.14; the override file is the documented place from 2.6 on, and no
package owns it, so an upgrade keeps it. Upstream never deletes a published recording: the collection's daily job
(roles/bbb_node/files/bbb-cluster-proxy-recordings) does, with ``bbb-record --delete``, where
``bbb_cluster_proxy_published_days`` is set in the same file.

Runs on the controller (the cluster lookup validates the inventory) and in the metrics script on the node
(roles/bbb_metrics installs this file beside it): Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import re

CONFIG = "/etc/default/bigbluebutton-cron-config"

# (role variable, key of the override file, metric kind, upstream default days or None: never deleted upstream,
#  what is removed at that age)
POLICY = (
    ("bbb_node_retention_raw_days", "history", "raw_media", 5, "presentations and raw media (SFU, FreeSWITCH)"),
    ("bbb_node_retention_unpublished_days", "unrecorded_days", "unpublished", 14, "raw files of unmarked recordings"),
    ("bbb_node_retention_published_raw_days", "published_days", "published_raw", 14, "raw files of published ones"),
    ("bbb_node_retention_log_days", "log_history", "logs", 28, "BigBlueButton's logs"),
    ("bbb_node_retention_published_days", "bbb_cluster_proxy_published_days", "published", None, "published ones"),
)
VARIABLES = tuple(row[0] for row in POLICY)

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=['\"]?([0-9]+)['\"]?\s*(?:#.*)?$")


def days(value):
    """(days as int or None, problem or None) of one retention variable: null, or a whole number of days, 1 or more
    (a number from -e comes as text)."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None, f"is a {type(value).__name__}"
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        return None, f"is '{value}', not a whole number of days"
    number = int(text)
    if number < 1:
        return None, f"is {number}: a retention is 1 day or more (the daily job would remove files of the last day)"
    return number, None


def problems(host, get):
    """Messages for the retention variables of one node, ``get(name)`` giving a variable's value (None: unset).

    Refused: a value that is no whole number of days, 1 or more; published recordings kept for less time than the
    raw files of unmarked recordings (the collection's job would delete what was published, and wanted, before the
    package deletes what nobody marked).
    """
    out, have = [], {}
    for variable, _key, _kind, default, _what in POLICY:
        number, problem = days(get(variable))
        if problem:
            out.append(
                f"host {host}: {variable} {problem}. Fix: give a number of days (1 or more), or null for "
                + (f"BigBlueButton's default ({default} days)" if default else "BigBlueButton's default (kept forever)")
            )
        have[variable] = number
    published, unpublished = have["bbb_node_retention_published_days"], have["bbb_node_retention_unpublished_days"]
    floor = unpublished if unpublished is not None else POLICY[1][3]
    if published is not None and published < floor:
        out.append(
            f"host {host}: bbb_node_retention_published_days is {published}, shorter than the {floor} days the raw files"
            " of unmarked recordings are kept"
            + (
                ""
                if unpublished is not None
                else " (BigBlueButton's default, bbb_node_retention_unpublished_days unset)"
            )
            + ": published recordings would go before what nobody asked to record. Fix: set"
            f" bbb_node_retention_published_days to {floor} or more, or lower bbb_node_retention_unpublished_days"
        )
    return out


def read_config(text):
    """The numeric assignments of the override file's text (what the daily job's ``.`` would set)."""
    found = {}
    for line in (text or "").splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            found[match.group(1)] = int(match.group(2))
    return found


def effective(text):
    """{kind: days} the node's daily jobs remove at, the override file's ``text`` read over upstream's defaults;
    ``published`` only where set (upstream keeps published recordings)."""
    found = read_config(text)
    out = {}
    for _variable, key, kind, default, _what in POLICY:
        value = found.get(key, default)
        if value is not None:
            out[kind] = value
    return out
