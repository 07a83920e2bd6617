# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The user-visible promise, in a real browser: one origin, one permission grant, working CORS.

Headless Chromium (Debian's package) driven by Playwright runs on the machine
that runs Molecule and reaches the lab's containers by their addresses on the
lab network (a host resolver rule per lab name); it trusts the lab CA through
an NSS database of its own, so TLS is verified as for a user. Joins are
created through each node's BBB API with a checksum computed here from the
node's secret, as the acceptance playbook does, and the browser follows the
join redirects. Screenshots go to tests/output/browser/ (BBB_BROWSER_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lab_runs import NODES, PROXIES, address, api_url, edit, flat, host, playbook, require, restore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CERTUTIL = shutil.which("certutil")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-test.txt installs it
    sync_playwright = None


@pytest.fixture(scope="module", autouse=True)
def browser_prerequisites():
    """Missing, the browser suite fails with what to install (or is left out by BBB_TEST_SKIP=browser)."""
    missing = [CHROMIUM] if not os.access(CHROMIUM, os.X_OK) else []
    missing += ["certutil"] if CERTUTIL is None else []
    missing += ["playwright (Python)"] if sync_playwright is None else []
    require("browser", missing, "apt-get install chromium libnss3-tools; pip install -r requirements-test.txt")


ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("BBB_BROWSER_ARTIFACTS", ROOT / "tests" / "output" / "browser"))
PROXY = PROXIES[0]
PROXY_ORIGIN = f"https://{PROXY}"
PROPERTIES = "/etc/bigbluebutton/bbb-web.properties"
MIDDLEWARE = "/etc/bigbluebutton/bbb-graphql-middleware.yml"
# What the client page does towards its node: an API call with credentials and the graphql websocket.
CLIENT_CALLS = """async (node) => {
  const result = {};
  try {
    const response = await fetch(`https://${node}/bigbluebutton/api/stuns`, {credentials: "include"});
    result.api = `status ${response.status}`;
  } catch (error) {
    result.api = `error: ${error.message}`;
  }
  result.websocket = await new Promise((resolve) => {
    const socket = new WebSocket(`wss://${node}/graphql`, "graphql-transport-ws");
    // the session of the page's join, with the four headers bbb-graphql-middleware requires (connectionInitHandler);
    // the browser sends the node's session cookie with the upgrade
    const sessionToken = new URLSearchParams(window.location.search).get("sessionToken") || "";
    socket.onopen = () => socket.send(JSON.stringify({type: "connection_init", payload: {headers: {
      "X-Session-Token": sessionToken, "X-ClientSessionUUID": crypto.randomUUID(), "X-ClientType": "HTML5",
      "X-ClientIsMobile": "false"}}}));
    socket.onmessage = (message) => { resolve(`message: ${message.data}`); socket.close(); };
    socket.onerror = () => resolve("error");
    setTimeout(() => resolve("timeout"), 5000);
  });
  return result;
}"""


def label(node):
    return node.split(".", 1)[0]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-home")
    ca = home / "lab-ca.crt"
    ca.write_text(host(PROXY).file("/etc/ssl/bbb-lab/ca.crt").content_string)
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([CERTUTIL, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run([CERTUTIL, "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "bbb-lab", "-i", str(ca)], check=True)
    rules = ", ".join(f"MAP {name} {address(name)}" for name in [PROXY, *NODES])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            env=dict(os.environ, HOME=str(home)),
            args=[
                f"--host-resolver-rules={rules}",
                "--use-fake-device-for-media-stream",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


def join(context, node, name, role="MODERATOR"):
    """Create a meeting on ``node`` through its API and follow the join redirect; return (page, requests)."""
    meeting = f"browser-{label(node)}"
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(api_url(node, "create", meetingID=meeting, name="Browser test", record="false"))
    assert "<returncode>SUCCESS</returncode>" in page.content()
    requests.clear()
    response = page.goto(api_url(node, "join", meetingID=meeting, fullName=name, role=role))
    page.wait_for_load_state("load")
    return page, response, requests


def client_problems(page, response, requests, node):
    """Why the page is not ``node``'s client served through the proxy (empty when it is)."""
    base = f"{PROXY_ORIGIN}/{label(node)}/html5client/"
    problems = []
    if not page.url.startswith(base):
        problems.append(f"the join led to {page.url}, not below {base}")
    if response is None or response.status != 200:
        problems.append(f"the client page answered {response and response.status}")
    elif node not in page.inner_text("#node"):
        problems.append(f"the page is not {node}'s client: {page.inner_text('body')[:200]}")
    loaded = [r for r in requests if r.resource_type in ("document", "script", "stylesheet", "font", "image")]
    problems += [
        f"{r.resource_type} {r.url} did not come through the proxy path"
        for r in loaded
        if not r.url.startswith(base)
        and "/bigbluebutton/api/join" not in r.url
        and not r.url.startswith(f"https://{node}/bigbluebutton/presentation/")  # slides come from the node
    ]
    if not any(r.resource_type == "script" for r in loaded):
        problems.append("no client asset was loaded")
    return problems


def screenshot(page, name, **facts):
    """A screenshot of ``page`` with what the test saw written over it (URL, origin, results)."""
    lines = [f"URL: {page.url}", f"origin: {page.evaluate('window.location.origin')}"]
    lines += [f"{key}: {value}" for key, value in facts.items()]
    page.evaluate(
        """(text) => { const note = document.createElement("pre"); note.id = "bbb-browser-test";
        note.style.cssText = "background:#ffd;border:1px solid #996;padding:8px;font-size:14px;white-space:pre-wrap";
        note.textContent = "bbb.cluster_proxy browser test\\n" + text; document.body.appendChild(note); }""",
        "\n".join(lines),
    )
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def permission(page, name):
    return page.evaluate("async (name) => (await navigator.permissions.query({name})).state", name)


def test_both_clients_load_from_the_proxy_origin_at_their_own_path(context):
    for node in NODES:
        page, response, requests = join(context, node, "Teacher")
        assert client_problems(page, response, requests, node) == []
        assert page.evaluate("window.location.origin") == PROXY_ORIGIN
        assert page.evaluate("window.bbbLab.asset") == "app.js"  # the asset ran, fetched through the proxy
        screenshot(
            page, f"client-{label(node)}", assets=", ".join(r.url for r in requests if r.resource_type == "script")
        )


def test_microphone_and_camera_are_granted_once_for_the_whole_cluster(context):
    first, second = NODES
    page, response, requests = join(context, first, "Learner", role="VIEWER")
    assert client_problems(page, response, requests, first) == []
    assert permission(page, "camera") == "prompt"
    # The user allows microphone and camera once, on the first node's client (the proxy's origin).
    context.grant_permissions(["camera", "microphone"], origin=PROXY_ORIGIN)
    tracks = page.evaluate(
        "async () => (await navigator.mediaDevices.getUserMedia({audio: true, video: true})).getTracks().map(t => t.kind).sort()"
    )
    assert tracks == ["audio", "video"]

    other, response, requests = join(context, second, "Learner", role="VIEWER")
    assert client_problems(other, response, requests, second) == []
    assert (permission(other, "camera"), permission(other, "microphone")) == ("granted", "granted")
    assert other.evaluate("async () => (await navigator.mediaDevices.getUserMedia({audio: true, video: true})).active")
    screenshot(
        other,
        f"client-{label(second)}-granted",
        camera=permission(other, "camera"),
        microphone=permission(other, "microphone"),
        granted="once, on the client of " + first,
    )

    # The same client served from the node's own host is another origin: the grant does not reach it.
    direct = context.new_page()
    assert direct.goto(f"https://{second}/{label(second)}/html5client/").status == 200
    assert direct.evaluate("window.location.origin") == f"https://{second}"
    assert (permission(direct, "camera"), permission(direct, "microphone")) == ("prompt", "prompt")
    screenshot(direct, f"client-{label(second)}-own-origin", camera="prompt", microphone="prompt")


def test_client_reaches_its_node_only_because_the_node_allows_the_proxy_origin(context):
    node = NODES[0]
    page, response, requests = join(context, node, "Teacher")
    assert client_problems(page, response, requests, node) == []
    console = []
    page.on("console", lambda message: console.append(message.text))
    allowed = page.evaluate(CLIENT_CALLS, node)
    assert allowed == {"api": "status 200", "websocket": 'message: {"type": "connection_ack"}'}
    screenshot(page, f"client-{label(node)}-cors-allowed", **allowed)

    properties = edit(
        node, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://elsewhere.example#"
    )
    middleware = edit(node, MIDDLEWARE, "s#authorized_cross_origin:.*#authorized_cross_origin: elsewhere.example#")
    try:
        result = page.evaluate(CLIENT_CALLS, node)
        assert result["api"].startswith("error:"), result
        assert result["websocket"] == "error", result
        assert any("blocked by CORS policy" in line for line in console), console
        screenshot(
            page,
            f"client-{label(node)}-cors-blocked",
            api=result["api"],
            websocket=result["websocket"],
            console=" | ".join(line for line in console if "CORS" in line or "WebSocket" in line),
        )

        rc, output = playbook("bbb.cluster_proxy.acceptance")
        assert rc != 0
        text = flat(output)
        assert f"\"{node}\": \"FAIL at 'Check that the node allows the proxy's origin'" in text
        assert "does not allow the origin https://proxy.lab.test" in text
        rc, output = playbook("bbb.cluster_proxy.drift")
        assert rc != 0
        text = flat(output)
        assert "accessControlAllowOrigin" in text and "https://elsewhere.example" in text
        assert "authorized_cross_origin" in text
    finally:
        restore(node, PROPERTIES, properties)
        restore(node, MIDDLEWARE, middleware)
    assert page.evaluate(CLIENT_CALLS, node)["api"] == "status 200"


def test_a_wrong_proxy_path_is_caught_in_the_browser(context):
    node = NODES[1]
    original = edit(node, PROPERTIES, f"s#{PROXY}/{label(node)}/html5client#{PROXY}/{label(node)}x/html5client#")
    try:
        page, response, requests = join(context, node, "Teacher")
        problems = client_problems(page, response, requests, node)
        assert problems and f"not below {PROXY_ORIGIN}/{label(node)}/html5client/" in problems[0], problems
        assert response.status == 404
        screenshot(page, f"client-{label(node)}-wrong-path", status=response.status, problems="; ".join(problems))
        rc, output = playbook("bbb.cluster_proxy.drift")
        assert rc != 0 and "defaultHTML5ClientUrl" in flat(output)
    finally:
        restore(node, PROPERTIES, original)


def test_screenshots_are_written_next_to_the_report():
    for node in NODES:
        shot = ARTIFACTS / f"client-{label(node)}.png"
        assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
