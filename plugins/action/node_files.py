# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of bbb.cluster_proxy.node_files: one read of the node, the wanted files computed here, one write.

The same computation serves the rollout (apply), check mode (diff) and the drift report, so what drift reports is
exactly what a rollout would change.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.node_model import (
    ModelError,
    dropin_problems,
    normalise,
    plan,
    report,
    select,
    selfheal_files,
)

MODULE = "bbb.cluster_proxy.node_files"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files", "marker", "restart", "backup", "report", "hints", "pending"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        host = (task_vars or {}).get("inventory_hostname", "?")
        restart = boolean(args.get("restart", True), strict=True)
        # files BigBlueButton does not read: no pending-restart marker is armed or looked at
        marker = (args.get("marker") or "/var/lib/bbb-cluster-proxy/restart-pending") if restart else ""
        backup = boolean(args.get("backup", True), strict=True)
        reporting = boolean(args.get("report", False), strict=True)
        try:
            files = normalise(args.get("files"), host)
        except ModelError as exc:
            raise AnsibleActionFail(str(exc)) from exc

        probes = sorted({f[k] for f in files for k in ("if_exists", "unless_exists") if f.get(k)})
        read = self._module(
            {"phase": "read", "files": read_requests(files, reporting), "probe": probes, "marker": marker}, task_vars
        )
        try:
            active = select(files, read["probe"])
            if reporting:
                result.update(changed=False, drift=report(active, read["files"], args.get("hints") or {}))
                return result
            pending = set(args.get("pending") or []) if self._play_context.check_mode else set()
            problems = dropin_problems(active, read["files"], host, pending)
            if problems:
                raise AnsibleActionFail(" ".join(problems))
            steps = plan(active, read["files"], host, pending)
        except ModelError as exc:
            raise AnsibleActionFail(str(exc)) from exc

        changed = [s for s in steps if s["changed"]]
        # a change of a file BigBlueButton reads without a restart (entry restart: false) arms no marker
        restarting = restart and any(s["restart"] for s in changed)
        result.update(
            changed=bool(changed),
            changed_files=[s["path"] for s in changed],
            marker_found=read["marker_found"],
            pending=restart and (read["marker_found"] or restarting),
            daemon_reload=any(s["path"].startswith("/etc/systemd/") for s in changed),
            backups={},
            drift=[],
            selfheal=selfheal_files(active),
        )
        if self._play_context.diff and changed:
            result["diff"] = [s["diff"] for s in changed]
        if not changed or self._play_context.check_mode:
            return result

        writes = [s["write"] for s in changed if s["format"] != "nginx"]
        written = self._module(
            {"phase": "write", "files": writes, "marker": marker if restarting else "", "backup": backup}, task_vars
        )
        result["backups"].update(written.get("backups") or {})
        for step in changed:
            if step["format"] != "nginx":
                continue
            nginx = self._execute_module(
                module_name="bbb.cluster_proxy.nginx_file",
                module_args={
                    "dest": step["path"],
                    "content": step["text"],
                    "owner": "root",
                    "group": "root",
                    "mode": "0644",
                    "backup": backup,
                },
                task_vars=task_vars,
            )
            if nginx.get("failed"):
                raise AnsibleActionFail(
                    f"Host {host}: the node's prefixed client locations ({step['path']}) fail nginx -t, so they were "
                    f"not written; nginx says: {nginx.get('msg')}. The other files are written and the restart is "
                    "pending; fix what nginx names and run again."
                )
            if nginx.get("backup_file"):
                result["backups"][step["path"]] = nginx["backup_file"]
        return result

    def _module(self, module_args, task_vars):
        out = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        if out.get("failed") or out.get("unreachable"):
            raise AnsibleActionFail(out.get("msg") or "node_files: the node could not be read", result=out)
        return out


def read_requests(files, reporting=False):
    """What the read phase returns per file: values of the keys of key=value files, the text of the others.

    ``reporting`` (the drift report): also, per unit of a drop-in (not a template unit, ``name@.service``), what its
    process runs with, keyed by the unit's name; a rollout does not ask for it (one systemctl call per unit).
    """
    requests, units, keys_of = [], {}, {}
    for f in files:
        fmt = f["format"]
        if fmt == "properties":  # one request per file: the keys of its entries under every condition
            if f["path"] not in keys_of:
                keys_of[f["path"]] = set()
                requests.append({"path": f["path"], "format": fmt, "keys": keys_of[f["path"]]})
            keys_of[f["path"]].update(f["settings"], f["remove"])
        else:
            requests.append({"path": f["path"], "format": "absent" if fmt == "absent" else "text"})
        if fmt == "nginx":
            requests.append({"path": f["source"], "format": "text"})
        if fmt == "dropin":
            keys = sorted(f["settings"])
            if f.get("env_file"):
                requests.append({"path": f["env_file"], "format": "env_names", "keys": keys})
            requests.append({"path": f["dir"], "format": "later_dropins", "name": f["name"], "keys": keys})
            if reporting and "@" not in f["path"]:
                units.setdefault(f["unit"], set()).update(keys)
    for unit, keys in units.items():
        requests.append({"path": unit, "format": "unit_environment", "unit": unit, "keys": sorted(keys)})
    unique = {}  # one request per path (the read phase answers by path); a file's text also says whether it exists
    for request in requests:
        if isinstance(request.get("keys"), set):
            request["keys"] = sorted(request["keys"])
        if unique.get(request["path"], {}).get("format") in (None, "absent"):
            unique[request["path"]] = request
    return list(unique.values())
