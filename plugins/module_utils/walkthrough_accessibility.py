# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's accessibility check (module browser_walkthrough, step ``accessibility``).

axe-core, through the PyPI package axe-playwright-python (imported when the step runs), on the client page as the
proxy serves it; its findings per node (by impact, per rule: its help and help URL, the elements affected) for the
report; whether they reach the operator's threshold (module option ``accessibility_fail_on``). Where the page is the
lab's stand-in client, the findings say so.
"""

from __future__ import annotations

import html

# axe-core's impact levels, least to most serious (axe-core doc/API.md, "impact"); the thresholds an operator picks.
IMPACTS = ("minor", "moderate", "serious", "critical")
THRESHOLDS = ("none", *IMPACTS)
INSTALL = (
    "the accessibility check needs the Python package axe-playwright-python where the module runs (the controller "
    "or the execution environment): pip install axe-playwright-python"
)
# The lab's stand-in clients mark their page with window.bbbLab (molecule/resources/roles/bbb_lab_node/files/app.js
# for 3.0 and later, bbb-html5-double.py's page for 2.x); BigBlueButton's client defines no such global.
STAND_IN = "typeof window.bbbLab === 'object' && window.bbbLab !== null"
STAND_IN_NOTE = "findings are those of the lab's stand-in client, not of BBB's client"


class AccessibilityError(Exception):
    """The check could not run (the package is missing): what to install."""


def _rank(impact):
    """An impact's place in IMPACTS; one axe did not give counts as the most serious (a threshold errs on failing)."""
    return IMPACTS.index(impact) if impact in IMPACTS else len(IMPACTS)


def audit(page, threshold, exclude=()):
    """axe-core's violations on ``page`` (its elements matching the selectors ``exclude`` left out): the findings.

    Raises AccessibilityError with what to install where axe-playwright-python is missing."""
    try:
        from axe_playwright_python.sync_playwright import Axe  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        raise AccessibilityError(f"{INSTALL} ({error})") from error
    stand_in = bool(page.evaluate(STAND_IN))
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    response = Axe().run(page, context=context, options={"resultTypes": ["violations"]}).response
    return findings_of(response, page.url, stand_in, threshold)


def findings_of(response, url, stand_in, threshold):
    """The findings of an axe-core result: engine, page (without its query: the session's token), whether it is the
    lab's stand-in, the threshold, the violated rules (most serious first) and counts per impact."""
    violations = sorted(
        (
            {
                "id": v.get("id", ""),
                "impact": v.get("impact") or "unknown",
                "help": v.get("help", ""),
                "help_url": v.get("helpUrl", ""),
                "nodes": len(v.get("nodes") or []),
            }
            for v in response.get("violations") or []
        ),
        key=lambda v: (-_rank(v["impact"]), v["id"]),
    )
    impacts = [*reversed(IMPACTS), *sorted({v["impact"] for v in violations} - set(IMPACTS))]
    return {
        "engine": f"axe-core {(response.get('testEngine') or {}).get('version', '(version unknown)')}",
        "url": url.split("?")[0],
        "stand_in": stand_in,
        "threshold": threshold,
        "counts": {i: sum(1 for v in violations if v["impact"] == i) for i in impacts},
        "elements": {i: sum(v["nodes"] for v in violations if v["impact"] == i) for i in impacts},
        "violations": violations,
    }


def over_threshold(findings):
    """The violations at or above the threshold (none for the threshold ``none``: report only)."""
    threshold = findings["threshold"]
    if threshold not in IMPACTS:
        return []
    return [v for v in findings["violations"] if _rank(v["impact"]) >= IMPACTS.index(threshold)]


def verdict(findings):
    """(the step's sentence, the violations that fail it)."""
    violations = findings["violations"]
    if violations:
        counts = ", ".join(f"{impact} {count}" for impact, count in findings["counts"].items())
        seen = (
            f"{len(violations)} violated rule(s) ({counts}) on {sum(v['nodes'] for v in violations)} element(s): "
            + ", ".join(v["id"] for v in violations)
        )
    else:
        seen = "no violations"
    over = over_threshold(findings)
    if findings["threshold"] not in IMPACTS:
        judged = "report only (threshold none)"
    elif over:
        judged = f"{len(over)} at or above the threshold {findings['threshold']}: " + ", ".join(
            f"{v['id']} ({v['impact']})" for v in over
        )
    else:
        judged = f"none at or above the threshold {findings['threshold']}"
    sentence = f"{findings['engine']} on {findings['url']}: {seen}; {judged}"
    if findings["stand_in"]:
        sentence += f"; {STAND_IN_NOTE}"
    return sentence, over


def findings_text(findings):
    """The findings, a line per violated rule, for the JUnit report's system-out."""
    lines = [
        f"{v['impact']} {v['id']}: {v['help']} ({v['nodes']} element(s)) {v['help_url']}"
        for v in findings["violations"]
    ]
    if findings["stand_in"]:
        lines.append(STAND_IN_NOTE)
    return "\n".join(lines)


def findings_html(node, findings):
    """An HTML section of a node's findings: the counts per impact and a row per violated rule with its help."""
    esc = html.escape
    body = [
        f"<h2>Accessibility of {esc(node)}'s client</h2>",
        f"<p>{esc(findings['engine'])} on {esc(findings['url'])}; threshold: {esc(findings['threshold'])}"
        + (" (report only)" if findings["threshold"] not in IMPACTS else "")
        + "</p>",
    ]
    if findings["stand_in"]:
        body.append(f"<p class='stand-in'><strong>{esc(STAND_IN_NOTE)}</strong></p>")
    body.append("<table><tr><th>impact</th><th>violated rules</th><th>elements affected</th></tr>")
    body += [
        f"<tr><td>{esc(impact)}</td><td>{count}</td><td>{findings['elements'][impact]}</td></tr>"
        for impact, count in findings["counts"].items()
    ]
    body.append("</table>")
    if findings["violations"]:
        failing = {v["id"] for v in over_threshold(findings)}
        body.append("<table><tr><th>rule</th><th>impact</th><th>elements affected</th><th>help</th></tr>")
        for v in findings["violations"]:
            url = v["help_url"] if v["help_url"].startswith(("https://", "http://")) else ""
            helped = f"<a href='{esc(url)}'>{esc(v['help'])}</a>" if url else esc(v["help"])
            body.append(
                f"<tr class='{'fail' if v['id'] in failing else 'finding'}'><td>{esc(v['id'])}</td>"
                f"<td>{esc(v['impact'])}</td><td>{v['nodes']}</td><td>{helped}</td></tr>"
            )
        body.append("</table>")
    return "\n".join(body)
