# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Line-by-line editing of key=value files (Java properties, systemd environment files).

Shared by the node_files and adopt modules (and the deprecated properties_file): every byte other than the keys set
stays as it is, and the values of secret keys (the BigBlueButton shared secret) are masked wherever text is shown.
"""

from __future__ import annotations

import os
import re
import tempfile

MASK = "********"
DEFAULT_SECRET_KEYS = ["securitySalt"]
_BAD_KEY = re.compile(r"[\s=:\\]")
_COMMENT = re.compile(r"^\s*[#!;]")


def _key_re(key, commented=False):
    """Match the start of a line that sets ``key``: group 1 is everything up to the value, group 2 the value."""
    comment = r"(?:[#!;]\s*)?" if commented else ""
    return re.compile(r"^(\s*" + comment + re.escape(key) + r"\s*[=:]\s*)(.*)$", re.DOTALL)


def _ending(line):
    for ending in ("\r\n", "\n"):
        if line.endswith(ending):
            return ending
    return ""


def _body(line):
    return line[: len(line) - len(_ending(line))]


def _continues(line):
    """A line whose body ends with an odd number of backslashes continues on the next line."""
    body = _body(line)
    return _ending(line) != "" and (len(body) - len(body.rstrip("\\"))) % 2 == 1


def split_lines(text):
    """Split on \\n only, keeping the line endings, so that ``"".join()`` gives back the same text."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def logical_lines(lines):
    """Group physical lines into logical lines (a list of lists): a value may continue with a trailing backslash."""
    groups = []
    i = 0
    while i < len(lines):
        j = i
        if not _COMMENT.match(lines[i]):
            while j + 1 < len(lines) and _continues(lines[j]):
                j += 1
        groups.append(lines[i : j + 1])
        i = j + 1
    return groups


def _value_of(group, pattern):
    """Return (prefix, value) when the logical line ``group`` sets the key of ``pattern``, else None."""
    match = pattern.match(_body(group[0]))
    if not match:
        return None
    value = match.group(2)
    if len(group) > 1:
        value = "\n".join([value] + [_body(line) for line in group[1:]])
    return match.group(1), value


def update_lines(lines, values, remove=None):
    """Set every key of ``values`` and drop the lines of ``remove`` that still have the given value.

    Return (new_lines, changed_keys, removed_keys, duplicate_keys), the lists sorted.
    """
    groups = logical_lines(lines)
    changed, removed, duplicates = set(), set(), set()
    for key, value in (remove or {}).items():
        pattern = _key_re(key)
        kept = []
        for group in groups:
            found = _value_of(group, pattern)
            if found is not None and (value is None or found[1].strip() == value.strip()):
                removed.add(key)
                continue
            kept.append(group)
        groups = kept
    for key, value in values.items():
        pattern = _key_re(key)
        occurrences = 0
        for index, group in enumerate(groups):
            found = _value_of(group, pattern)
            if found is None:
                continue
            occurrences += 1
            prefix, current = found
            # Leading white space of a value is not part of it, neither in Java properties nor for systemd.
            if current.lstrip() != value.lstrip():
                groups[index] = [prefix + value + _ending(group[-1])]
                changed.add(key)
        if occurrences > 1:
            duplicates.add(key)
        if not occurrences:
            if groups and not _ending(groups[-1][-1]):
                groups[-1] = groups[-1][:-1] + [groups[-1][-1] + "\n"]
            groups.append([f"{key}={value}\n"])
            changed.add(key)
    new_lines = [line for group in groups for line in group]
    return new_lines, sorted(changed | removed), sorted(removed), sorted(duplicates)


def masked(lines, secret_keys):
    """Return the text of ``lines`` with the value of every secret key replaced by the mask, commented lines too."""
    patterns = [_key_re(key, commented=True) for key in secret_keys]
    out = []
    for group in logical_lines(lines):
        for pattern in patterns:
            match = pattern.match(_body(group[0]))
            if match:
                group = [match.group(1) + MASK + _ending(group[-1])]
                break
        out.extend(group)
    return "".join(out)


def _secret_values(lines, secret_keys):
    """Yield the values the secret keys have in ``lines``, commented lines included."""
    patterns = [_key_re(key, commented=True) for key in secret_keys]
    for group in logical_lines(lines):
        for pattern in patterns:
            found = _value_of(group, pattern)
            if found is not None:
                yield found[1]


def hide_secret_values(module, lines, secret_keys):
    """Add the non-empty values the secret keys have in ``lines`` to what Ansible masks in the module's output."""
    for value in _secret_values(lines, secret_keys):
        if value.strip():
            module.no_log_values.add(value)


def write_text_atomically(module, path, text, mode=None, unsafe_writes=False):
    """Write ``text`` (surrogates back to the bytes they stand for) to a temporary file beside ``path``, then move it
    over ``path`` (AnsibleModule.atomic_move keeps an existing file's owner and mode). Raises on failure."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
        if mode is not None:
            os.chmod(tmp, mode)
        module.atomic_move(tmp, path, unsafe_writes=unsafe_writes)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def as_text(value):
    """The text written for a value of ``values`` or ``remove``; None for a type that has no text form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _readable(text):
    """Text with undecodable bytes (kept as surrogates) shown as replacement characters, for the diff."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
