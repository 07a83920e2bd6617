# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's wanted files (one family's data model, roles/bbb_node/vars/) turned into content, changes and drift.

One computation for the rollout, check mode and the drift report (plugins/action/node_files.py), so that drift
reports exactly what a rollout would change.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import re

import yaml
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.properties import DEFAULT_SECRET_KEYS, MASK, as_text
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import (
    MISSING,
    drift_report,
    flatten,
    lookup,
    same_value,
)
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.nginx_copy import HEADER, CopyError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.nginx_copy import render as render_nginx

FORMATS = ("properties", "yaml", "json", "dropin", "nginx", "text", "absent")


class ModelError(ValueError):
    """A model entry or a file on the node that the role cannot work with; the message names host, file and fix."""


def _text(value):
    text = as_text(value)
    if text is None:
        raise ModelError(f"a value of type {type(value).__name__} has no text form")
    return text


def _condition(entry):
    return entry.get("if_exists") or None, entry.get("unless_exists") or None


def _combine(entries, key):
    """Entries of the same ``key`` as one: a later entry's settings and removals are merged into the earlier's, its
    other keys win."""
    combined = {}
    for index, raw in enumerate(entries):
        name = key(raw) if isinstance(raw, dict) and raw.get("path") else f"#{index}"
        if name in combined:
            first = combined[name]
            merged = merge(first, {k: v for k, v in raw.items() if k not in ("settings", "remove")})
            for part in ("settings", "remove"):
                merged[part] = merge(first.get(part) or {}, raw.get(part) or {})
            combined[name] = merged
        else:
            combined[name] = dict(raw) if isinstance(raw, dict) else raw
    return list(combined.values())


def normalise(files, host):
    """Check the entries of the model and fill in what follows from them (a drop-in's unit, directory and name).

    Entries for the same path and the same condition (``if_exists``, ``unless_exists``) are one entry: a later
    entry's settings are merged into the earlier's (the common files of every version, then the family's), its other
    keys win. Entries of one path under different conditions stay apart until ``select`` has the node's answers.
    """
    if not isinstance(files, list):
        raise ModelError(f"Host {host}: node_files: files must be a list of entries, not {type(files).__name__}")
    out = []
    for index, raw in enumerate(_combine(files, lambda raw: (raw["path"], *_condition(raw)))):
        where = f"Host {host}: node_files entry {index}"
        if not isinstance(raw, dict) or not str(raw.get("path", "")).startswith("/"):
            raise ModelError(f"{where}: each entry needs an absolute path (got {raw!r})")
        entry = _plain(raw)
        entry.setdefault("format", "text")
        if entry["format"] not in FORMATS:
            raise ModelError(
                f"{where} ({entry['path']}): format '{entry['format']}' is not one of {', '.join(FORMATS)}"
            )
        settings = entry.get("settings") or {}
        if not isinstance(settings, dict):
            raise ModelError(f"{where} ({entry['path']}): settings must be a mapping")
        if entry["format"] in ("properties", "dropin"):
            try:
                settings = {str(k): _text(v) for k, v in settings.items()}
                # a key to remove whatever its value: None (the operator's choice of upstream's default)
                entry["remove"] = {
                    str(k): None if v is None else _text(v) for k, v in (entry.get("remove") or {}).items()
                }
            except ModelError as exc:
                raise ModelError(f"{where} ({entry['path']}): {exc}") from exc
        elif entry.get("remove") and entry["format"] not in ("yaml", "json"):
            raise ModelError(f"{where} ({entry['path']}): remove is for properties, yaml and json entries")
        elif not isinstance(entry.get("remove") or {}, dict):
            raise ModelError(f"{where} ({entry['path']}): remove must be a mapping")
        entry["settings"] = settings
        if entry["format"] == "dropin":
            entry["dir"], entry["name"] = posixpath.split(entry["path"])
            entry["unit"] = posixpath.basename(entry["dir"])[: -len(".d")]
        if entry["format"] == "nginx" and not (entry.get("source") and entry.get("basename")):
            raise ModelError(f"{where} ({entry['path']}): an nginx entry needs source and basename")
        if not isinstance(entry.get("restart", True), bool):
            raise ModelError(f"{where} ({entry['path']}): restart must be true or false")
        if entry["format"] == "absent":
            entry.pop("mode", None)  # a file that goes has no mode
        if entry.get("mode") is not None:
            mode = entry["mode"]
            if entry["format"] != "text" or not isinstance(mode, str) or not re.fullmatch(r"0?[0-7]{3}", mode):
                raise ModelError(
                    f"{where} ({entry['path']}): mode {mode!r} is not allowed; a text entry takes a quoted octal"
                    ' string such as "0644" or "0755"'
                )
            entry["mode"] = f"{int(mode, 8):04o}"
        out.append(entry)
    return out


