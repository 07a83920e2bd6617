# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The STUN and TURN servers a BigBlueButton node hands its clients, from /etc/bigbluebutton/turn-stun-servers.xml.

Upstream (bigbluebutton/bigbluebutton):

- bigbluebutton-web grails-app/conf/spring/resources.groovy imports that file into the Spring context if bbb-web can
  read it (``turnConfigFile.canRead()``; bbb-web.service runs as ``User=bigbluebutton``), else the packaged
  ``spring/turn-stun-servers.xml``, whose only server is ``stun:stun.l.google.com:19302``. It is read once, when bbb-web
  starts.
- The bean of class ``org.bigbluebutton.web.services.turn.StunTurnService`` names, by ``<ref bean=.../>`` in its
  properties ``stunServers``, ``turnServers`` and ``remoteIceCandidates``, beans of class ``StunServer`` (argument 0:
  the URL), ``TurnServer`` (0: the coturn secret, 1: the URL, 2: the TTL) and ``RemoteIceCandidate`` (0: an address).
  A bean no property refers to is not served.
- ``GET /bigbluebutton/api/stuns`` (ApiController ``stuns``) answers those URLs, TURN ones with credentials made from
  the secret per user; the HTML5 client (imports/utils/fetchStunTurnServers.js) makes them the ``iceServers`` of its
  peer connections.

bbb-install writes the file with ``turn:<host>:3478`` and ``turns:<host>:443?transport=tcp`` (configure_coturn), the
host being the node's own (built-in coturn) or one TURN server that the cluster shares (``-c <host>:<secret>``).

The secret never leaves this module: what it returns is the URLs and their hosts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

PACKAGED = ("stun:stun.l.google.com:19302",)
SERVICE = "org.bigbluebutton.web.services.turn.StunTurnService"
KINDS = {"stunServers": ("stun", "StunServer", 0), "turnServers": ("turn", "TurnServer", 1)}


class StunTurnError(ValueError):
    """The file is not what bbb-web can load."""


def ice_host(url):
    """The host of a STUN/TURN URI (RFC 7064/7065: ``stun:host[:port]``, ``turns:host[:port]?transport=tcp``,
    ``[v6]`` in brackets); also accepts the ``//`` form some clients write. Lower case; '' when there is none."""
    rest = str(url).partition(":")[2].split("?", 1)[0].lstrip("/")
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0].lower()
    return rest.split(":", 1)[0].lower()


def _name(element):
    return element.tag.rsplit("}", 1)[-1]


def servers(text, readable=True):
    """The servers bbb-web serves for this file's text ('' or ``readable=False``: the packaged file's), as a list of
    ``{'kind': 'stun'|'turn', 'url', 'host'}`` in the file's order. Raises StunTurnError for a file that is not a Spring
    beans file with a StunTurnService (bbb-web would not start, or would serve nothing)."""
    if not text or not readable:
        return [{"kind": "stun", "url": url, "host": ice_host(url)} for url in PACKAGED]
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise StunTurnError(f"not well-formed XML ({error}): bbb-web's Spring context cannot load it") from None
    if _name(root) != "beans":
        raise StunTurnError(f"the root element is <{_name(root)}>, not Spring's <beans>")
    beans = {}
    for bean in root.iter():
        if _name(bean) != "bean":
            continue
        args = {}
        for position, child in enumerate(c for c in bean if _name(c) == "constructor-arg"):
            args[int(child.get("index", position))] = child.get("value", "")
        props = {}
        for prop in (c for c in bean if _name(c) == "property"):
            props[prop.get("name", "")] = [ref.get("bean", "") for ref in prop.iter() if _name(ref) == "ref"]
        beans[bean.get("id", "")] = (bean.get("class", ""), args, props)
    service = [b for b in beans.values() if b[0] == SERVICE]
    if not service:
        raise StunTurnError(f"no bean of class {SERVICE}: bbb-web hands its clients no STUN or TURN server")
    out = []
    for prop, (kind, cls, position) in KINDS.items():
        for ref in service[0][2].get(prop, []):
            bean = beans.get(ref)
            if bean is None:
                raise StunTurnError(f"{prop} refers to the bean '{ref}', which the file does not define")
            if bean[0].rsplit(".", 1)[-1] != cls:
                raise StunTurnError(f"{prop} refers to '{ref}' of class {bean[0]}, not {cls}")
            url = bean[1].get(position, "")
            out.append({"kind": kind, "url": url, "host": ice_host(url)})
    return out
