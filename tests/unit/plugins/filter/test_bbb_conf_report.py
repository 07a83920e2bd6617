# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node preflight's reading of bbb-conf --check and --status (filter bbb_conf_report, module_utils/bbb_conf).

The outputs below are built here in upstream's shapes (bigbluebutton-config/bin/bbb-conf: print_bigbluebutton_version,
check_configuration, check_state, display_bigbluebutton_status; see plugins/module_utils/bbb_conf.py), not copied.
"""

from __future__ import annotations

import re
import time

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.bbb_conf_report import FilterModule, bbb_conf_report
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_conf import (
    check_problems,
    parse_status_line,
    report,
    status_units,
    strip_ansi,
)

# display_bigbluebutton_status on a 3.0 node with every optional package installed, in upstream's order.
UNITS_30 = [
    "nginx",
    "freeswitch",
    "redis-server",
    "bbb-apps-akka",
    "bbb-fsesl-akka",
    "bbb-graphql-actions",
    "bbb-graphql-middleware",
    "bbb-graphql-server",
    "bbb-webrtc-sfu",
    "bbb-webrtc-recorder",
    "etherpad",
    "bbb-web",
    "bbb-webhooks",
    "bbb-pads",
    "bbb-export-annotations",
    "bbb-rap-caption-inbox",
    "bbb-rap-resque-worker",
    "bbb-rap-starter",
    "bbb-transcription-controller",
]
# 2.7 (meteor client, kurento): the html5 back- and front-end instances are units of their own.
UNITS_27 = [
    "nginx",
    "freeswitch",
    "redis-server",
    "bbb-apps-akka",
    "bbb-fsesl-akka",
    "mongod",
    "bbb-html5",
    "bbb-html5-backend@1",
    "bbb-html5-backend@2",
    "bbb-html5-frontend@1",
    "bbb-html5-frontend@2",
    "bbb-webrtc-sfu",
    "bbb-webrtc-recorder",
    "kurento-media-server",
    "etherpad",
    "bbb-web",
    "bbb-pads",
    "bbb-export-annotations",
    "bbb-rap-caption-inbox",
    "bbb-rap-resque-worker",
    "bbb-rap-starter",
]
LINE = "—" * 28 + "►"  # upstream's line='———…►'


def status_line(unit, state="active"):
    """printf "%s %s [✔ - $status]\\n" $unit "${line:${#unit}}" (✘ where systemctl is-active is not active)."""
    mark = "✔" if state == "active" else "✘"
    return f"{unit} {LINE[len(unit) :]} [{mark} - {state}]"


def status_out(units, states=None):
    states = states or {}
    return "\n".join(status_line(u, states.get(u, "active")) for u in units)


def check_out(release="3.0.30", findings=()):
    head = [
        "",
        f"BigBlueButton Server {release} (5034)",
        "                    Kernel version: 5.15.0-126-generic",
        "                      Distribution: Ubuntu 22.04.5 LTS (64-bit)",
        "                            Memory: 16002 MB",
        "                         CPU cores: 8",
        "",
        "/etc/bigbluebutton/bbb-web.properties (override for bbb-web)",
        "/usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties (bbb-web)",
        "       bigbluebutton.web.serverURL: https://bbb-01.example.com",
        "                defaultGuestPolicy: ALWAYS_ACCEPT",
        "              defaultMeetingLayout: CUSTOM_LAYOUT",
        "",
        "/etc/nginx/sites-available/bigbluebutton (nginx)",
        "                       server_name: bbb-01.example.com",
        "                              port: 80, [::]:80127.0.0.1:82 http2 proxy_protocol, [::1]:82 http2",
        "",
        "",
        "# Potential problems described below",
        "",
    ]
    return "\n".join([*head, *findings]) + "\n"


def result(item, stdout="", rc=0, stderr="", msg=""):
    """A registered loop result of ansible.builtin.command (stdout and stderr without their last newline)."""
    stdout, stderr = stdout.rstrip("\r\n"), stderr.rstrip("\r\n")
    return {
        "item": item,
        "rc": rc,
        "stdout": stdout,
        "stdout_lines": stdout.splitlines(),
        "stderr": stderr,
        "stderr_lines": stderr.splitlines(),
        "msg": msg,
        "changed": False,
    }


def results(check, status, check_rc=0, status_rc=0, **kw):
    return [result("--check", check, rc=check_rc, **kw), result("--status", status, rc=status_rc)]


WARNINGS = [
    "",
    "# Warning: No firewall detected.  Recommend using setting up a firewall for your server",
    "#",
    "#     https://docs.bigbluebutton.org/administration/firewall-configuration",
    "#",
    "",
    "# Warning: found only 2 cores, whereas this server should have (at least) 4 CPU cores",
    "# to run BigBlueButton in production.",
]
FAILED_UNITS = {"bbb-web": "inactive", "bbb-graphql-server": "failed", "etherpad": "activating"}
PROBLEM_LINES = [
    "# Not running:  Nginx redis-server",
    "# Error: Could not connect to the configured hostname/IP address",
    "#",
    "#    https://bbb-01.example.com/",
    "#",
    "# If your BigBlueButton server is behind a firewall, see FAQ.",
    "",
    # check_state: `if bbb-conf --status | grep inactive` echoes the lines it found, then the finding
    status_line("bbb-web", "inactive"),
    "# Error: Detected some processes have not started correctly",
    "#",
    "#   " + status_line("bbb-web", "inactive"),
    "#",
]


def test_healthy_30_node_every_unit_active():
    out = bbb_conf_report(results(check_out(), status_out(UNITS_30)))
    assert out == {
        "server": "BigBlueButton Server 3.0.30 (5034)",
        "warnings": [],
        "problems": [],
        "units": [{"unit": u, "state": "active"} for u in UNITS_30],
    }
    assert len(out["units"]) == 19
    assert FilterModule().filters() == {"bbb_conf_report": bbb_conf_report}


def test_healthy_27_node_with_html5_instances():
    out = bbb_conf_report(results(check_out("2.7.12"), status_out(UNITS_27)))
    assert out["server"] == "BigBlueButton Server 2.7.12 (5034)"
    assert [u["unit"] for u in out["units"]] == UNITS_27
    assert out["problems"] == []


def test_failed_units_are_problems_naming_unit_and_state():
    out = bbb_conf_report(results(check_out(findings=PROBLEM_LINES), status_out(UNITS_30, FAILED_UNITS)))
    assert out["problems"] == [
        "Not running: Nginx redis-server",
        "Error: Could not connect to the configured hostname/IP address",
        "Error: Detected some processes have not started correctly",
        "bbb-graphql-server is failed (bbb-conf --status)",
        "etherpad is activating (bbb-conf --status)",
        "bbb-web is inactive (bbb-conf --status)",
    ]
    states = {u["unit"]: u["state"] for u in out["units"]}
    assert states["bbb-web"] == "inactive" and states["nginx"] == "active" and len(states) == len(UNITS_30)


def test_a_failed_unit_is_a_problem_though_check_state_only_greps_inactive():
    """check_state's "Detected some processes" only looks for 'inactive': a crashed unit shows in --status only."""
    out = bbb_conf_report(results(check_out(), status_out(UNITS_30, {"bbb-web": "failed"})))
    assert out["problems"] == ["bbb-web is failed (bbb-conf --status)"]


