# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Values as Scalelite's Ruby and Rails write and read them: URI forms, XML answers, String#to_i/to_f, Float#round,
URI#request_uri, BigDecimal in JSON."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import urlsplit


def www_form(pairs):
    """Ruby's URI.encode_www_form: only *-._ and alphanumerics stay, space is '+', a nil value gives the key alone."""

    def component(text):
        out = []
        for byte in str(text).encode():
            char = chr(byte)
            if char.isascii() and (char.isalnum() or char in "*-._"):
                out.append(char)
            elif char == " ":
                out.append("+")
            else:
                out.append(f"%{byte:02X}")
        return "".join(out)

    return "&".join(component(k) if v is None else f"{component(k)}={component(v)}" for k, v in pairs)


def render_xml(fields):
    """<response> with the fields in order (Nokogiri builder as upstream renders it)."""
    root = ET.Element("response")
    for key, value in fields:
        child = ET.SubElement(root, key)
        if isinstance(value, ET.Element):
            child.extend(list(value))
        elif value is not None:
            child.text = str(value)
    return serialize(root)


def serialize(root):
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def ruby_to_i(text):
    """String#to_i: the leading integer, else 0."""
    match = re.match(r"\s*([-+]?\d+)", text or "")
    return int(match.group(1)) if match else 0


def ruby_to_f(text):
    """String#to_f: the leading decimal number, else 0.0."""
    match = re.match(r"\s*([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)", text or "")
    return float(match.group(1)) if match else 0.0


def ruby_round(value):
    """Float#round: halves away from zero."""
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def request_uri(link):
    """URI(link).request_uri of an http(s) link: its path (at least /) and query."""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"undefined method 'request_uri' for the URI {link!r}")
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def decimal_text(value):
    """A BigDecimal as ActiveSupport puts it in JSON: a string such as "1.0" or "2.5"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." in text else text + ".0"
