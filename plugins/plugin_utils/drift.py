# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare what a node or the proxy has with what the inventory says (the drift playbook)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping

import yaml

_PROPERTY_RE = re.compile(r"^\s*([^#!\s=:][^=:]*?)\s*[=:]\s?(.*?)\s*$")
_PROXY_LOCATION_RE = re.compile(r"^\s*location\s+/([^/\s]+)/html5client/\s*\{", re.M)


def parse_properties(text):
    """Return the key=value pairs of a properties or environment file; the last occurrence of a key wins."""
    values = {}
    for line in (text or "").splitlines():
        if line.lstrip().startswith(("#", "!")):
            continue
        match = _PROPERTY_RE.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def flatten(value, prefix=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


MISSING = object()


def lookup(data, dotted):
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return MISSING
        data = data[part]
    return data


def same_value(have, want):
    """Whether a file's value is the wanted one: lists and maps as they are, anything else by its text (a YAML number
    or boolean against the model's string)."""
    return have == want if isinstance(want, (list, dict)) else str(have) == str(want)


def settings_drift(actual, expected):
    """Every leaf of ``expected`` (nested dicts) whose value in ``actual`` differs; lists compare whole.

    Returns a list of ``{key, actual, expected}``, ``actual`` None where the key is missing.
    """
    if not isinstance(expected, dict):
        raise TypeError("expected must be a mapping")
    actual = actual if isinstance(actual, dict) else {}
    drift = []
    for key, want in flatten(expected):
        have = actual[key] if key in actual else lookup(actual, key)
        if have is MISSING:
            drift.append({"key": key, "actual": None, "expected": want})
            continue
        if not same_value(have, want):
            drift.append({"key": key, "actual": have, "expected": want})
    return drift


def proxy_labels(text):
    """The node labels that an nginx configuration has client locations for, sorted."""
    return sorted(set(_PROXY_LOCATION_RE.findall(text or "")))


def proxy_drift(conf_file, live_text, wanted_text, inventory_labels, loaded, server_name):
    """One message per way the proxy's live nginx configuration disagrees with the inventory (empty: no drift).

    ``conf_file``: the path of the cluster-proxy configuration; ``live_text``: its text on the proxy, None where it
    is missing; ``wanted_text``: the role's template rendered for the inventory; ``inventory_labels``: the nodes'
    labels; ``loaded``: the nginx_info module's result for ``conf_file`` (``valid``, ``error``, ``included``,
    ``conflicts``, ``stale``), or a skipped result / None where it did not run; ``server_name``: the proxy's
    public hostname. Labels are named sorted.
    """
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, Mapping):
        raise TypeError(
            f"loaded must be the result of bbb.cluster_proxy.nginx_info (a mapping), not {type(loaded).__name__}"
        )
    if isinstance(inventory_labels, str):
        raise TypeError("inventory_labels must be a list of node labels, not a string")
    live_labels = proxy_labels(live_text)
    wanted_labels = set(inventory_labels or [])
    extra = [label for label in live_labels if label not in wanted_labels]
    missing = sorted(wanted_labels.difference(live_labels))
    messages = []
    if live_text is None:
        messages.append(f"{conf_file} is missing: no node is served through the proxy. Run bbb.cluster_proxy.site.")
    if extra:
        messages.append(
            f"locations for nodes not in the inventory: {', '.join(extra)}"
            " (their paths still reach those hosts). Run bbb.cluster_proxy.site to remove them."
        )
    if live_text is not None and missing:
        messages.append(
            f"no location for {', '.join(missing)}"
            " (in the inventory): their clients answer 404 on the proxy. Run bbb.cluster_proxy.site."
        )
    if live_text is not None and not extra and not missing and live_text != wanted_text:
        messages.append(
            f"{conf_file} differs from what the inventory gives (the address of a node changed in DNS, or"
            " TLS or cache settings were changed by hand or by another tool). See how with:"
            " ansible-playbook bbb.cluster_proxy.site --check --diff"
        )
    if not loaded.get("valid", True):
        messages.append(
            f"nginx -t fails, so nginx cannot load the configuration: {loaded.get('error')}."
            " Fix it before any reload (nginx keeps running the old one)."
        )
    if loaded.get("valid", False) and not loaded.get("included"):
        messages.append(
            f"{conf_file} is not part of what nginx loads (nginx -T does not list it): no node is served"
            " through the proxy. Include /etc/nginx/conf.d/*.conf in the http block of nginx.conf."
        )
    if loaded.get("conflicts"):
        messages.append(
            f"another server block also claims {server_name} and nginx ignores one of them ("
            f"{loaded['conflicts'][0]}): requests may not reach the cluster-proxy locations."
            " Remove the other server block for that name."
        )
    if loaded.get("stale", False):
        messages.append(
            f"nginx runs a configuration older than {conf_file} (its workers started before the file"
            " changed): the change is not live. Reload nginx (systemctl reload nginx) after nginx -t."
        )
    return messages