def test_warnings_are_kept_as_printed_and_are_no_problems():
    out = bbb_conf_report(results(check_out(findings=WARNINGS), status_out(UNITS_30)))
    assert out["warnings"] == [WARNINGS[1], WARNINGS[6]]
    assert out["problems"] == []


def test_lab_double_shapes():
    """The lab's bbb-conf double: no space before the bracket, the 3.0 units it lists, its --check findings."""
    status = "\n".join(
        [
            "nginx ———————————————————►[✔ - active]",
            "bbb-web ———————————————————►[✘ - inactive]",
            "bbb-graphql-server ———————————————————►[✔ - active]",
            "bbb-graphql-middleware ———————————————————►[✔ - active]",
        ]
    )
    check = "\n".join(
        [
            "BigBlueButton Server 3.0.30 (lab double)",
            "                    Kernel version: 6.1.0",
            "# Not running:  Nginx",
            "",
            "# Error: Could not connect to the configured hostname/IP address",
            "#",
            "#    https://room-b.lab.test",
            "# Error: Detected some processes have not started correctly",
            "#",
            "#    bbb-web [✘ - inactive]",
        ]
    )
    out = bbb_conf_report(results(check, status))
    assert out["server"] == "BigBlueButton Server 3.0.30 (lab double)"
    assert out["problems"] == [
        "Not running: Nginx",
        "Error: Could not connect to the configured hostname/IP address",
        "Error: Detected some processes have not started correctly",
        "bbb-web is inactive (bbb-conf --status)",
    ]
    assert [u["unit"] for u in out["units"]] == ["nginx", "bbb-web", "bbb-graphql-server", "bbb-graphql-middleware"]