def select(files, probe):
    """The entries of ``files`` (normalised) that apply on the node, per ``probe`` (path -> exists), one per path."""
    active = [
        f
        for f in files
        if (not f.get("if_exists") or probe[f["if_exists"]])
        and (not f.get("unless_exists") or not probe[f["unless_exists"]])
    ]
    return _combine(active, lambda entry: entry["path"])


def merge(base, extra):
    """Deep merge: maps merge key by key, everything else (lists too) is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plain(value):
    """Ansible's lazy containers and tagged strings as plain Python types, for yaml.dump."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):  # AnsibleUnsafeText (ansible-core < 2.19) and tagged strings: a plain str
        return str.__str__(value)
    return value


def _json_or_yaml(content, fmt):
    if fmt == "json":
        try:
            return json.loads(content) or {}
        except ValueError:
            pass
    return yaml.safe_load(content) or {}


def render(entry, content, sources):
    """The whole wanted text of a file that is not edited key by key."""
    fmt, settings = entry["format"], _plain(entry["settings"])
    if fmt in ("yaml", "json"):
        current = {}
        if content is not None:
            try:
                # JSON is read as JSON first: the upstream guide's etherpad.json is indented with tabs, which YAML
                # (a superset of JSON otherwise) refuses.
                current = _json_or_yaml(content, fmt)
            except yaml.YAMLError as exc:
                raise ModelError(
                    f"{entry['path']} is not valid {fmt.upper()} ({str(exc).splitlines()[0]}). Fix the file or move it"
                    " away; the role merges its keys into it and keeps the rest."
                ) from exc
            if not isinstance(current, dict):
                raise ModelError(
                    f"{entry['path']} must hold a mapping at the top level, but holds {type(current).__name__}."
                    " Fix the file or move it away."
                )
        merged = merge(current, settings)
        if entry.get("remove"):
            merged = _without(merged, _plain(entry["remove"]), settings)
            if not settings and merged == current:
                return content  # nothing to remove: the file stays as it is, or missing
            if not merged and not settings:
                return None  # nothing of the file is left: it goes (plan)
        if fmt == "json":
            return json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        body = yaml.safe_dump(
            merged, indent=2, width=1000, default_flow_style=False, allow_unicode=True, sort_keys=True
        )
        return f"{HEADER}\n# Its keys are merged in; all others are kept.\n{body}"
    if fmt == "dropin":
        lines = [f'Environment="{name}={value}"' for name, value in settings.items()]
        return "\n".join([HEADER, "[Service]", *lines]) + "\n"
    if fmt == "nginx":
        source = sources.get(entry["source"])
        if source is None:
            raise ModelError(
                f"{entry['source']} could not be read. It belongs to the bbb-html5 package of this node's BigBlueButton;"
                " reinstall bbb-html5, or check bbb_node_version."
            )
        try:
            return render_nginx(
                source,
                entry["source"],
                entry["basename"],
                bool(entry.get("drop_named")),
                settings,
                entry.get("append") or "",
            )
        except CopyError as exc:
            raise ModelError(f"{entry['source']}: {'; '.join(exc.problems)}") from exc
    return str(entry.get("content") or "")


def _without(data, remove, keep):
    """``data`` without each key of ``remove`` (nested) that still has the value given there and that ``keep`` does
    not set (T12: only what an earlier version of the model wrote goes); maps emptied by it go too."""
    out = dict(data)
    for key, value in remove.items():
        if key not in out:
            continue
        inner_keep = keep.get(key) if isinstance(keep, dict) else None
        if isinstance(value, dict) and isinstance(out[key], dict):
            rest = _without(out[key], value, inner_keep if isinstance(inner_keep, dict) else {})
            if rest or not out[key]:
                out[key] = rest
            else:
                del out[key]
        elif inner_keep is None and same_value(out[key], value):
            del out[key]
    return out