_ENVIRONMENT_RE = re.compile(r'^\s*Environment=(?:"([^"=]+)=(.*)"|([^"=\s]+)=(.*))\s*$')


def _parse_environment(text):
    """The Environment= assignments of a systemd unit or drop-in (one per line, as the role writes them)."""
    values = {}
    for line in (text or "").splitlines():
        match = _ENVIRONMENT_RE.match(line)
        if match:
            key = match.group(1) or match.group(3)
            values[key] = match.group(2) if match.group(1) else match.group(4)
    return values


def _decode(content, path):
    if content is None:
        return None
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{path}: content must be base64 as ansible.builtin.slurp returns it") from exc


def _show(value):
    return "not set" if value is None else f"'{value}'"


def _parse(text, form, path):
    if form == "properties":
        return parse_properties(text)
    if form == "systemd":
        return _parse_environment(text)
    if form == "yaml":
        try:
            data = json.loads(text)  # JSON with tabs (the upstream guide's etherpad.json) is no YAML
        except ValueError:
            data = None
        try:
            data = data if data is not None else yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _DriftError(
                [f"{path} is not valid YAML/JSON ({str(exc).splitlines()[0]}): fix or move it away"]
            ) from exc
        return data if isinstance(data, dict) else {}
    raise ValueError(f"unknown format {form!r}")


class _DriftError(ValueError):
    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


def _read_effective(result):
    """The unit, its wanted variables and what it runs with, from one result of a unit read.

    ``result``: ``item`` (``unit``, ``environment``: the role's variables) and either what the node_files module's
    read phase returns (format ``unit_environment``): ``pid`` (systemd's MainPID, 0 when not running), ``setters``
    (the drop-ins and environment files that set one of the variables, systemd's order) and ``env`` (the variables'
    values in /proc/<pid>/environ), or, as the drift_report filter documents it, ``stdout_lines``: ``pid N``,
    ``set <file>`` and ``env VAR=value`` lines.
    """
    item = result["item"]
    if "stdout_lines" not in result:
        return {
            "unit": item["unit"],
            "wanted": item["environment"],
            "pid": int(result.get("pid") or 0),
            "setters": list(result.get("setters") or []),
            "env": dict(result.get("env") or {}),
        }
    pid, setters, environment = 0, [], {}
    for line in result.get("stdout_lines") or []:
        kind, _sep, rest = line.partition(" ")
        if kind == "pid":
            pid = int(rest.strip() or 0)
        elif kind == "set":
            setters.append(rest.strip())
        elif kind == "env":
            var, _sep, value = rest.partition("=")
            environment[var] = value
    return {"unit": item["unit"], "wanted": item["environment"], "pid": pid, "setters": setters, "env": environment}