@pytest.mark.parametrize(
    ("stdout", "stderr", "msg", "detail"),
    [
        (
            "\n# BigBlueButton does not appear to be installed.  Could not\n"
            "# locate: /etc/bigbluebutton/bigbluebutton-release\n",
            "",
            "non-zero return code",
            "# locate: /etc/bigbluebutton/bigbluebutton-release",
        ),
        (
            "# Tried to check server_name in\n#    /etc/nginx/sites-available/bigbluebutton\n# but value is empty.",
            "",
            "",
            "# but value is empty.",
        ),
        ("Need to be root to run this option", "sudo: a password is required", "", "sudo: a password is required"),
        (
            "",
            "",
            "[Errno 2] No such file or directory: b'bbb-conf'",
            "[Errno 2] No such file or directory: b'bbb-conf'",
        ),
        ("", "", "", "no output"),
    ],
)
def test_a_failed_check_is_the_one_problem(stdout, stderr, msg, detail):
    rc = 2 if msg.startswith("[Errno") else 1
    out = bbb_conf_report(
        [
            result("--check", stdout, rc=rc, stderr=stderr, msg=msg),
            result("--status", status_out(UNITS_30, FAILED_UNITS)),
        ]
    )
    assert out["problems"] == [f"bbb-conf --check failed (exit {rc}): {detail}"]
    assert len(out["units"]) == len(UNITS_30)  # still reported, not judged


def test_a_failed_check_without_stdout_lines_keys():
    """A result that only has stdout/stderr (no *_lines) reads the same."""
    res = {"item": "--check", "rc": 1, "stdout": "a\nb", "stderr": "c\n"}
    assert bbb_conf_report([res])["problems"] == ["bbb-conf --check failed (exit 1): c"]
    assert bbb_conf_report([{"item": "--check", "msg": "boom"}])["problems"] == [
        "bbb-conf --check failed (exit unknown): boom"
    ]


def test_a_failed_status_is_a_problem():
    out = bbb_conf_report([result("--check", check_out()), result("--status", "bbb-conf must be ran as root!", rc=1)])
    assert out["problems"] == ["bbb-conf --status failed (exit 1): bbb-conf must be ran as root!"]
    assert out["units"] == []


def test_empty_output():
    assert bbb_conf_report(results("", "")) == {"server": "", "warnings": [], "problems": [], "units": []}
    # --check alone, and the registered loop result itself
    assert bbb_conf_report([result("--check", check_out())])["units"] == []
    assert bbb_conf_report({"results": results(check_out(), status_out(UNITS_30))})["problems"] == []


