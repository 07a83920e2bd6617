# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: log_bundle
short_description: The files of a log bundle - one per host and source, a merged timeline and a manifest
version_added: 0.2.0
description:
  - The input is what P(bbb.cluster_proxy.log_collect#module) returned on each host, with the host's name and role.
  - Returns one file per host and source (C(<host>/<source>.log), the lines in time order), C(timeline.log) (every
    line of every file, sorted by time, each prefixed with its time in UTC, its host and its source), and the
    manifest (hosts, window, files with line counts and SHA-256).
  - Every line is redacted once more here (checksums, session tokens, passwords, session cookies, auth headers);
    the hosts already did, and the node's shared secret never leaves its node.
options:
  _input:
    description: Per host, C(host), C(role) (V(proxy) or V(node)), C(label), C(version) and C(sources).
    type: list
    elements: dict
    required: true
  window:
    description: The window, as P(bbb.cluster_proxy.log_window#filter) or P(bbb.cluster_proxy.meeting_window#filter) return it.
    type: dict
    required: true
  name:
    description: The bundle's name (its directory in the archive).
    type: str
    required: true
  created:
    description: When the bundle was made (seconds since 1970), for the manifest.
    type: float
    default: 0
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Build the bundle's files
  ansible.builtin.set_fact:
    bundle: "{{ collected | bbb.cluster_proxy.log_bundle(window=bbb_logs_window, name='bbb-logs-room-42') }}"
"""

RETURN = r"""
_value:
  description: C(files) (C(path), C(content), C(lines), C(sha256)), the C(manifest) and C(manifest_json).
  type: dict
"""

import hashlib
import json

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import iso, redact


def _file(path, lines, **extra):
    content = "".join(line + "\n" for line in lines)
    return dict(
        extra, path=path, content=content, lines=len(lines), sha256=hashlib.sha256(content.encode()).hexdigest()
    )


def log_bundle(collected, window, name, created=0):
    files, timeline, hosts = [], [], {}
    for entry in sorted(collected or [], key=lambda e: (e.get("role") != "proxy", e["host"])):
        host = entry["host"]
        hosts[host] = {k: entry.get(k) for k in ("role", "label", "version") if entry.get(k) is not None}
        for source in entry.get("sources") or []:
            lines = [[float(t), redact(str(text))] for t, text in source.get("lines") or []]
            lines.sort(key=lambda item: item[0])
            files.append(
                _file(
                    f"{host}/{source['name']}.log",
                    [text for _t, text in lines],
                    host=host,
                    source=source["name"],
                    origin=source.get("origin", ""),
                    read=list(source.get("files") or []),
                    absent=bool(source.get("absent")),
                    error=source.get("error") or "",
                )
            )
            timeline.extend((t, host, source["name"], i, text) for i, (t, text) in enumerate(lines))
    timeline.sort(key=lambda item: item[:4])
    merged = _file("timeline.log", [f"{iso(t)} {host} {src} | {text}" for t, host, src, _i, text in timeline])
    keys = ("mode", "meeting_id", "node", "meeting", "margin", "since", "until", "since_iso", "until_iso")
    manifest = {
        "name": name,
        "created": iso(float(created)) if created else "",
        "window": {k: window[k] for k in keys if k in window},
        "hosts": hosts,
        "files": [{k: v for k, v in f.items() if k != "content"} for f in files + [merged]],
        "redacted": "node shared secret (on the node), checksum, sessionToken, authToken, passwords, "
        "moderatorPW/attendeePW, JSESSIONID, Authorization/Cookie/X-Session-Token headers",
    }
    return {
        "name": name,
        "files": files + [merged],
        "manifest": manifest,
        "manifest_json": json.dumps(manifest, indent=2, sort_keys=True) + "\n",
    }


class FilterModule:
    def filters(self):
        return {"log_bundle": log_bundle}
