#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: node_ready
short_description: Wait until BigBlueButton is really back on a node after C(bbb-conf --restart)
version_added: 0.2.0
description:
  - C(bbb-conf --restart) exits 0 whether or not BigBlueButton came back (upstream C(bbb-conf), C(start_bigbluebutton)
    runs C(systemctl restart bigbluebutton.target) without a check and the option ends in C(exit 0)). This module is
    the check that the rollout waits for, on the node, bounded by O(timeout).
  - "Units: every unit that C(bbb-conf --status) lists (or O(units)) is C(active), and stays so for O(settle) seconds
    with the same main process and restart count: a unit that crash-loops (C(Restart=always) brings it back for a
    moment) is not up."
  - "API: bbb-web answers a checksummed C(getMeetings) at O(api_url) with C(SUCCESS) (it answers some time after its
    unit is active)."
  - "graphql (O(graphql), BigBlueButton 3.0): a check meeting is created, a moderator joins it (C(redirect=false)), and
    the graphql websocket of the node accepts that session's C(connection_init); the meeting is ended again."
  - "Client (O(client_url)): the HTML5 client answers 200 there (through the cluster proxy)."
  - The shared secret is read from C(bbb-conf --secret) on the node; it is never returned or logged.
  - A failure names the check, and for a unit its state and the last O(journal_lines) lines of its journal.
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  api_url:
    description: The node's API, C(https://<node>/bigbluebutton/api).
    type: str
    required: true
  units:
    description: The units that must be active. Empty to take every unit that C(bbb-conf --status) lists.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait, in all, until every check has passed.
    type: int
    default: 180
  settle:
    description: Seconds every unit must stay active with the same main process, once all are active.
    type: int
    default: 15
  graphql:
    description: Also check the graphql websocket with a real session (BigBlueButton 3.0).
    type: bool
    default: false
  client_url:
    description: A URL of the node's HTML5 client that must answer 200 (the client through the proxy). Empty for none.
    type: str
    default: ""
  checksum_algorithm:
    description:
      - The algorithm of the API checksums (one that the node's C(supportedChecksumAlgorithms) lists); empty for
        SHA-256 (the collection's C(bbb_cluster_checksum_algorithm)).
    type: str
    choices: ["", sha1, sha256, sha384, sha512]
    default: ""
  journal_lines:
    description: How many journal lines of a unit that is not up the failure shows.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    description: Reads only, but for the check meeting of O(graphql), which is not created in check mode.
  diff_mode:
    support: none
    description: Nothing to compare.
  platform:
    support: full
    platforms: posix
    description: Runs on the BigBlueButton node (C(bbb-conf), C(systemctl), C(journalctl)).
seealso:
  - module: bbb.cluster_proxy.https_probe
"""

EXAMPLES = r"""
- name: Wait until BigBlueButton is back after its restart
  bbb.cluster_proxy.node_ready:
    api_url: https://bbb-01.example.com/bigbluebutton/api
    graphql: true
    client_url: https://proxy.example.com/bbb-01/html5client/
    timeout: 180
    settle: 15
"""

RETURN = r"""
units:
  description: The units checked, with what systemd said at the end of the settle time.
  type: list
  elements: dict
  returned: always
  contains:
    unit:
      description: The unit's name as C(bbb-conf --status) prints it.
      type: str
    state:
      description: The unit's C(ActiveState) (C(SubState) in brackets where it is not running).
      type: str
      sample: active
    main_pid:
      description: Its main process.
      type: int
    restarts:
      description: Its C(NRestarts).
      type: int
failed_check:
  description: Which check failed (C(units), C(settle), C(api), C(graphql), C(client)), empty when all passed.
  type: str
  returned: always
failed_units:
  description: The units that are not up, each with its state and the last lines of its journal.
  type: list
  elements: dict
  returned: always
  contains:
    unit:
      description: The unit.
      type: str
    state:
      description: Its state.
      type: str
    journal:
      description: The last lines of its journal.
      type: list
      elements: str
api:
  description: The C(returncode) of the API's answer (or what was wrong with it).
  type: str
  returned: always
  sample: SUCCESS
graphql:
  description: What the graphql websocket answered to C(connection_init) (C(connection_ack)), empty when not checked.
  type: str
  returned: always
client_status:
  description: The HTTP status of O(client_url), -1 when not checked or no answer.
  type: int
  returned: always
seconds:
  description: How long the checks took.
  type: float
  returned: always
"""

import re
import time
import uuid
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import (
    DEFAULT_ALGORITHM,
    ApiAnswerError,
    call_url,
    graphql_connection_init,
    parse_answer,
)
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_conf import status_units
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import redact

POLL = 0.5  # seconds between two looks while waiting (a few local commands or one small request)
SHOW = ("ActiveState", "SubState", "MainPID", "NRestarts", "ActiveEnterTimestampMonotonic")
_SECRET = re.compile(r"Secret:\s*(\S+)")


class Node:
    """The node's commands, through the module (run_command, no shell)."""

    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl", required=True)
        self.journalctl = module.get_bin_path("journalctl")
        self.bbb_conf = module.get_bin_path("bbb-conf", required=True)
        self.known_secret = ""

    def status_units(self):
        rc, out, err = self.module.run_command([self.bbb_conf, "--status"])
        if rc != 0:
            self.module.fail_json(msg=f"bbb-conf --status failed (exit {rc}): {(err or out).strip()[-300:]}")
        return [unit["unit"] for unit in status_units(out.splitlines())]

    def secret(self):
        rc, out, err = self.module.run_command([self.bbb_conf, "--secret"])
        found = _SECRET.search(out or "")
        if rc != 0 or not found:
            self.module.fail_json(msg=f"bbb-conf --secret did not name the shared secret (exit {rc})")
        self.module.no_log_values.add(found.group(1))
        self.known_secret = found.group(1)
        return found.group(1)

    def show(self, units):
        """{unit: {ActiveState, SubState, MainPID, NRestarts, ActiveEnterTimestampMonotonic}} in one systemctl call."""
        argv = [self.systemctl, "show", *(f"--property={name}" for name in SHOW), "--", *units]
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(msg=f"systemctl show failed (exit {rc}): {(err or out).strip()[-300:]}")
        return dict(zip(units, parse_show_blocks(out, len(units))))

    def journal(self, unit, lines):
        if not self.journalctl or lines <= 0:
            return []
        rc, out, _err = self.module.run_command(
            [self.journalctl, "--no-pager", "--quiet", "-o", "short-iso", "-n", str(lines), "-u", unit]
        )
        # a unit's output can hold checksums, session tokens, passwords (bbb-web logs a request's checksum): the log
        # bundle's redaction, and the node's secret verbatim
        secrets = [self.known_secret] if self.known_secret else []
        return [redact(line, secrets) for line in out.splitlines()[-lines:]] if rc == 0 else []


def parse_show_blocks(text, count):
    """``systemctl show`` of several units: one block of ``Name=value`` lines per unit, blank lines between, in order."""
    blocks, current = [], {}
    for line in (text or "").splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        name, sep, value = line.partition("=")
        if sep:
            current[name] = value.strip()
    if current:
        blocks.append(current)
    blocks += [{}] * (count - len(blocks))  # a unit systemctl printed nothing for: no properties
    return blocks[:count]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def state_of(shown):
    active, sub = shown.get("ActiveState", "unknown") or "unknown", shown.get("SubState", "")
    return active if active == "active" or not sub or sub == active else f"{active} ({sub})"


def identity(shown):
    """What changes when a unit's process is restarted."""
    return (shown.get("MainPID"), shown.get("NRestarts"), shown.get("ActiveEnterTimestampMonotonic"))


def _get(url, timeout, with_headers=False):
    """(status, body) of a GET, and its headers with ``with_headers``; status -1 and the error where no answer came."""
    headers = {}
    try:
        response = open_url(url, timeout=timeout, follow_redirects="none", validate_certs=True)
        status, body = response.getcode(), response.read().decode("utf-8", "replace")
        headers = response.headers
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is reported as such
        code = getattr(exc, "code", None)
        if isinstance(code, int):
            try:
                body = exc.read().decode("utf-8", "replace")
            except Exception:  # noqa: BLE001
                body = ""
            status = code
        else:
            status, body = -1, str(getattr(exc, "reason", exc))
    return (status, body, headers) if with_headers else (status, body)


def session_cookie(headers):
    """The JSESSIONID cookie of a join's answer (its Set-Cookie), as a browser sends it back, or ''."""
    values = headers.get_all("Set-Cookie") if hasattr(headers, "get_all") else [headers.get("Set-Cookie", "")]
    for value in values or []:
        cookie = (value or "").split(";", 1)[0].strip()
        if cookie.startswith("JSESSIONID="):
            return cookie
    return ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            api_url=dict(type="str", required=True),
            units=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=180),
            settle=dict(type="int", default=15),
            graphql=dict(type="bool", default=False),
            client_url=dict(type="str", default=""),
            checksum_algorithm=dict(type="str", default="", choices=["", "sha1", "sha256", "sha384", "sha512"]),
            journal_lines=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    started = time.monotonic()
    deadline = started + max(params["timeout"], 1)
    node = Node(module)
    result = dict(changed=False, units=[], failed_check="", failed_units=[], api="", graphql="", client_status=-1)

    def fail(check, msg, failed_units=()):
        result.update(failed_check=check, failed_units=list(failed_units), seconds=round(time.monotonic() - started, 1))
        module.fail_json(msg=msg, **result)

    def described(units, shown):
        return [
            {"unit": u, "state": state_of(shown[u]), "journal": node.journal(u, params["journal_lines"])} for u in units
        ]

    # 1. every unit active
    units = params["units"] or node.status_units()
    if not units:
        fail("units", "bbb-conf --status lists no unit")
    units = [u if "." in u.split("@")[-1] else f"{u}.service" for u in units]
    while True:
        shown = node.show(units)
        down = [u for u in units if shown[u].get("ActiveState") != "active"]
        if not down:
            break
        if time.monotonic() >= deadline:
            gone = described(down, shown)
            fail(
                "units",
                f"{len(down)} unit(s) not active {params['timeout']} s after the restart: "
                + "; ".join(f"{g['unit']} is {g['state']}" for g in gone),
                gone,
            )
        time.sleep(min(POLL, max(deadline - time.monotonic(), 0.1)))
    first = shown
    settled_at = time.monotonic() + max(params["settle"], 0)

    # 2. bbb-web answers a checksummed call (it takes a while after its unit is active)
    secret = node.secret()
    algorithm = params["checksum_algorithm"] or DEFAULT_ALGORITHM
    url = call_url(params["api_url"], "getMeetings", {}, secret, algorithm)
    while True:
        status, body = _get(url, timeout=10)
        try:
            answer = parse_answer(body) if status == 200 else None
        except ApiAnswerError as exc:
            answer, result["api"] = None, f"HTTP 200, {exc}"
        if answer is not None:
            result["api"] = answer["returncode"]
            if answer["returncode"] == "SUCCESS":
                break
            result["api"] = f"{answer['returncode']} ({answer['messageKey']}: {answer['message']})"
        elif status != 200:
            result["api"] = f"HTTP {status}" + (f": {body[:200]}" if status == -1 else "")
        if time.monotonic() >= deadline:
            fail(
                "api",
                f"bbb-web did not answer getMeetings with SUCCESS within {params['timeout']} s after the restart "
                f"({params['api_url']}/getMeetings; last: {result['api']})",
                described(["bbb-web.service"] if "bbb-web.service" in units else [], node.show(units)),
            )
        time.sleep(min(POLL, max(deadline - time.monotonic(), 0.1)))

    # 3. the units stay up: same process, no restart, for the settle time
    wait = settled_at - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    shown = node.show(units)
    result["units"] = [
        {
            "unit": u,
            "state": state_of(shown[u]),
            "main_pid": _int(shown[u].get("MainPID")),
            "restarts": _int(shown[u].get("NRestarts")),
        }
        for u in units
    ]
    unstable = [u for u in units if shown[u].get("ActiveState") != "active" or identity(shown[u]) != identity(first[u])]
    if unstable:
        gone = described(unstable, shown)
        fail(
            "settle",
            f"{len(unstable)} unit(s) did not stay up for {params['settle']} s (bbb_node_restart_check_settle) after "
            "they were active: " + "; ".join(f"{g['unit']} is {g['state']}, restarted or stopped" for g in gone),
            gone,
        )

    # 4. the graphql websocket accepts a session (3.0)
    if params["graphql"] and not module.check_mode:
        meeting = f"bbb-cluster-proxy-ready-{uuid.uuid4().hex[:12]}"
        api = params["api_url"]
        host = urlsplit(api).netloc
        created = _get(
            call_url(api, "create", {"meetingID": meeting, "name": "Cluster proxy check"}, secret, algorithm), 10
        )
        try:
            if created[0] != 200 or parse_answer(created[1])["returncode"] != "SUCCESS":
                fail("graphql", f"create of a check meeting did not answer SUCCESS (HTTP {created[0]})")
            join = {"meetingID": meeting, "fullName": "Cluster proxy check", "role": "MODERATOR", "redirect": "false"}
            status, body, headers = _get(call_url(api, "join", join, secret, algorithm), 10, with_headers=True)
            joined = parse_answer(body) if status == 200 else {"returncode": f"HTTP {status}"}
            token = joined.get("session_token", "")
            if joined["returncode"] != "SUCCESS" or not token:
                fail("graphql", f"join of the check meeting gave no session_token ({joined['returncode']})")
            scheme = "wss" if urlsplit(api).scheme == "https" else "ws"
            answer, detail = graphql_connection_init(
                f"{scheme}://{host}/graphql",
                token,
                origin=f"{urlsplit(api).scheme}://{host}",
                cookie=session_cookie(headers),
            )
            result["graphql"] = answer
            if answer != "connection_ack":
                fail(
                    "graphql",
                    f"the graphql websocket (wss://{host}/graphql) did not accept a session's connection_init: "
                    f"{answer} {detail}".strip(),
                    described([u for u in units if "graphql" in u], node.show(units)),
                )
        except ApiAnswerError as exc:
            fail("graphql", f"the check meeting's API answer: {exc}")
        except OSError as exc:
            fail("graphql", f"the graphql websocket (wss://{host}/graphql): {exc}")
        finally:
            _get(call_url(api, "end", {"meetingID": meeting}, secret, algorithm), 10)

    # 5. the client through the proxy
    if params["client_url"]:
        while True:
            status, _body = _get(params["client_url"], timeout=10)
            result["client_status"] = status
            if status == 200:
                break
            if time.monotonic() >= deadline:
                fail("client", f"the client at {params['client_url']} answered HTTP {status}, not 200")
            time.sleep(min(POLL, max(deadline - time.monotonic(), 0.1)))

    result["seconds"] = round(time.monotonic() - started, 1)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