def test_results_found_by_item_in_any_order():
    check, status = results(check_out(findings=PROBLEM_LINES), status_out(UNITS_30, FAILED_UNITS))
    assert bbb_conf_report([status, check]) == bbb_conf_report([check, status])


@pytest.mark.parametrize("bad", [None, "text", 3, ["text"], {"rc": 0}, []])
def test_bad_input_names_the_value_and_the_fix(bad):
    with pytest.raises(AnsibleFilterError, match=r"bbb_conf_report: .*loop: \[--check, --status\]"):
        bbb_conf_report(bad)


@pytest.mark.parametrize(
    ("line", "want"),
    [
        (status_line("bbb-web", "inactive"), {"unit": "bbb-web", "state": "inactive"}),
        ("\x1b[32mnginx\x1b[0m ————► \x1b[1;32m[✔ - active]\x1b[0m   ", {"unit": "nginx", "state": "active"}),
        ("bbb-export-annotations ► [✔ - active]", {"unit": "bbb-export-annotations", "state": "active"}),
        (
            "bbb-transcription-controller-with-a-long-name  [✘ - failed]\r",
            {"unit": "bbb-transcription-controller-with-a-long-name", "state": "failed"},
        ),
        (
            "bbb-transcription-controller-long  [✘ - failed]",
            {"unit": "bbb-transcription-controller-long", "state": "failed"},
        ),
        ("bbb-html5-backend@1 ——► [✘ - deactivating]", {"unit": "bbb-html5-backend@1", "state": "deactivating"}),
        ("  bbb-pads ———► [✘ - inactive]\t ", {"unit": "bbb-pads", "state": "inactive"}),
        ("#   bbb-web ———► [✘ - inactive]", None),
        ("[✘ - inactive]", None),
        ("———► [✘ - inactive]", None),
        ("bbb-web ———► [✘ - ]", None),
        ("bbb-web ———► [? - active]", None),
        ("port: 80, [::]:80", None),
        ("bbb-web ———► [✘ - inactive", None),
        ("", None),
    ],
)
def test_status_lines(line, want):
    assert parse_status_line(line) == want


def test_status_skips_lines_that_are_not_unit_lines():
    text = "\n".join(["", "Unit status:", "┌──────┐", *status_out(UNITS_30).splitlines(), "└──────┘", "  "])
    assert [u["unit"] for u in status_units(text.splitlines())] == UNITS_30


def test_colour_codes_do_not_change_check_findings():
    lines = ["\x1b[31m# Error: Unable to connect to the FreeSWITCH Event Socket Layer on port 8021\x1b[0m  "]
    assert check_problems(lines) == ["Error: Unable to connect to the FreeSWITCH Event Socket Layer on port 8021"]
    assert strip_ansi("\x1b[1;31mred\x1b(B\x1b[m") == "red"  # tput setaf 1, tput sgr0
    assert strip_ansi("\x1b[" + "1;" * 3) == "1;" * 3  # unterminated: ESC [ goes, the parameters stay


# --- What the Jinja did before (roles/bbb_node/vars/main.yml, __bbb_node_problems), as regular expressions -------


def jinja_problems(check, status):
    if check["rc"] != 0:
        lines = check["stdout_lines"] + check["stderr_lines"]
        return [f"bbb-conf --check failed (exit {check['rc']}): {lines[-1] if lines else check['msg'] or 'no output'}"]
    found = [
        re.sub(r"\s+", " ", re.sub(r"^# ", "", line))
        for line in check["stdout_lines"]
        if re.match(r"^# (Error|Not running):", line)
    ]
    for line in status["stdout_lines"]:
        if re.search(r"\[✘", line):
            found.append(re.sub(r"\]\s*$", " (bbb-conf --status)", re.sub(r"[\s—►]+\[✘ - ", " is ", line)))
    return found


