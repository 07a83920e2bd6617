# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Formatting that the report's sections share."""

from __future__ import annotations


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def us(value: float) -> str:
    return f"{value:.0f} µs" if value >= 10 else f"{value:.1f} µs"


def size(n: float) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 10240 else f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n:.0f} bytes"