def _effective_drift(results, dropin_name="cluster-proxy.conf", on_disk=None):
    """One message per variable of the role's drop-ins that a running unit does not have as the role sets it.

    systemd (systemd.exec(5)): a later Environment= of the same variable replaces an earlier one (drop-ins apply
    in lexicographic order), and EnvironmentFile= wins over Environment=; a unit not restarted keeps the old one.
    The process is compared with the role's drop-in as it is on disk (``on_disk``: unit -> variables), so a hand
    edit of that file is reported once, by the file check, not again here.
    """
    messages = []
    on_disk = on_disk or {}
    for unit in map(_read_effective, results or []):
        name = unit["unit"]
        ours = f"/etc/systemd/system/{name}.d/{dropin_name}"
        if not unit["pid"]:
            messages.append(
                f"{name} is not running: what it runs with cannot be checked (start BigBlueButton: bbb-conf --restart)"
            )
            continue
        for var, value in unit["wanted"].items():
            value = on_disk.get(name, {}).get(var, value)
            actual = unit["env"].get(var)
            if actual == str(value):
                continue
            setters = [path for path in unit["setters"] if path != ours]
            if setters:
                cause = (
                    f"{', '.join(setters)} also set{'s' if len(setters) == 1 else ''} {var}, and systemd gives"
                    " precedence to it (a later drop-in's Environment= replaces an earlier one; EnvironmentFile= wins"
                    f" over Environment=). Remove {var} from {', '.join(setters)}"
                )
            else:
                cause = f"it was not restarted since {ours} changed: restart it (bbb-conf --restart)"
            messages.append(
                f"{name} runs with {var} {_show(actual)} (its process environment), not the value of {ours}: {cause}"
            )
    return messages


def drift_report(checks, hints=None, dropins=None, dropin_name="cluster-proxy.conf", leftovers=None, effective=None):
    """One message per disagreement between a host's files and what the inventory gives.

    ``checks``: dicts with ``path``, ``format`` (properties, yaml, systemd, text), ``content`` (base64 as slurp
    returns it; None = missing), ``wanted`` (settings, or the whole text for ``text``), optional
    ``unwanted`` (key -> value that must be gone) and ``hint``. ``dropins``: slurp results of systemd drop-ins
    whose ``item`` has ``unit`` and ``environment``. ``leftovers``: paths that must not exist.
    """
    hints = hints or {}
    checks = list(checks or [])
    on_disk = {}
    for result in dropins or []:
        if result.get("content") is not None:
            try:
                on_disk[result["item"]["unit"]] = _parse_environment(_decode(result["content"], result["item"]["unit"]))
            except ValueError:
                pass  # reported by the file check below
        checks.append(
            {
                "path": f"/etc/systemd/system/{result['item']['unit']}.d/{dropin_name}",
                "format": "systemd",
                "content": result.get("content"),
                "wanted": result["item"]["environment"],
            }
        )
    messages = []
    for check in checks:
        path = check["path"]
        text = _decode(check.get("content"), path)
        if text is None:
            messages.append(f"{path} is missing: the node runs with the package defaults there")
            continue
        if check["format"] == "text":
            if text != check["wanted"]:
                messages.append(
                    f"{path} differs from what the inventory gives"
                    + (f" ({check['hint']})" if check.get("hint") else "")
                )
            continue
        try:
            current = _parse(text, check["format"], path)
        except _DriftError as exc:
            messages.extend(exc.messages)
            continue
        for entry in settings_drift(current, check.get("wanted") or {}):
            hint = hints.get(entry["key"])
            messages.append(
                f"{path}: {entry['key']} is {_show(entry['actual'])}, the inventory says {_show(entry['expected'])}"
                + (f": {hint}" if hint else "")
            )
        for key, value in (check.get("unwanted") or {}).items():
            have = current[key] if key in current else lookup(current, key)
            if have is not MISSING and value is None:  # a key the inventory leaves to BigBlueButton's default
                hint = hints.get(key)
                messages.append(
                    f"{path}: {key} is {_show(have)}, the inventory leaves it unset (BigBlueButton's default)"
                    + (f": {hint}" if hint else "")
                )
            elif have is not MISSING and same_value(have, value):
                messages.append(f"{path}: {key} still has the value only an earlier BBB version needs (T12)")
    for path in leftovers or []:
        messages.append(f"{path} is left from an earlier BBB version (T12)")
    return messages + _effective_drift(effective, dropin_name, on_disk)
