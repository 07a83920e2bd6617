# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's report (module browser_walkthrough): JUnit XML and HTML, and the module's summary.

``results`` is node name -> the steps in the order they ran, each ``{name, status, message, time}`` with status
``pass`` or ``fail``, and ``findings`` where the step found more than its sentence says (``accessibility``: axe-core's
violations, walkthrough_accessibility). A JUnit test suite per node and a test case per step (the findings in its
system-out); the HTML pages show every step, the findings per node and the node's screenshots
(``screenshots/<hostname>-<step>.png``; the participants': teacher, guest-lobby, learner, guest-in).
"""

from __future__ import annotations

import html
import os
import xml.etree.ElementTree as ET

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_accessibility import (
    findings_html,
    findings_text,
)


def _write(results, junit, page, title, shots, hostname):
    """One JUnit file and one HTML page for the nodes of ``results``."""
    suites = ET.Element("testsuites", name=f"bbb.cluster_proxy browser walk-through: {title}")
    rows = []
    for name, steps in results.items():
        failures = sum(1 for s in steps if s["status"] == "fail")
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(steps)), failures=str(failures))
        for s in steps:
            case = ET.SubElement(suite, "testcase", classname=name, name=s["name"], time=f"{s['time']:.2f}")
            if s["status"] == "fail":
                ET.SubElement(case, "failure", message=s["message"])
            out = s["message"]
            if s.get("findings"):
                out += "\n" + findings_text(s["findings"])
            ET.SubElement(case, "system-out").text = out.rstrip("\n")
            rows.append((name, s))
    ET.ElementTree(suites).write(junit, encoding="utf-8", xml_declaration=True)
    body = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Browser walk-through: {html.escape(title)}</title>",
            "<style>td,th{border:1px solid #999;padding:4px}.fail{background:#fcc}.pass{background:#cfc}"
            ".finding{background:#ffd}</style>",
            f"</head><body><h1>Browser walk-through: {html.escape(title)}</h1>",
            "<table><tr><th>node</th><th>step</th><th>result</th><th>what it saw</th></tr>"]  # fmt: skip
    for name, s in rows:
        body.append(f"<tr class='{s['status']}'><td>{html.escape(name)}</td><td>{s['name']}</td>"
                    f"<td>{s['status']}</td><td>{html.escape(s['message'])}</td></tr>")  # fmt: skip
    body.append("</table>")
    body += [
        findings_html(name, s["findings"]) for name, s in rows if s["name"] == "accessibility" and s.get("findings")
    ]
    mine = [f for f in shots if any(f.startswith(hostname.get(n, n) + "-") for n in results)]
    body += [f"<h2>{html.escape(f)}</h2><img src='screenshots/{html.escape(f)}' width='800'>" for f in mine]
    with open(page, "w", encoding="utf-8") as handle:
        handle.write("\n".join(body) + "</body></html>\n")


def write_report(report_dir, results, hostname):
    """junit.xml and index.html for the whole cluster, and per node <node>.junit.xml and <node>.html.

    ``hostname`` is node name -> public hostname (the screenshots' prefix). Returns the module's ``report``."""
    shots = sorted(os.listdir(os.path.join(report_dir, "screenshots")))
    per_node = {}
    for name, steps in results.items():
        junit, page = (os.path.join(report_dir, f"{name}.{kind}") for kind in ("junit.xml", "html"))
        _write({name: steps}, junit, page, name, shots, hostname)
        per_node[name] = {"junit": junit, "html": page}
    junit, index = os.path.join(report_dir, "junit.xml"), os.path.join(report_dir, "index.html")
    _write(results, junit, index, "every node", shots, hostname)
    return {"junit": junit, "html": index, "nodes": per_node}


def summarize(results):
    """The module's ``nodes`` (passed, steps) and ``summary`` (``pass: <steps>`` or ``FAIL at '<step>': <message>``)."""
    nodes = {
        name: {"passed": all(s["status"] != "fail" for s in steps), "steps": steps} for name, steps in results.items()
    }
    summary = {}
    for name, result in nodes.items():
        failed = [s for s in result["steps"] if s["status"] == "fail"]
        summary[name] = (
            f"FAIL at '{failed[0]['name']}': {failed[0]['message']}"
            if failed
            else "pass: " + ", ".join(s["name"] for s in result["steps"])
        )
    return nodes, summary