@pytest.mark.parametrize(
    "case",
    [
        results(check_out(), status_out(UNITS_30)),
        results(check_out(findings=PROBLEM_LINES + WARNINGS), status_out(UNITS_30, FAILED_UNITS)),
        results(check_out(findings=PROBLEM_LINES), status_out(UNITS_27, {"bbb-html5-frontend@2": "failed"})),
        results("# locate: /etc/bigbluebutton/bigbluebutton-release", "", check_rc=1),
        results("", "", check_rc=1, msg="non-zero return code"),
    ],
)
def test_same_answer_as_the_jinja_it_replaces(case):
    check, status = case
    out = bbb_conf_report(case)
    assert out["problems"] == jinja_problems(check, status)
    assert out["server"] == (re.search(r"BigBlueButton Server [^\n]*", check["stdout"]) or [""])[0]
    assert out["warnings"] == [line for line in check["stdout_lines"] if re.match(r"^# Warning", line)]


# --- Production size ---------------------------------------------------------------------------------------------


def production_sized(check, status, size=4 * 1024 * 1024):
    """The same findings in several MiB of output that holds nothing else to find.

    Filler that is no finding: detail lines of findings, check_state's progress dots on one line, settings, colour
    codes, lines that start like a unit line or a finding but are not one (unclosed brackets, long runs of dashes and
    escape parameters, the pathological inputs for a backtracking parser).
    """
    noise = [
        "#    /var/bigbluebutton/published/presentation/" + "a" * 40 + "-1732867200000/metadata.xml",
        "." * 20000,
        "                    sipjsHackViaWs: true",
        "\x1b[1;33m" + "—" * 5000 + "\x1b[0m",
        "bbb-web " + "—" * 20000 + "► [✘ - inactive",
        "[" * 5000 + "✘ - " * 2000,
        "\x1b[" + "1;" * 10000,
        "#" + " " * 20000 + "Error:",
        "BigBlueButton Server" + " " * 3,
        "\t" * 5000 + "# Warning",
    ]
    block = "\n".join(noise) + "\n"
    reps = size // len(block) + 1
    check_lines = check.split("\n")
    cut = check_lines.index("# Potential problems described below")
    big_check = "\n".join(check_lines[:cut]) + "\n" + block * reps + "\n".join(check_lines[cut:])
    big_status = block * (reps // 2) + status + "\n" + block * (reps // 2)
    return big_check, big_status


def test_production_sized_output_gives_the_same_answer_in_well_under_a_second():
    check = check_out(findings=PROBLEM_LINES + WARNINGS)
    status = status_out(UNITS_30, FAILED_UNITS)
    small = bbb_conf_report(results(check, status))
    big_check, big_status = production_sized(check, status)
    assert len(big_check.encode()) > 4 * 1024 * 1024 and len(big_status.encode()) > 4 * 1024 * 1024
    big_results = results(big_check, big_status)
    start = time.perf_counter()
    big = bbb_conf_report(big_results)
    elapsed = time.perf_counter() - start
    assert big == small
    assert small["problems"] and small["warnings"] and len(small["units"]) == len(UNITS_30)
    assert elapsed < 2, f"{elapsed:.2f} s for {len(big_check) + len(big_status)} characters"


def test_time_grows_in_proportion_to_the_output():
    """Eight times the output takes about eight times as long (a quadratic parser would take 64 times as long): a
    ratio wide enough that a busy machine's noise does not decide it."""
    check = check_out(findings=PROBLEM_LINES)
    status = status_out(UNITS_30, FAILED_UNITS)

    def timed(size):
        case = results(*production_sized(check, status, size))

        def once():
            start = time.perf_counter()
            report(*case)
            return time.perf_counter() - start

        return min(once() for _attempt in range(5))

    small, large = timed(512 * 1024), timed(4 * 1024 * 1024)
    assert large < small * 24, f"0.5 MiB {small:.3f} s, 4 MiB {large:.3f} s"
