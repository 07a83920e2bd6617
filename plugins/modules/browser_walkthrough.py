#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: browser_walkthrough
short_description: Walk through a class on every BigBlueButton node in headless Chromium and report what the network shows
version_added: 0.2.0
description:
  - "Runs on the controller (or in the execution environment), with Playwright and Chromium there; use
    C(delegate_to: localhost). The C(bbb.cluster_proxy.acceptance) playbook calls it with
    C(-e bbb_acceptance_browser=true)."
  - It does not click. It drives the client through the join API's C(userdata-bbb_*) parameters (join audio
    without the echo test, share the camera without the preview) and watches the network. Chromium runs with its
    fake camera and microphone, and the camera and microphone are granted B(once), for the proxy's origin, in one
    browser context that serves every node.
  - Per node, each step is a test case with a result and a message, in this order.
  - (C(create)) a meeting with O(nodes[].api_url), guest policy C(ASK_MODERATOR), a one-page PDF uploaded at
    create (a presentation module in the create body) and, with O(recordings), C(record=true) and
    C(autoStartRecording=true). With O(load_balancer), meetings are created through it until one landed on every
    node.
  - (C(teacher)) the join leads to the node's client on the proxy, and every document, script and stylesheet comes
    from the proxy under the node's path. Every websocket goes to the node, and where the node's client speaks
    graphql (capability C(graphql)) there is at least one.
    The API shows the teacher in the meeting.
  - (C(livekit)) where the node has LiveKit (O(nodes[].livekit)), the client's LiveKit signalling websocket goes to
    the node and is answered there.
  - (C(audio_processor)) where the node's client loads its audio processor by the page's path (capability
    C(audio_processor)), its files, fetched as the client fetches them, come from the proxy under the node's path.
  - (C(media)) the microphone and camera of the join parameters were opened, and the page's origin is the proxy's.
    So the single grant served this node.
  - (C(ice)) the client's peer connections have ICE servers, none on the cluster proxy (nothing answers STUN or
    TURN there), and every one on a host of the node's own STUN/TURN configuration, O(nodes[].ice_servers) (the
    node itself, or a TURN server the cluster shares). With O(media), the remote ICE candidates must be the node's
    addresses.
  - (C(presentation)) the slide of the uploaded document was fetched from the node.
  - (C(accessibility)) axe-core (the Python package C(axe-playwright-python)) checks the teacher's client page as the
    proxy serves it, the walk-through's own notes left out. The report shows its findings per node (violated rules per
    impact, each rule's help and help URL, the number of elements affected); the step passes with them (report only)
    unless O(accessibility_fail_on) names an impact that a violation reaches. Where the page is the lab's stand-in
    client (it defines C(window.bbbLab)), the report says that the findings are the stand-in's, not BBB's client's.
    Without the package the step fails and says what to install.
  - (C(lobby)) a guest waits in the lobby and is not in the meeting (C(getMeetingInfo) does not list it).
  - (C(learner)) a learner (role C(VIEWER), not a guest) joins in the teacher's browser context, and the node reports
    (C(getMeetingInfo)'s attendees) the teacher as C(MODERATOR) and the learner as C(VIEWER). Where the node's client
    speaks graphql (capability C(graphql)), the learner's client then sends the approval of the waiting guest as a
    moderator's client does (mutation C(guestUsersSubmitApprovalStatus) over the node's graphql websocket with the
    learner's session), which must be refused (BBB answers C(Permission Denied (not moderator)), bbb-graphql-actions
    C(throwErrorIfNotModerator)), and the guest must still wait. Elsewhere only the roles are checked, and the step
    says so.
  - (C(guest)) where the node's client speaks graphql, the walk-through lets the waiting guest in as the moderator's
    client does, with the same mutation with the teacher's session, and the guest must then be in the meeting.
  - (C(reconnect)) the walk-through drops the client's websockets (they pass through Playwright's websocket
    routing), and the client must open a new websocket to the node.
  - (C(recording)) with O(recordings), the meeting is ended, and then it must be published within
    O(recording_timeout). Its playback URL and C(/presentation/<recordID>/metadata.xml) must answer on the playback
    host, the node or the load balancer's host (Scalelite serves the recordings it imported). Through
    O(load_balancer), a recording it does not list is looked up on the node, so that published there and not imported is
    told apart from not published, and named at once where the node cannot hand it over
    (O(nodes[].recording_transfer)).
  - Writes a report per node, O(report_dir)/<node>.junit.xml and O(report_dir)/<node>.html, one for the whole
    cluster, O(report_dir)/junit.xml (a test suite per node) and O(report_dir)/index.html, and a screenshot per
    node and step in O(report_dir)/screenshots (the teacher's, the guest's in the lobby and let in, the learner's).
  - Changes nothing on any host; the meetings it creates are ended.
requirements:
  - playwright (Python) and a Chromium it can start (O(chromium)), on the host the module runs on
  - axe-playwright-python (Python) for the C(accessibility) step, on the host the module runs on
  - certutil (NSS tools) when O(ca_file) is set
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  nodes:
    description: The nodes to walk through, as the C(bbb.cluster_proxy.cluster_nodes) filter describes them, plus
      their API.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Inventory name.
        type: str
        required: true
      hostname:
        description: Public hostname of the node.
        type: str
        required: true
      capabilities:
        description:
          - "What the node's version family can do: the C(capabilities) of the node's entry in the cluster (filter
            P(bbb.cluster_proxy.cluster_nodes#filter)), as C(roles/bbb_node/vars/family_<name>.yml) declares them.
            The walk-through branches on these, never on a family's name."
          - "C(graphql) (bool, default V(false)): the client speaks graphql over a websocket to its node. The
            C(teacher) step then requires at least one websocket, and the C(guest) step lets the waiting guest in
            over it."
          - "C(audio_processor) (bool, default V(false)): the client loads its audio processor (BBBA, Musician Mode)
            from C(<prefix>/html5client/wasm/), the prefix taken from the page's path (BBB 4.0; bigbluebutton #24857).
            The C(audio_processor) step fetches its files as the client does and requires them from the proxy under
            the node's path."
          - The family's other capabilities (C(join_suffix), C(proxy_api_location), C(livekit),
            C(guest_lobby_on_node), and any a new family declares) are accepted and not read.
          - One of O(nodes[].capabilities) and O(nodes[].family) is required.
        type: dict
        version_added: 0.2.0
      family:
        description:
          - B(Deprecated), to be removed in 1.0.0; use O(nodes[].capabilities) instead.
          - "The name of the node's version family. Ignored when O(nodes[].capabilities) is given. Given alone, V(3.0)
            stands for C(graphql: true) and V(2.x) for C(graphql: false), as their family files say; any other name
            is refused."
        type: str
      client_url:
        description: The node's client on the proxy, C(https://<proxy>/<label>/html5client/).
        type: str
        required: true
      guest_url:
        description: Where a waiting guest's join leads (the node's guest lobby where the family has the capability
          C(guest_lobby_on_node), else the client).
        type: str
        required: true
      api_url:
        description: The node's BBB API, C(https://<node>/bigbluebutton/api).
        type: str
        required: true
      api_secret:
        description:
          - The node's shared secret (checksums only; never returned). With O(load_balancer), only to ask the node
            whether a recording the load balancer does not list was published there.
        type: str
        default: ""
      livekit:
        description:
          - LiveKit is installed on the node (bbb-livekit's C(/usr/share/bigbluebutton/nginx/livekit.nginx); role
            P(bbb.cluster_proxy.bbb_acceptance#role) looks). Its meeting is created with C(audioBridge),
            C(cameraBridge) and C(screenShareBridge) set to V(livekit), and the C(livekit) step checks that the
            client's LiveKit signalling websocket (C(<url>/rtc)) goes to the node and is answered there, never to the
            proxy (where the client's C(public.media.livekit.url) is missing, it dials the page's host).
          - Through O(load_balancer), the meetings use LiveKit only when every node has it (the load balancer picks
            the node).
        type: bool
        default: false
        version_added: 0.2.0
      recording_transfer:
        description:
          - With O(load_balancer) and O(recordings), what keeps the node from handing its recordings to the load
            balancer (module P(bbb.cluster_proxy.recording_status#module), C(transfer_problem)); empty when nothing
            does. Named as soon as the node published the recording.
        type: str
        default: ""
        version_added: 0.2.0
      ice_servers:
        description:
          - The STUN/TURN URLs of the node's C(/etc/bigbluebutton/turn-stun-servers.xml) as bbb-web serves them (filter
            P(bbb.cluster_proxy.stun_turn_servers#filter)). The client's ICE servers must be on their hosts.
          - Empty to check only that the client has ICE servers and none on the proxy.
        type: list
        elements: str
        default: []
        version_added: 0.2.0
  proxy_origin:
    description: C(https://<proxy>), the one origin of every client.
    type: str
    required: true
  load_balancer:
    description:
      - Create the meetings through this load balancer (Scalelite); joins and calls go through it too.
      - Suboptions C(url) (its C(.../bigbluebutton/api)), C(secret) and C(attempts) (meetings to create at most,
        default 3 per node).
    type: dict
  report_dir:
    description: Directory for C(junit.xml), C(index.html) and the screenshots; created if missing.
    type: path
    required: true
  recordings:
    description: Record the meetings and wait for their publication.
    type: bool
    default: false
  recording_timeout:
    description: Seconds to wait for each recording to be published.
    type: int
    default: 600
  media:
    description:
      - Require that the client's media connected (remote ICE candidates on the node's addresses).
      - Set V(false) where no media server answers (the Molecule lab); the ICE servers are still checked.
    type: bool
    default: true
  chromium:
    description: Path of the Chromium to run; empty means Playwright's own, else C(chromium) or C(chromium-browser)
      on the PATH.
    type: path
    default: ""
  ca_file:
    description: An extra CA certificate (PEM) for Chromium to trust, for a cluster with a private CA.
    type: path
  hosts:
    description: Name to address, for names the controller cannot resolve (the Molecule lab); used by Chromium
      (C(--host-resolver-rules)) and by the module's own API calls.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for each step.
    type: int
    default: 30
  checksum_algorithm:
    description:
      - The algorithm of the API checksums (one that the nodes' C(supportedChecksumAlgorithms) and the load balancer
        accept); empty for SHA-256 (the collection's C(bbb_cluster_checksum_algorithm)).
    type: str
    choices: ["", sha1, sha256, sha384, sha512]
    default: ""
    version_added: 0.2.0
  accessibility_fail_on:
    description:
      - The impact of axe-core's violations at or above which the C(accessibility) step fails (axe-core's levels, least
        to most serious, V(minor), V(moderate), V(serious), V(critical)).
      - V(none) reports the findings only; the step passes whatever they are.
    type: str
    choices: [none, minor, moderate, serious, critical]
    default: none
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Walk through a class on every node in a browser
  bbb.cluster_proxy.browser_walkthrough:
    proxy_origin: https://proxy.example.com
    report_dir: "{{ lookup('ansible.builtin.env', 'PWD') }}/acceptance-report"
    recordings: true
    nodes:
      - name: bbb-01.example.com
        hostname: bbb-01.example.com
        capabilities:
          graphql: true
        client_url: https://proxy.example.com/bbb-01/html5client/
        guest_url: https://proxy.example.com/bbb-01/html5client/
        api_url: https://bbb-01.example.com/bigbluebutton/api
        api_secret: "{{ bbb_01_secret }}"
  delegate_to: localhost
  register: walk

- name: Walk through the first node of the cluster, with the capabilities of its family from its cluster entry
  bbb.cluster_proxy.browser_walkthrough:
    proxy_origin: "{{ node.proxy_origin }}"
    report_dir: /tmp/acceptance-report
    nodes:
      - name: "{{ node.inventory_hostname }}"
        hostname: "{{ node.hostname }}"
        capabilities: "{{ node.capabilities }}"  # graphql, guest_lobby_on_node, ... (roles/bbb_node/vars/family_*.yml)
        client_url: "{{ node.client_url }}"
        guest_url: "{{ node.guest_url }}"
        api_url: "{{ node.node_origin }}/bigbluebutton/api"
        api_secret: "{{ bbb_01_secret }}"
  vars:
    node: "{{ groups['bbb_nodes'] | bbb.cluster_proxy.cluster_nodes(hostvars, bbb_cluster_proxy_hostname) | first }}"
  delegate_to: localhost
"""

RETURN = r"""
summary:
  description: "Per inventory name, C(pass: <steps>) or C(FAIL at '<step>': <message>)."
  type: dict
  returned: always
nodes:
  description:
    - Per inventory name, C(passed) and the steps with their C(status) (pass, fail, not run) and message.
    - The C(accessibility) step also has C(findings) (where axe-core ran), with C(engine), C(url), C(stand_in),
      C(threshold), C(counts) and C(elements) per impact, and C(violations), each with C(id), C(impact), C(help),
      C(help_url) and C(nodes) (the number of elements affected).
  type: dict
  returned: always
report:
  description: Paths of the JUnit XML and the HTML report (C(junit), C(html)), and per node (C(nodes)).
  type: dict
  returned: always
"""

import shutil
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import ALGORITHMS
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_accessibility import THRESHOLDS
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_api import resolve_with
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_browser import run_walkthrough
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_report import summarize
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_steps import (
    HAS_PLAYWRIGHT,
    PLAYWRIGHT_IMPORT_ERROR,
    PlaywrightError,
)

# The deprecated option family (removed in 1.0.0), given alone: the capability the walk-through reads, as the family
# files roles/bbb_node/vars/family_<name>.yml declare it (a unit test holds this to them). No new name comes here.
FAMILY_CAPABILITIES = {"2.x": {"graphql": False}, "3.0": {"graphql": True}}


def node_capabilities(module):
    """Give every node ``capabilities`` with a boolean ``graphql``: its own, else those of its deprecated family."""
    deprecated = []
    for node in module.params["nodes"]:
        where = f"nodes[{node['name']}]"
        if node["family"] is not None:
            deprecated.append(node["name"])
        capabilities = node["capabilities"]
        if capabilities is None:
            if node["family"] not in FAMILY_CAPABILITIES:
                module.fail_json(msg=f"{where}: family {node['family']!r} is not one the deprecated option knows "
                                     f"({', '.join(FAMILY_CAPABILITIES)}): pass capabilities, those of the node's "
                                     "entry in the cluster (roles/bbb_node/vars/family_<name>.yml)")  # fmt: skip
            capabilities = FAMILY_CAPABILITIES[node["family"]]
        try:
            graphql = boolean(capabilities.get("graphql", False), strict=True)
        except TypeError:
            module.fail_json(msg=f"{where}: capabilities.graphql is {capabilities.get('graphql')!r}, not a boolean")
        node["capabilities"] = dict(capabilities, graphql=graphql)
    if deprecated:
        module.deprecate(
            f"nodes[].family is deprecated (given for {', '.join(deprecated)}): pass nodes[].capabilities, those of "
            "the node's entry in the cluster (roles/bbb_node/vars/family_<name>.yml). Where both are given, family is "
            "ignored.",
            version="1.0.0",
            collection_name="bbb.cluster_proxy",
        )


def main():
    node_spec = {
        "name": {"type": "str", "required": True},
        "hostname": {"type": "str", "required": True},
        "capabilities": {"type": "dict"},
        "family": {"type": "str"},
        "client_url": {"type": "str", "required": True},
        "guest_url": {"type": "str", "required": True},
        "api_url": {"type": "str", "required": True},
        "api_secret": {"type": "str", "default": "", "no_log": True},
        "ice_servers": {"type": "list", "elements": "str", "default": []},
        "recording_transfer": {"type": "str", "default": ""},
        "livekit": {"type": "bool", "default": False},
    }
    module = AnsibleModule(
        argument_spec={
            "nodes": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": node_spec,
                "required_one_of": [["capabilities", "family"]],
            },
            "proxy_origin": {"type": "str", "required": True},
            "load_balancer": {"type": "dict", "no_log": False},
            "report_dir": {"type": "path", "required": True},
            "recordings": {"type": "bool", "default": False},
            "recording_timeout": {"type": "int", "default": 600},
            "media": {"type": "bool", "default": True},
            "chromium": {"type": "path", "default": ""},
            "ca_file": {"type": "path"},
            "hosts": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 30},
            "checksum_algorithm": {"type": "str", "default": "", "choices": ["", *ALGORITHMS]},
            "accessibility_fail_on": {"type": "str", "default": "none", "choices": list(THRESHOLDS)},
        },
        supports_check_mode=False,
    )
    if not HAS_PLAYWRIGHT:
        module.fail_json(msg=missing_required_lib("playwright") + " (and a Chromium: python -m playwright install chromium)",
                         exception=PLAYWRIGHT_IMPORT_ERROR)  # fmt: skip
    node_capabilities(module)
    params = dict(module.params)
    lb = params.get("load_balancer")
    if lb:
        module.no_log_values.add(lb.get("secret", ""))
    if params["chromium"] == "":
        params["chromium"] = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    if params.get("ca_file") and not shutil.which("certutil"):
        module.fail_json(msg="ca_file needs certutil (NSS tools: apt-get install libnss3-tools, dnf install nss-tools)")
    if params["hosts"]:
        resolve_with(params["hosts"])
    try:
        results, report = run_walkthrough(module, params)
    except (PlaywrightError, OSError, ET.ParseError) as error:
        module.fail_json(msg=f"browser walk-through could not run: {type(error).__name__}: {error}")
    nodes, summary = summarize(results)
    module.exit_json(changed=False, nodes=nodes, summary=summary, report=report)


if __name__ == "__main__":
    main()
