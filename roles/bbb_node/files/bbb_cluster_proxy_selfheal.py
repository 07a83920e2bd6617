# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Self-heal of a BigBlueButton node's cluster-proxy nginx copy after a package upgrade (installed by bbb_node).

Run by bbb-conf (--restart, --setip: /etc/bigbluebutton/bbb-conf/apply-config.sh) and by the systemd path unit
bbb-cluster-proxy-selfheal.path when the package's nginx file changes (apt, dpkg, unattended-upgrades alike).

It re-derives the prefixed copy (e.g. /etc/bigbluebutton/nginx/zz-cluster-proxy.nginx) from the package's current
file with nginx_copy.render, the function the role itself uses, so the result is byte for byte what the next role run
would write. Unchanged: nothing happens. Changed: written, `nginx -t`, nginx reloaded; if nginx -t fails, the last
good file is put back. A change it cannot make safely (the installed release belongs to another version family than
the one the role configured, or the family's package file is gone: 2.7 -> 3.0) is not made: the files stay as they
are, and the marker file (bbb_cluster_selfheal_marker) plus an error in the journal (tag bbb-cluster-proxy-selfheal)
say so; the health playbook and the metric bbb_cluster_proxy_selfheal_failed report the marker. A successful run, or
a run of the role, removes it.

Configuration: /etc/bbb-cluster-proxy/selfheal.json, written by the role (paths, the node's basename and the proxy
origin; no secret). Exit status: 0 healed or nothing to do, 1 refused or failed (marker written), 2 unusable config.
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bbb_release import installed_version as read_version  # noqa: E402  (installed next to this script)
from nginx_copy import CopyError, render  # noqa: E402  (installed next to this script)

TAG = "bbb-cluster-proxy-selfheal"
DEFAULT_CONFIG = "/etc/bbb-cluster-proxy/selfheal.json"


class Refused(Exception):
    """A change the hook does not make; the message says what was found and what to do."""


def journal(priority, message):
    """One line to the journal (syslog facility daemon) and to stdout/stderr (bbb-conf's output)."""
    print(f"{TAG}: {message}", file=sys.stderr if priority == "err" else sys.stdout, flush=True)
    try:
        subprocess.run(["logger", "-t", TAG, "-p", f"daemon.{priority}", "--", message], check=False)
    except OSError:
        pass


def read_text(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")


def write_atomically(path, text, mode=0o644):
    """Write beside ``path`` under a name nginx does not include (*.nginx is), then rename over it."""
    tmp = f"{path}.{TAG}-tmp"
    with open(tmp, "wb") as handle:
        handle.write(text.encode("utf-8", "surrogateescape"))
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def installed_version(cfg):
    """The installed release as the role's facts find it (bbb_release.py, the same code): the release file, else
    the package version (dpkg)."""
    try:
        return read_version(read_text(cfg["release_file"]))
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["dpkg-query", "--showformat=${Version}", "--show", cfg["package"]],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    except OSError:
        return ""
    return read_version(None, out)


def nginx_test():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    try:
        done = subprocess.run([nginx, "-t", "-q"], capture_output=True, text=True, check=False)
    except OSError as exc:
        return False, str(exc)
    return done.returncode == 0, (done.stderr + done.stdout).strip()


def nginx_reason(said):
    """The line of nginx -t that says why (its first emerg/alert/crit/error), not its closing "test failed"."""
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    severe = [line for line in lines if re.search(r"\[(emerg|alert|crit|error)\]", line)]
    if severe:
        return severe[0]
    return lines[-1] if lines else "nothing"


def reload_nginx():
    if subprocess.run(["systemctl", "is-active", "--quiet", "nginx"], check=False).returncode != 0:
        return "nginx is not running; it reads the new file when it starts"
    done = subprocess.run(["systemctl", "reload", "nginx"], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else f"systemctl reload nginx failed: {done.stderr.strip()}"


def heal(cfg, trigger):
    """Bring every nginx copy of the configuration in line with its package file; return the paths written."""
    host, family, versions = cfg.get("host", "this node"), cfg["family"], cfg["versions"]
    paths = ", ".join(f["path"] for f in cfg["files"])
    fix = (
        f"Run the bbb.cluster_proxy site playbook for {host} (it configures the installed version and clears this"
        " marker); docs/runbook.md, 'Self-heal refused or failed'."
    )
    version = installed_version(cfg)
    major_minor = re.match(r"^([0-9]+\.[0-9]+)", version)
    if not major_minor or major_minor.group(1) not in versions:
        raise Refused(
            f"BigBlueButton {version or '(no version found in ' + cfg['release_file'] + ')'} is installed, but the"
            f" cluster-proxy files were made for the version family {family} ({', '.join(versions)}): a family change"
            f" the hook does not make on its own. {paths} left as it is (the last good configuration). {fix}"
        )
    written = []
    for entry in cfg["files"]:
        path, source = entry["path"], entry["source"]
        try:
            text = read_text(source)
        except OSError as exc:
            raise Refused(
                f"{source} cannot be read ({exc.strerror}): the package of family {family} no longer ships it (a"
                f" family change?). {path} left as it is (the last good configuration). {fix}"
            ) from exc
        try:
            wanted = render(
                text, source, entry["basename"], entry["drop_named"], entry["settings"], entry.get("append", "")
            )
        except CopyError as exc:
            raise Refused(f"{source}: {exc}. {path} left as it is (the last good configuration). {fix}") from exc
        try:
            current = read_text(path)
        except FileNotFoundError:
            current = None
        if current == wanted:
            continue
        if current is not None:
            write_atomically(os.path.join(cfg["state_dir"], os.path.basename(path) + ".last-good"), current)
        write_atomically(path, wanted)
        ok, said = nginx_test()
        if not ok:
            if current is None:
                os.unlink(path)
            else:
                write_atomically(path, current)
            raise Refused(
                f"{path} re-derived from the upgraded {source} fails nginx -t, so the last good file was put back"
                f" (nginx keeps running with it). nginx says: {nginx_reason(said)}. {fix}"
            )
        written.append(path)
        journal("notice", f"{path} re-derived from {source} after {trigger}; nginx -t passed")
    if written:
        problem = reload_nginx()
        if problem:
            journal("warning", problem)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    parser.add_argument("--trigger", default="a manual run", help="what ran the hook (for the journal)")
    args = parser.parse_args(argv)
    if not os.path.exists(args.config):
        # the role has not configured this node, or a rollback went back to before it did: nothing to follow
        print(f"{TAG}: {args.config} does not exist; nothing to do")
        return 0
    try:
        with open(args.config, encoding="utf-8") as handle:
            cfg = json.load(handle)
        marker = cfg["marker"]
    except (OSError, ValueError, KeyError) as exc:
        journal("err", f"cannot read {args.config} ({exc}); run the bbb.cluster_proxy site playbook for this node")
        return 2
    os.makedirs(cfg["state_dir"], 0o755, exist_ok=True)
    with open(os.path.join(cfg["state_dir"], "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the path unit and bbb-conf may run it at the same time
        try:
            heal(cfg, args.trigger)
        except Refused as exc:
            when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            os.makedirs(os.path.dirname(marker), 0o755, exist_ok=True)
            write_atomically(marker, f"{when} after {args.trigger}: {exc}\n")
            journal("err", f"SELF-HEAL REFUSED after {args.trigger}: {exc} (marker {marker})")
            return 1
        if os.path.exists(marker):
            os.unlink(marker)
            journal("notice", f"the cluster-proxy nginx copy matches the package again; {marker} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
