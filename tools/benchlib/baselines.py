# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The targets and earlier measurements of the report, as data: baselines.yml beside this file, checked when loaded
(every key there, no other, numbers where numbers belong) so that a typo fails before the benchmarks run."""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

import yaml

from .shell import BenchError

BASELINES_FILE = Path(__file__).with_name("baselines.yml")

NUMBER, TEXT = "number", "text"
SCHEMA = {
    "assets": {"min_proxied_rate": NUMBER, "max_node_cpu_ratio": NUMBER},
    "cache500": {"min_cached_rate": NUMBER},
    "scale": {
        "max_nginx_t_s": NUMBER,
        "max_pss_mib_per_node": NUMBER,
        "max_role_s": NUMBER,
        "linear_tolerance": NUMBER,
        "before_tls_contexts": {
            "commit": TEXT,
            "nginx": TEXT,
            "nodes": NUMBER,
            "nginx_t_s": NUMBER,
            "pss_mib": NUMBER,
            "per_node_kib": NUMBER,
        },
    },
    "rollout": {
        "max_noop_tasks_per_node": NUMBER,
        "before_one_model": {"commit": TEXT, "noop_s_per_batch": NUMBER},
    },
}


def _checked(value, schema, where: str):
    """value as schema says (mappings become namespaces), or BenchError naming the key, the value and the want."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise BenchError(f"{where}: want a mapping of {', '.join(schema)}, got {value!r}")
        missing, unknown = sorted(set(schema) - set(value)), sorted(set(value) - set(schema))
        if missing or unknown:
            raise BenchError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
        return SimpleNamespace(**{key: _checked(value[key], schema[key], f"{where}.{key}") for key in schema})
    if schema == NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise BenchError(f"{where}: want a positive number, got {value!r}")
    if schema == TEXT and not (isinstance(value, str) and value.strip()):
        raise BenchError(f"{where}: want a quoted string (a commit, a version), got {value!r}")
    return value


def load(path: Path = BASELINES_FILE) -> SimpleNamespace:
    """baselines.yml as namespaces: load().scale.max_nginx_t_s, load().rollout.before_one_model.commit, ..."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BenchError(f"{path}: {exc}") from exc
    return _checked(data, SCHEMA, path.name)


@functools.cache
def get() -> SimpleNamespace:
    """The bench's baselines (baselines.yml), loaded once."""
    return load()
