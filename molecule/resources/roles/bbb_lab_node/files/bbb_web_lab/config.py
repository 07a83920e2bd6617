# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The files bbb-web and its neighbours read, read as they read them: Java properties (with ${} references),
bbb-html5.yml merged over the package's settings, JDK_JAVA_OPTIONS' CORS, bbb-graphql-middleware's origin."""

from __future__ import annotations

import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - the lab image has python3-yaml
    yaml = None

_REF = re.compile(r"\$\{([^}]+)\}")


def read_properties(*paths):
    values = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.lstrip().startswith(("#", "!")) or "=" not in line:
                continue
            key, _unused, value = line.partition("=")
            values[key.strip()] = value.strip()

    def resolve(value, depth=0):
        if depth > 10:
            return value
        return _REF.sub(lambda m: resolve(values.get(m.group(1), ""), depth + 1), value)

    return {key: resolve(value) for key, value in values.items()}


def merge(base, extra):
    """Maps merge, everything else replaces (as BBB merges bbb-html5.yml)."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return extra
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out.get(key), value) if key in out else value
    return out


def cors_origins(environ):
    options = environ.get("JDK_JAVA_OPTIONS", "")
    if "-Dgrails.cors.enabled=true" not in options.split():
        return []
    match = re.search(r"-Dgrails\.cors\.allowedOrigins=(\S+)", options)
    return match.group(1).split(",") if match else []


def graphql_authorized_origin(config_path, override_path, env_path):
    """The host bbb-graphql-middleware accepts cross-origin websockets from ('' for none)."""
    settings = {}
    for path in (config_path, override_path):
        if path and os.path.exists(path) and yaml is not None:
            with open(path, encoding="utf-8") as handle:
                settings = merge(settings, yaml.safe_load(handle) or {})
    origin = str((settings.get("server") or {}).get("authorized_cross_origin") or "")
    if not origin and env_path:
        origin = read_properties(env_path).get("BBB_GRAPHQL_MIDDLEWARE_ORIGIN", "")
    return origin.strip().strip("'\"")
