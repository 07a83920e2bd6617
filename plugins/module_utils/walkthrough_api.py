# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's BBB API calls, from the controller (module browser_walkthrough).

The links are signed as every caller of the collection signs them (``bbb_api.call_url``); the answers are read as
XML trees because the walk-through reads nested elements (a recording's ``state``, ``url``, ``recordID``). Also here:
where the meetings are placed (on each node, or through a load balancer until each node has one), the lab's name
mapping for these calls and the CA bundle they trust.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from ansible.module_utils.urls import open_url
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import DEFAULT_ALGORITHM, call_url

# A one-page PDF (what the presentation module uploads at create).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 400 300]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class Api:
    """BBB API calls, signed as every caller of the collection signs them (module_utils bbb_api), from the controller."""

    def __init__(self, url, secret, ca_file, algorithm=""):
        self.url, self.secret, self.ca_file = url.rstrip("/"), secret, ca_file
        self.algorithm = algorithm or DEFAULT_ALGORITHM

    def link(self, call, **params):
        return call_url(self.url, call, params, self.secret, self.algorithm)

    def call(self, call, body=None, **params):
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        answer = fetch(self.link(call, **params), self.ca_file, data=body, headers=headers)
        return ET.fromstring(answer.read())

    def location(self, call, **params):
        """The Location of a redirecting call (not followed)."""
        try:
            fetch(self.link(call, **params), self.ca_file, follow_redirects="none")
        except urllib.error.HTTPError as error:
            return error.headers.get("Location", "")
        return ""


# A meeting on LiveKit, as upstream's own browser tests create one (bigbluebutton-tests playwright: all three bridges).
LIVEKIT_BRIDGES = {"audioBridge": "livekit", "cameraBridge": "livekit", "screenShareBridge": "livekit"}


def on_livekit(params, node):
    """Whether ``node``'s meeting is created on LiveKit: the node has it and, through a load balancer (which picks
    the node), every node has it."""
    if params.get("load_balancer"):
        return bool(params["nodes"]) and all(n.get("livekit") for n in params["nodes"])
    return bool(node.get("livekit"))


def fetch(url, ca_file, **kwargs):
    """open_url with the walk-through's CA (None: the system's) and timeout."""
    return open_url(url, timeout=30, ca_path=ca_file or None, **kwargs)


def text(root, tag):
    """The text of the first ``tag`` anywhere below ``root``; empty where there is none."""
    found = root.find(f".//{tag}")
    return (found.text or "") if found is not None else ""


def node_api(node, params):
    """The API of a node itself (its own secret), with the walk-through's CA and checksum algorithm."""
    return Api(node["api_url"], node["api_secret"], params.get("ca_file"), params["checksum_algorithm"])


def place_meetings(params):
    """``(placed, created)``: node name -> (api for the calls, meeting id, create's returncode), and every
    (api, meeting) created (to end them). Through a load balancer, meetings are created until each node has one."""
    run = time.strftime("%Y%m%dT%H%M%S")
    create = {"name": "Cluster proxy browser acceptance", "guestPolicy": "ASK_MODERATOR"}
    if params["recordings"]:
        create.update(record="true", autoStartRecording="true")
    body = (
        '<modules><module name="presentation"><document name="acceptance.pdf">'
        + base64.b64encode(PDF).decode()
        + "</document></module></modules>"
    ).encode()
    placed, created = {}, []
    lb = params.get("load_balancer")
    if not lb:
        for node in params["nodes"]:
            api = node_api(node, params)
            meeting = f"bbb-cluster-proxy-browser-{node['hostname'].split('.')[0]}-{run}"
            bridges = LIVEKIT_BRIDGES if on_livekit(params, node) else {}
            answer = api.call("create", body, meetingID=meeting, **create, **bridges)
            placed[node["name"]] = (api, meeting, text(answer, "returncode"))
            created.append((api, meeting))
        return placed, created
    api = Api(lb["url"], lb["secret"], params.get("ca_file"), params["checksum_algorithm"])
    if on_livekit(params, None):
        create.update(LIVEKIT_BRIDGES)
    by_host = {node["hostname"]: node["name"] for node in params["nodes"]}
    attempts = int(lb.get("attempts") or 3 * len(by_host))
    for attempt in range(1, attempts + 1):
        if len(placed) == len(by_host):
            break
        meeting = f"bbb-cluster-proxy-browser-{run}-{attempt}"
        answer = api.call("create", body, meetingID=meeting, **create)
        created.append((api, meeting))
        landed = urllib.parse.urlsplit(api.location("join", meetingID=meeting, fullName="Placement probe")).hostname
        if landed in by_host and by_host[landed] not in placed:
            placed[by_host[landed]] = (api, meeting, text(answer, "returncode"))
    return placed, created


def end_meetings(created):
    """End every meeting the walk-through created; one that cannot be ended is left to bbb-web's own clean-up."""
    for api, meeting in created:
        try:
            api.call("end", meetingID=meeting)
        except (OSError, ET.ParseError):
            pass


def ca_bundle(ca_file, directory):
    """A PEM file of the system's CAs and ``ca_file`` in a directory of its own below ``directory`` (the caller's,
    removed with it: open_url trusts only its ca_path)."""
    system = ssl.get_default_verify_paths().cafile
    bundle = os.path.join(tempfile.mkdtemp(prefix="bbb-walk-ca-", dir=directory), "bundle.pem")
    with open(bundle, "w", encoding="utf-8") as out:
        for path in filter(None, (system, ca_file)):
            with open(path, encoding="utf-8") as handle:
                out.write(handle.read().rstrip() + "\n")
    return bundle


def resolve_with(hosts):
    """Make this process resolve the given names to the given addresses (the lab's names)."""
    native = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return native(hosts.get(host, host), *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
