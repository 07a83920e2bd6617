# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registrable domain ("site") of a hostname by the Public Suffix List, as browsers compute it.

Browsers decide whether two origins are the same site, and so whether a ``SameSite=Lax`` cookie goes along, by the
registrable domain ("eTLD+1") of their hosts under the Public Suffix List (https://publicsuffix.org/), ICANN and
PRIVATE sections both: ``bbb.example.gouv.fr`` and ``proxy.other.gouv.fr`` are two sites, and so are two hosts under
``github.io``, ``duckdns.org`` or ``compute.amazonaws.com``. No rule of thumb on the last labels gets that right.

The list comes, in this order, from:

1. the Python package ``publicsuffixlist`` (PyPI, kept current by its maintainer), where it is installed;
2. the system's copy of the list (Debian/Ubuntu package ``publicsuffix``, Fedora ``publicsuffix-list``:
   ``/usr/share/publicsuffix/public_suffix_list.dat``), read by the small implementation of the list's algorithm
   below (https://github.com/publicsuffix/list/wiki/Format): rules, ``*`` wildcards, ``!`` exceptions, and the
   default rule ``*`` for a top-level domain the list does not know;
3. else none: ``load()`` raises ``NoPublicSuffixList``, whose message names the fix.

The list is loaded once per process.

Two cases have no registrable domain; as in the HTML standard's "same site" (which compares hosts without one as
they are), the site is then the host itself:

- an IP address (``192.0.2.10``): the address;
- a hostname that is itself a public suffix (``github.io``, ``gouv.fr``, ``localhost``): the hostname.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import ipaddress
import os
import re

try:
    from publicsuffixlist import PublicSuffixList
except ImportError:  # the system's list file is read instead (see load)
    PublicSuffixList = None

# Where distributions install the list (Debian/Ubuntu publicsuffix, Fedora publicsuffix-list, Arch publicsuffix-list).
SYSTEM_FILES = ("/usr/share/publicsuffix/public_suffix_list.dat",)

FIX = (
    "install the Python package publicsuffixlist on the controller (pip install publicsuffixlist) "
    "or the system package publicsuffix (apt-get install publicsuffix)"
)

_VERSION_RE = re.compile(r"^//\s*VERSION:\s*(\S+)", re.MULTILINE)


class NoPublicSuffixList(LookupError):
    """Neither the package publicsuffixlist nor a system copy of the list is available."""

    def __init__(self, tried):
        self.tried = list(tried)
        self.tried_text = ", ".join(["the Python package publicsuffixlist (not installed)", *self.tried])
        self.fix = FIX
        super().__init__(f"no Public Suffix List on the controller (tried {self.tried_text}). Fix: {FIX}")


def _ace(label):
    """A label of the list in the form hostnames are validated in (ASCII, punycode for IDN labels)."""
    if label.isascii():
        return label
    return "xn--" + label.encode("punycode").decode("ascii")


class _Node:
    __slots__ = ("children", "exception", "rule")

    def __init__(self):
        self.children = {}
        self.rule = False
        self.exception = False


class SuffixRules:
    """The rules of a Public Suffix List file, matched as the list's format page says."""

    def __init__(self, lines):
        self._root = _Node()
        self.count = 0
        for line in lines:
            # a rule is the line up to its first white space; comments start with //
            words = line.split()
            if not words or words[0].startswith("//"):
                continue
            rule = words[0].lower().rstrip(".")
            exception = rule.startswith("!")
            node = self._root
            for label in reversed(rule.lstrip("!").split(".")):
                node = node.children.setdefault(_ace(label), _Node())
            if exception:
                node.exception = True
            else:
                node.rule = True
            self.count += 1

    def suffix_length(self, labels):
        """How many of the rightmost ``labels`` form the public suffix (at least 1: the default rule ``*``)."""
        rule = exception = 0
        stack = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            if node.rule:
                rule = max(rule, depth)
            if node.exception:
                exception = max(exception, depth)
            if depth < len(labels):
                label = labels[-1 - depth]
                stack.extend((node.children[key], depth + 1) for key in (label, "*") if key in node.children)
        if exception:  # an exception rule prevails; its public suffix drops the exception's leftmost label
            return exception - 1
        return max(rule, 1)

    def registrable_domain(self, hostname):
        labels = hostname.split(".")
        length = self.suffix_length(labels)
        return ".".join(labels[-length - 1 :]) if len(labels) > length else None


class _Package:
    """The package publicsuffixlist, with the list it ships."""

    def __init__(self):
        self._psl = PublicSuffixList()  # ICANN and PRIVATE sections, default rule * (accept_unknown)

    def registrable_domain(self, hostname):
        return self._psl.privatesuffix(hostname)


def _package_version():
    try:
        return importlib.metadata.version("publicsuffixlist")
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


class Sites:
    """A loaded Public Suffix List: ``site``, ``registrable_domain`` and ``same_site`` of hostnames, and ``source``."""

    def __init__(self, matcher, source):
        self._matcher = matcher
        self.source = source

    def registrable_domain(self, hostname):
        """The registrable domain (eTLD+1) of ``hostname``; None for an IP address or a public suffix itself."""
        host = _normalise(hostname)
        if _is_ip(host):
            return None
        return self._matcher.registrable_domain(host)

    def site(self, hostname):
        """The site of ``hostname`` as browsers compare it: its registrable domain, else the host itself."""
        host = _normalise(hostname)
        return self.registrable_domain(host) or host

    def same_site(self, first, second):
        """Whether browsers take the two hostnames for one site (a SameSite=Lax cookie goes from one to the other)."""
        return self.site(first) == self.site(second)


def _normalise(hostname):
    host = str(hostname).strip().lower().rstrip(".")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _read_file(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    rules = SuffixRules(text.splitlines())
    if not rules.count:
        raise ValueError("no rules in it")
    version = _VERSION_RE.search(text)
    when = (
        version.group(1)
        if version
        else datetime.datetime.fromtimestamp(os.path.getmtime(path), tz=datetime.timezone.utc).strftime("%Y-%m-%d")
    )
    return Sites(rules, f"{path} (system file, {when})")


_LOADED = {}


def load():
    """The Public Suffix List, loaded once per process: the package publicsuffixlist, else the system's file.

    Raises NoPublicSuffixList, naming the fix, where there is neither.
    """
    if "sites" in _LOADED:
        return _LOADED["sites"]
    tried = []
    sites = None
    if PublicSuffixList is not None:
        sites = Sites(_Package(), f"publicsuffixlist {_package_version()} (PyPI package)")
    else:
        for path in SYSTEM_FILES:
            try:
                sites = _read_file(path)
                break
            except (OSError, UnicodeError, ValueError) as exc:
                tried.append(f"{path} ({exc.strerror if isinstance(exc, OSError) and exc.strerror else exc})")
    if sites is None:
        raise NoPublicSuffixList(tried)
    _LOADED["sites"] = sites
    return sites


def clear_cache():
    """Forget the loaded list (tests that change the sources)."""
    _LOADED.clear()
