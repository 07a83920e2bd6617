# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's run (module browser_walkthrough): one headless Chromium for every node.

Chromium runs with its fake camera and microphone, resolves the lab's names as ``hosts`` says, trusts the extra CA
through an NSS database of its own (certutil), and has one browser context in which camera and microphone are granted
once, for the proxy's origin. The meetings are placed before and ended after, whatever happened in between.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_api import (
    ca_bundle,
    end_meetings,
    place_meetings,
)
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_report import write_report
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_scripts import INIT
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_steps import walk_node


def _trust(module, home, ca_file):
    """An NSS database in Chromium's ``home`` that trusts ``ca_file``."""
    nss = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nss)
    module.run_command(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check_rc=True)
    module.run_command(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "bbb-cluster-ca", "-i", ca_file],
                       check_rc=True)  # fmt: skip


def run_walkthrough(module, params):
    """Walk every node of ``params["nodes"]``; ``(results, report)``: node name -> steps, and the report's paths.

    ``params`` are the module's (``ca_file`` is replaced by a bundle of the system's CAs and it, for the API calls).
    Needs Playwright (the module checks for it: walkthrough_steps.HAS_PLAYWRIGHT)."""
    from playwright.sync_api import sync_playwright  # pylint: disable=import-outside-toplevel

    report_dir = params["report_dir"]
    os.makedirs(os.path.join(report_dir, "screenshots"), exist_ok=True)
    extra_ca = params.get("ca_file")  # for Chromium's NSS database
    results = {}
    created = []
    home = tempfile.mkdtemp(prefix="bbb-walk-")
    try:
        if extra_ca:  # removed with home (a meeting that cannot be placed must not leave it behind)
            params["ca_file"] = ca_bundle(extra_ca, home)
        placed, created = place_meetings(params)
        args = ["--use-fake-device-for-media-stream"]
        if params["hosts"]:
            rules = ", ".join(f"MAP {name} {address}" for name, address in params["hosts"].items())
            args.append(f"--host-resolver-rules={rules}")
        env = dict(os.environ, HOME=home)
        if extra_ca:
            _trust(module, home, extra_ca)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=params["chromium"] or None, args=args, env=env)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            # the one grant: camera and microphone for the proxy's origin, for every node's client
            context.grant_permissions(["camera", "microphone"], origin=params["proxy_origin"])
            context.add_init_script(INIT)
            for node in params["nodes"]:
                walk_node(params, context, node, placed, results.setdefault(node["name"], []))
            context.close()
            browser.close()
    finally:
        end_meetings(created)
        shutil.rmtree(home, ignore_errors=True)
    hostname = {node["name"]: node["hostname"] for node in params.get("nodes") or []}
    return results, write_report(report_dir, results, hostname)