def selfheal_files(files):
    """The node's nginx copies as the self-heal hook on the node takes them (roles/bbb_node/files/
    bbb_cluster_proxy_selfheal.py): the arguments of nginx_copy.render, settings as ordered pairs. Paths, the basename
    and origins only, never a secret."""
    return [
        {
            "path": entry["path"],
            "source": entry["source"],
            "basename": entry["basename"],
            "drop_named": bool(entry.get("drop_named")),
            "settings": [[name, value] for name, value in _plain(entry["settings"]).items()],
            "append": _plain(entry.get("append") or ""),
        }
        for entry in files
        if entry["format"] == "nginx"
    ]


def _decode(read_entry):
    content = read_entry.get("content")
    return None if content is None else base64.b64decode(content).decode("utf-8", "surrogateescape")


def _encode(text):
    """The base64 form the module's write phase and the drift report take (the inverse of _decode)."""
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode()


def _sources(files, found):
    return {f["source"]: _decode(found.get(f["source"], {})) for f in files if f["format"] == "nginx"}


def _show(key, value):
    return MASK if key in DEFAULT_SECRET_KEYS else ("(not set)" if value is None else value)


def plan(files, found, host, pending=()):
    """One step per file: whether it changes, its diff and what the write phase gets.

    ``pending`` (check mode): files the adoption of a hand-made setup restores or edits first; an nginx copy of such a
    source is shown as derived from the restored file, since its packaged text is not on the node yet.
    """
    sources = _sources(files, found)
    steps = []
    for entry in files:
        path, fmt = entry["path"], entry["format"]
        have = found.get(path, {})
        step = {"path": path, "format": fmt, "changed": False, "restart": entry.get("restart", True) is not False}
        if fmt == "absent":
            step["changed"] = have.get("exists", False)
            step.update(
                write={"path": path, "format": "absent"},
                diff={"before_header": path, "before": "(present)\n", "after_header": path, "after": "(absent)\n"},
            )
        elif fmt == "properties":
            if not have.get("exists") and not entry["settings"]:
                steps.append(step)  # only keys to remove, from a file that is not there: nothing to do
                continue
            if not have.get("exists") and not entry.get("create"):
                raise ModelError(
                    f"Host {host}: {path} does not exist, so its keys cannot be set. Is BigBlueButton installed on this"
                    " node? Install it, or remove the host from the node group."
                )
            values = have.get("values") or {}
            sets = {
                k: v
                for k, v in entry["settings"].items()
                if (values.get(k) or "").lstrip() != v.lstrip() or values.get(k) is None
            }
            drops = {
                k: v
                for k, v in entry["remove"].items()
                if values.get(k) is not None and (v is None or values[k].strip() == v.strip())
            }
            step["changed"] = bool(sets or drops) or not have.get("exists")
            step["write"] = {"path": path, "format": fmt, "settings": entry["settings"], "remove": entry["remove"]}
            step["diff"] = {
                "before_header": path,
                "after_header": path,
                "before": "".join(f"{k}={_show(k, values.get(k))}\n" for k in sorted({**sets, **drops})),
                "after": "".join(f"{k}={_show(k, v)}\n" for k, v in sorted(sets.items())),
            }
        elif fmt == "nginx" and entry["source"] in pending:
            before = _decode(have)
            step.update(changed=True, write=None)
            step["diff"] = {
                "before_header": path,
                "after_header": path,
                "before": before or "",
                "after": f"(derived from {entry['source']} once its package restored it, with the node prefix"
                f" {entry['basename']})\n",
            }
        else:
            before = _decode(have)
            try:
                text = render(entry, before, sources)
            except ModelError as exc:
                raise ModelError(f"Host {host}: {exc}") from exc
            if text is None:  # a file whose last keys the model removes (T12)
                step.update(
                    changed=have.get("exists", False),
                    write={"path": path, "format": "absent"},
                    diff={"before_header": path, "before": before or "", "after_header": path, "after": "(absent)\n"},
                )
                steps.append(step)
                continue
            mode = entry.get("mode")
            have_mode = have.get("mode")  # the read phase gives it for a file that exists
            step["changed"] = before != text or (mode is not None and have_mode not in (None, mode))
            step["text"] = text
            step["write"] = {"path": path, "format": fmt, "content": _encode(text)}
            step["diff"] = {"before_header": path, "after_header": path, "before": before or "", "after": text}
            if mode is not None:
                step["write"]["mode"] = mode
                if have_mode not in (None, mode):
                    step["diff"].update(
                        before_header=f"{path} (mode {have_mode})", after_header=f"{path} (mode {mode})"
                    )
        steps.append(step)
    return steps


