# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names and helpers that the workflows scenario's test_workflows_<n>_*.py files share.

The lab's proxy and nodes, the node files the tests edit, the snapshot of the managed files that ``clean_state``
(conftest.py) keeps, and the Scalelite double. The helpers every scenario's operator tests share are in
molecule/resources/tests_operator/lab_runs.py (on sys.path through conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from lab_runs import INVENTORY, NODES, PROXIES, RUNNER, SECRETS, host, snapshot

POINT = "20261125T000000Z"
PROXY = PROXIES[0]
ROOM_A, ROOM_B = NODES  # room-a: BBB 3.0, room-b: BBB 2.7
PROPERTIES = "/etc/bigbluebutton/bbb-web.properties"
HTML5 = "/etc/bigbluebutton/bbb-html5.yml"
RETENTION = "/etc/default/bigbluebutton-cron-config"  # room-a: bbb_node_retention_log_days (molecule.yml)
MANAGED = " ".join(
    [
        "/etc/bigbluebutton/bbb-web.properties /etc/bigbluebutton/bbb-html5.yml /etc/bigbluebutton/etherpad.json",
        "/etc/bigbluebutton/nginx /etc/bigbluebutton/bbb-graphql-server.env /etc/bigbluebutton/bbb-graphql-middleware.yml",
        "/etc/systemd/system/*.d /etc/nginx/conf.d/bbb-cluster-proxy.conf",
        "/etc/default/bigbluebutton-cron-config",
    ]
)


def managed_snapshot():
    """sha256 of the files the roles manage (not of the backups they leave beside them)."""
    sums = snapshot(MANAGED)
    return {
        name: "\n".join(line for line in text.splitlines() if not line.endswith("~")) for name, text in sums.items()
    }


LB = "wf-lb.lab.test"  # the Scalelite double (molecule/resources/roles/bbb_lab_scalelite)


def lb_secret():
    return RUNNER.get_variables(LB)["bbb_lab_lb_secret"]


def lb_args():
    """The load balancer as an operator sets it, once for every playbook (bbb_cluster_lb_*)."""
    return [
        "-e",
        f"bbb_cluster_lb_api_url=https://{LB}/bigbluebutton/api",
        "-e",
        f"bbb_cluster_lb_secret={lb_secret()}",
    ]


def scalelite_pool_settled(timeout=60):
    """Wait until Scalelite (its poller, every 5 s in the lab) has every node enabled, online and at the same load:
    the restarts of the tests before leave a node offline or loaded for a poll or two, and Scalelite places a
    meeting on the lowest load (Server.find_available), so a test right after them would see every meeting on the
    other node. Returns getServers' answer."""
    checksum = hashlib.sha256(
        ("getServers" + lb_secret()).encode()
    ).hexdigest()  # Scalelite's checksum (SHA256 allowed)
    deadline = time.monotonic() + timeout
    while True:
        answer = host(PROXY).run(f"curl -sS 'https://{LB}/scalelite/api/getServers?checksum={checksum}'").stdout
        servers = json.loads(answer)
        ready = all(s["state"] == "enabled" and s["online"] == "online" and s["load"] != "unavailable" for s in servers)
        if ready and len({str(s["load"]) for s in servers}) == 1:
            return servers
        assert time.monotonic() < deadline, f"Scalelite's pool did not settle in {timeout} s: {servers}"
        time.sleep(2)


# The job templates of playbooks/controller.yml (role bbb_controller's data), run through ansible-runner as AWX runs
# them: the project (this checkout's playbooks/) and the inventory in a private data dir, the survey answers as AWX
# builds them (test_awx_runner.py).
ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = {
    Path(t["playbook"]).stem: t
    for t in yaml.safe_load((ROOT / "roles/bbb_controller/vars/main.yml").read_text())["bbb_controller_job_templates"]
}


def survey_answers(template, **answers):
    """Extra vars as AWX builds them from a survey: the defaults, overridden by ``answers``."""
    found = {}
    for question in template["survey"]:
        value = answers.get(question["variable"], question.get("default", ""))
        if value == "" and not question["required"]:
            continue  # AWX leaves an unanswered optional question out
        if question["type"] == "integer":
            value = int(value)
        found[question["variable"]] = value
    return found


def private_data_dir(data, name, extra_vars=None, envvars=None, **answers):
    """AWX's private data dir of one job: project, inventory, the template's extra vars with the survey's answers
    over them (AWX's precedence), environment."""
    shutil.copytree(ROOT / "playbooks", data / "project" / "playbooks")
    shutil.copytree(Path(INVENTORY).parent, data / "inventory")
    (data / "env").mkdir()
    extravars = {**(extra_vars or {}), **survey_answers(TEMPLATES[name], **answers)}
    (data / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (data / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_NOCOLOR": "1", **(envvars or {})}))
    return data


def assert_no_secret_in(artifacts):
    """No node's secret and not the load balancer's in any artifact of a job (events, stdout, facts)."""
    for path in artifacts.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in [*SECRETS, lb_secret()]:
                assert secret not in text, f"a secret is in the job's artifact {path}"


def ee_image():
    """The execution environment's image of this checkout (make ee-image; in make test the lab stream built it: the
    lock waits for that build, and the build here is then Docker's cache)."""
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    tarball = ROOT / ".build" / "dist" / f"bbb-cluster_proxy-{version}.tar.gz"
    assert tarball.exists(), f"no {tarball}: run make tarball (make test builds it)"
    built = subprocess.run(
        ["flock", str(ROOT / ".build" / "ee-image.lock"), "bash", str(ROOT / "tools" / "ee_image.sh"), str(tarball)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    return f"bbb-cluster-proxy-ee:{version}"


def lab_in_the_ee(report_dir):
    """What the lab adds to a job in the execution environment (none of it is in the image): the EE joins the lab's
    network (the proxy's and the nodes' names resolve there, as an AWX execution node reaches a cluster); the lab's
    hosts are containers, reached with community.docker's docker connection (the docker CLI and socket, and that
    collection, of this machine); the lab's CA; the report directory; room for Chromium's shared memory."""
    pki = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "pki"
    docker = Path(sys.executable).parent.parent / "lib"
    community = next(docker.glob("python3*/site-packages/ansible_collections/community/docker"))
    report_dir.mkdir(parents=True, exist_ok=True)
    mounts = [
        "/var/run/docker.sock:/var/run/docker.sock",
        f"{shutil.which('docker')}:/usr/bin/docker:ro",
        f"{community}:/lab-collections/ansible_collections/community/docker:ro",
        f"{pki}:{pki}:ro",
        f"{report_dir}:{report_dir}",
    ]
    return {
        "container_volume_mounts": mounts,
        "container_options": ["--network=bbb-lab-workflows", "--shm-size=512m"],
        # the lab's ansible.cfg (Molecule's) is not in the job: its pipelining, as a project's ansible.cfg sets it
        "envvars": {
            "ANSIBLE_COLLECTIONS_PATH": "/usr/share/ansible/collections:/lab-collections",
            "ANSIBLE_PIPELINING": "1",
        },
    }