def dropin_problems(files, found, host, pending=()):
    """Why the role's drop-ins would not take effect: an EnvironmentFile= or a later drop-in setting the same variables.

    systemd (systemd.exec(5)): EnvironmentFile= wins over Environment=, and of two drop-ins that set the same variable
    the later one (byte order of the names) wins, so the role's value would be on disk but not in effect.
    """
    problems = []
    for entry in (f for f in files if f["format"] == "dropin"):
        names = ", ".join(sorted(entry["settings"]))
        # an environment file the adoption of a hand-made setup edits first (check mode) is judged after that
        shadowed = (
            [] if entry.get("env_file") in pending else found.get(entry.get("env_file") or "", {}).get("set") or []
        )
        if shadowed:
            problems.append(
                f"Host {host}: {entry['env_file']} sets {', '.join(shadowed)}, which overrides the role's drop-in for"
                f" {entry['unit']} (systemd: EnvironmentFile= wins over Environment=). Remove {', '.join(shadowed)}"
                f" from {entry['env_file']}; the role sets it in {entry['path']}."
            )
        later = found.get(entry["dir"], {}).get("later") or []
        if later:
            one = len(later) == 1
            problems.append(
                f"Host {host}: {', '.join(later)} also set{'s' if one else ''} {' or '.join(sorted(entry['settings']))}"
                f" and sort{'s' if one else ''} after {entry['path']}, so systemd would hand {entry['unit']} that value"
                " instead of the role's (a later drop-in's Environment= replaces an earlier one). Nothing was changed"
                f" on this host. Remove {names} from {', '.join(later)}, then run again."
            )
    return problems


def report(files, found, hints):
    """One message per disagreement between the node and its model (the drift playbook).

    ``found``: the read phase's entries; with the action's ``report`` those of format ``unit_environment`` too, keyed
    by unit name (``pid``, ``setters``, ``env``): what each drop-in's unit really runs with.
    """
    sources = _sources(files, found)
    checks, dropins, leftovers = [], [], []
    for entry in files:
        path, fmt = entry["path"], entry["format"]
        have = found.get(path, {})
        content = have.get("content")
        if fmt == "absent":
            if have.get("exists"):
                leftovers.append(path)
        elif fmt == "properties":
            if not have.get("exists") and not entry["settings"]:
                continue  # only keys to remove, from a file that is not there
            text = "".join(f"{k}={v}\n" for k, v in (have.get("values") or {}).items() if v is not None)
            checks.append(
                {
                    "path": path,
                    "format": "properties",
                    "wanted": entry["settings"],
                    "unwanted": entry["remove"],
                    "content": _encode(text) if have.get("exists") else None,
                }
            )
        elif fmt == "dropin":
            dropins.append({"item": {"unit": entry["unit"], "environment": entry["settings"]}, "content": content})
        elif fmt in ("yaml", "json"):
            unwanted = dict(flatten(_plain(entry.get("remove") or {})))
            if content is None and not entry["settings"]:
                continue  # a file the model only removes keys from: nothing to say where it is not
            checks.append(
                {
                    "path": path,
                    "format": "yaml",
                    "content": content,
                    "wanted": _plain(entry["settings"]),
                    "unwanted": {k: v for k, v in unwanted.items() if lookup(_plain(entry["settings"]), k) is MISSING},
                }
            )
        else:
            try:
                wanted = render(entry, _decode(have), sources)
            except ModelError as exc:
                checks.append({"path": path, "format": "text", "content": content, "wanted": None, "hint": str(exc)})
                continue
            checks.append(
                {"path": path, "format": "text", "content": content, "wanted": wanted, "hint": entry.get("hint")}
            )
    units = {d["item"]["unit"]: d["item"]["environment"] for d in dropins}
    effective = [
        dict(found[unit], item={"unit": unit, "environment": environment})
        for unit, environment in units.items()
        if "pid" in found.get(unit, {})  # read for units of active drop-ins that are no templates (name@.service)
    ]
    name = os.path.basename(next((f["path"] for f in files if f["format"] == "dropin"), "cluster-proxy.conf"))
    return drift_report(
        checks, hints=hints, dropins=dropins, dropin_name=name, leftovers=leftovers, effective=effective
    )
