# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus textfile metrics of a BigBlueButton node or of the cluster proxy (role bbb.cluster_proxy.bbb_metrics).

Run by bbb-cluster-proxy-metrics.service (a timer, every 5 minutes by default) as
``python3 bbb_cluster_proxy_metrics.py /etc/bbb-cluster-proxy/metrics.json``. Standard library only. The role
installs beside it the collection's measuring code that the health playbook's modules run too (plugins/module_utils:
recordings.py, disk.py, certificates.py), so both measure a fact the same way; this file counts logs, keeps state
between runs and writes the output.

What it reads, and where upstream writes it:

- api_errors_total{reason}: bbb-web.log lines ``<ts> ERROR <logger>ApiController - <message>``. Upstream:
  bigbluebutton-web ApiController.groovy, validateRequest (``log.error violation.getValue()``, a line per
  violation); the messages of bbb-common-web's constraints (ChecksumConstraint "Checksums do not match",
  MeetingExistsConstraint "A meeting with that ID does not exist", ...); logback.xml's pattern
  ``%d %-5level %logger{35} - %msg``.
- joins_total, join_failures_total: ``ApiController#join`` lines (every join request) minus ``--analytics--``
  lines with ``"logCode":"join_api"`` (every successful join); a request without its success line is pending
  (kept in the state file) until JOIN_GRACE seconds have passed. Upstream: ApiController.groovy, join (the debug
  line first, the analytics line only on success). A failed join answers a 302 to the logout URL with
  ``errors=``, as a successful one answers a 302 to the client, so the HTTP status cannot tell them apart.
- recordings{state}, recording_oldest_unprocessed_age_seconds: the markers
  /var/bigbluebutton/recording/status/{recorded,archived,sanity,processed,published}/<id>[-<format>].{done,fail,norecord}.
  Upstream: bbb-web (recorded/<id>.done at the meeting's end); record-and-playback's archive_worker.rb,
  sanity_worker.rb, process_worker.rb, publish_worker.rb. Read by recordings.scan, counted by recordings.last_steps.
- recording_oldest_published_age_seconds, recording_retention_seconds{kind}: the published markers
  (recordings.oldest_published), against the retention of BigBlueButton's daily job: its defaults, overridden in
  /etc/default/bigbluebutton-cron-config (retention.effective; bbb_node_retention_* of the bbb_node role). Alert
  where the first exceeds recording_retention_seconds{kind="published"} by more than a day (the job is daily).
- proxy_requests_total{node}, proxy_responses_5xx_total{node,code}: the proxy's access log, format
  ``bbb_cluster_proxy`` (combined + `` node=<host> upstream=<addr> rt= urt= cache=``,
  roles/bbb_proxy/templates/bbb-cluster-proxy.conf.j2).
- disk_*_bytes, disk_growth_bytes_per_day: statvfs of the disk path (disk.disk_usage); the growth from samples in
  the state file.
- certificate_expiry_timestamp_seconds{certificate}: the certificates nginx's ``ssl_certificate`` directives name
  (their notAfter: certificates.not_after).
- selfheal_failed: whether the self-heal marker file exists (written by the self-heal part of the collection).

Logs are read incrementally (inode and offset in the state file); after a rotation the rest of the rotated file
(found by its inode in the same directory) is read first. Counters live in the state file and only grow. The
output file is written to a temporary file and renamed, as node_exporter's textfile collector wants. Of BigBlueButton's
configuration the script reads only the daily job's override file (numbers of days), so it never sees the shared
secret.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# installed next to this script: the collection's plugins/module_utils files of the same names
from certificates import not_after  # noqa: E402
from disk import disk_usage  # noqa: E402
from recordings import STATES, last_steps, oldest_published  # noqa: E402
from retention import CONFIG as RETENTION_CONFIG  # noqa: E402
from retention import effective as retention_policy  # noqa: E402

PREFIX = "bbb_cluster_proxy_"

# bbb-web's logback pattern: %d{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX"} %-5level %logger{35} - %msg%n
BBB_WEB_LINE = re.compile(r"^\S+\s+(?P<level>[A-Z]+)\s+(?P<logger>\S+)\s+-\s(?P<msg>.*)$")
# The messages of bbb-common-web's validation constraints -> their keys (what the XML answer calls messageKey).
API_ERROR_REASONS = {
    "Checksums do not match": "checksumError",
    "You must provide the checksum": "checksumError",
    "A meeting with that ID does not exist": "notFound",
    "You must provide a meeting ID": "missingParamMeetingID",
    "You must provide your name": "missingParamFullName",
    "The meeting has been forcibly ended": "meetingForciblyEnded",
}
# the bbb_cluster_proxy log format: combined, then node= upstream= rt= urt= cache=
PROXY_LINE = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]*\] "(?:[^"\\]|\\.)*" (?P<status>\d{3}) \S+ "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*"'
    r" node=(?P<node>\S*) "
)
SSL_CERTIFICATE = re.compile(r"^\s*ssl_certificate\s+([^;\s]+)\s*;", re.MULTILINE)


# ---- logs -------------------------------------------------------------------------------------------------------


def read_text(path):
    """A small text file's content, '' where it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def read_new(path, position):
    """Complete lines appended to ``path`` since ``position`` ({"inode", "offset"}); returns (lines, new position).

    A rotated file (other inode) is finished from its old inode's file in the same directory, then the new file is
    read from its start; a truncated file is read from its start. (The list of iter_new's lines.)
    """
    end = {}
    lines = list(iter_new(path, position, end))
    return lines, end


def iter_new(path, position, end):
    """The lines of read_new one at a time (a busy proxy's first run reads a day's access log: it is never held
    whole); once they are all read, ``end`` holds the new position (``position`` when the file is missing)."""
    end.update(position)
    try:
        st = os.stat(path)
    except OSError:
        return
    inode, offset = position.get("inode"), int(position.get("offset", 0))
    if inode is not None and inode != st.st_ino:
        for candidate in glob.glob(os.path.join(os.path.dirname(path) or ".", "*")):
            try:
                if os.stat(candidate).st_ino == inode and os.path.isfile(candidate):
                    yield from _lines_from(candidate, offset, {})
                    break
            except OSError:
                continue
        offset = 0
    elif st.st_size < offset:
        offset = 0
    done = {"offset": offset}
    yield from _lines_from(path, offset, done)
    end.clear()
    end.update(inode=st.st_ino, offset=done["offset"])


def _lines_from(path, offset, done):
    """The complete lines of ``path`` from ``offset``, one at a time; ``done["offset"]`` follows the last one read (a
    line still being written, without its newline, is read next time)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            offset += len(raw)
            done["offset"] = offset
            yield raw[: -2 if raw.endswith(b"\r\n") else -1].decode("utf-8", "replace")


# A join request whose analytics line has not come within this many seconds (of the metrics run) has failed;
# bbb-web writes both in the same request, milliseconds apart.
JOIN_GRACE = 60


def _log_time(line):
    """The epoch seconds of a bbb-web.log line's logback timestamp (``XXX`` writes ``Z`` for UTC), or None."""
    stamp = line.split(None, 1)[0] if line.strip() else ""
    try:
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def count_bbb_web(lines, counters, now=None):
    """Add API errors (by reason), join requests and failed joins of bbb-web log lines to ``counters``.

    A join request is pending until its outcome: its success line (the oldest pending request takes the next
    success), an ERROR line of its validation (the first ERROR after a ``ApiController#join`` line, before the
    next request line: validateRequest logs one per violation), or JOIN_GRACE seconds without either, when it
    counts as failed. Pending requests stay in ``counters`` for the next run, so that a run between a request and
    its success line counts no failure.
    """
    now = time.time() if now is None else now
    errors = counters.setdefault("api_errors", {})
    pending = list(counters.get("join_pending", []))
    joins = refused = 0
    in_join = False  # the last request line was a join whose validation has not logged an ERROR yet
    for line in lines:
        match = BBB_WEB_LINE.match(line)
        if not match or not match.group("logger").endswith("ApiController"):
            continue
        level, msg = match.group("level"), match.group("msg").strip()
        if level == "ERROR":
            reason = API_ERROR_REASONS.get(msg, "other")
            errors[reason] = errors.get(reason, 0) + 1
            if in_join and pending:
                pending.pop()
                refused += 1
            in_join = False
        elif msg.startswith("ApiController#"):
            in_join = msg == "ApiController#join"
            if in_join:
                joins += 1
                stamp = _log_time(line)
                pending.append(now if stamp is None else stamp)
        elif msg.startswith("--analytics-- data=") and '"logCode":"join_api"' in msg.replace(" ", ""):
            if pending:
                pending.pop(0)
            in_join = False
    failed = [stamp for stamp in pending if stamp <= now - JOIN_GRACE]
    counters["joins"] = counters.get("joins", 0) + joins
    counters["join_failures"] = counters.get("join_failures", 0) + refused + len(failed)
    counters["join_pending"] = [stamp for stamp in pending if stamp > now - JOIN_GRACE]
    return counters


def count_proxy(lines, counters):
    """Add requests and 5xx answers per node of proxy access log lines to ``counters``."""
    requests = counters.setdefault("requests", {})
    errors = counters.setdefault("errors_5xx", {})
    for line in lines:
        match = PROXY_LINE.match(line)
        if not match:
            continue
        node, status = match.group("node"), match.group("status")
        if node in ("", "-"):
            continue
        requests[node] = requests.get(node, 0) + 1
        if status.startswith("5"):
            key = node + " " + status
            errors[key] = errors.get(key, 0) + 1
    return counters


# ---- disk ---------------------------------------------------------------------------------------------------------


def disk_growth(samples, now, used, window):
    """Bytes per day from the oldest sample within ``window`` seconds; returns (growth, seconds, samples kept)."""
    kept = [s for s in samples if now - s[0] <= window and s[0] < now] + [[now, used]]
    first = kept[0]
    seconds = now - first[0]
    growth = (used - first[1]) * 86400.0 / seconds if seconds > 0 else 0.0
    return growth, seconds, kept


# ---- certificates -------------------------------------------------------------------------------------------------


def nginx_certificates(patterns):
    """The ssl_certificate paths named by the nginx files matching ``patterns``, sorted, once each."""
    found = set()
    for pattern in patterns:
        for path in glob.glob(pattern):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            found.update(p for p in SSL_CERTIFICATE.findall(text) if "$" not in p)
    return sorted(found)


# ---- output -------------------------------------------------------------------------------------------------------


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(int(value))


def render(families):
    """Text exposition format: ``families`` is a list of (name, type, help, [(labels dict, value)])."""
    out = []
    for name, kind, text, samples in families:
        full = PREFIX + name
        out.append(f"# HELP {full} {text}")
        out.append(f"# TYPE {full} {kind}")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            out.append(f"{full}{{{label_text}}} {_number(value)}")
    return "\n".join(out) + "\n"


def write_atomic(path, text, mode=0o644):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ---- one run ------------------------------------------------------------------------------------------------------


def collect(config, state, now):
    """The metric families of this host, updating ``state`` (positions, counters, disk samples)."""
    host = {"host": config["host"]}
    families = []
    if config["kind"] == "node":
        end = {}  # the new position, once the lines are counted
        lines = iter_new(config["bbb_web_log"], state.get("bbb_web_log", {}), end)
        counters = count_bbb_web(lines, state.setdefault("bbb_web", {}), now)
        state["bbb_web_log"] = end
        errors = counters.get("api_errors", {})
        families += [
            (
                "api_errors_total",
                "counter",
                "BBB API requests bbb-web rejected (ERROR lines of ApiController in bbb-web.log), by reason.",
                [(dict(host, reason=r), errors.get(r, 0)) for r in sorted(set(errors) | {"checksumError", "notFound"})],
            ),
            ("joins_total", "counter", "BBB API join requests (bbb-web.log).", [(host, counters.get("joins", 0))]),
            (
                "join_failures_total",
                "counter",
                "BBB API join requests that did not join (no join_api analytics line in bbb-web.log).",
                [(host, counters.get("join_failures", 0))],
            ),
        ]
        status_dir = config["recording_status_dir"]
        raw_dir = os.path.join(os.path.dirname(os.path.normpath(status_dir)), "raw")  # rap-starter's raw/<id>/
        counts, oldest = last_steps(status_dir, raw_dir, now)
        families += [
            (
                "recordings",
                "gauge",
                "Recordings by the last step of the recording pipeline they completed (status markers).",
                [(dict(host, state=s), counts[s]) for s in STATES],
            ),
            (
                "recording_oldest_unprocessed_age_seconds",
                "gauge",
                "Age of the oldest recording queued or archived but not processed yet (0: none).",
                [(host, float(oldest))],
            ),
            (
                "recording_oldest_published_age_seconds",
                "gauge",
                "Age of the oldest published recording, from its first published format (0: none).",
                [(host, float(oldest_published(status_dir, raw_dir, now)))],
            ),
            (
                "recording_retention_seconds",
                "gauge",
                "Age at which the node's daily jobs remove recordings or logs, by kind (the override file over"
                " BigBlueButton's defaults, in whole days; published only where the collection deletes them).",
                [
                    (dict(host, kind=k), days * 86400)
                    for k, days in sorted(retention_policy(read_text(RETENTION_CONFIG)).items())
                ],
            ),
        ]
        disk_path = config.get("disk_path")
        if disk_path and os.path.isdir(disk_path):
            usage = disk_usage(disk_path)
            growth, seconds, state["disk_samples"] = disk_growth(
                state.get("disk_samples", []), now, usage["used"], float(config.get("disk_growth_window") or 21600)
            )
            labels = dict(host, path=disk_path)
            families += [
                ("disk_size_bytes", "gauge", "Size of the file system of the disk path.", [(labels, usage["size"])]),
                (
                    "disk_used_bytes",
                    "gauge",
                    "Bytes used on the file system of the disk path.",
                    [(labels, usage["used"])],
                ),
                (
                    "disk_available_bytes",
                    "gauge",
                    "Bytes available to unprivileged users on the file system of the disk path.",
                    [(labels, usage["available"])],
                ),
                (
                    "disk_growth_bytes_per_day",
                    "gauge",
                    "Growth of the used bytes per day, over disk_growth_window_seconds.",
                    [(labels, float(growth))],
                ),
                (
                    "disk_growth_window_seconds",
                    "gauge",
                    "Seconds between the samples the growth is computed from (0: first sample).",
                    [(labels, float(seconds))],
                ),
            ]
    else:
        end = {}  # the new position, once the lines are counted
        lines = iter_new(config["access_log"], state.get("access_log", {}), end)
        counters = count_proxy(lines, state.setdefault("proxy", {}))
        state["access_log"] = end
        nodes = sorted(set(config.get("nodes", [])) | set(counters["requests"]))
        families += [
            (
                "proxy_requests_total",
                "counter",
                "Requests the proxy passed to a node (its access log), per node.",
                [(dict(host, node=n), counters["requests"].get(n, 0)) for n in nodes],
            ),
            (
                "proxy_responses_5xx_total",
                "counter",
                "Answers 5xx the proxy gave for a node (its access log), per node and status.",
                [
                    (dict(host, node=key.split(" ")[0], code=key.split(" ")[1]), value)
                    for key, value in sorted(counters["errors_5xx"].items())
                ],
            ),
        ]
    certificates = nginx_certificates(config.get("nginx_files", []))
    families.append(
        (
            "certificate_expiry_timestamp_seconds",
            "gauge",
            "When the TLS certificate that nginx serves expires (notAfter; 0: unreadable).",
            [(dict(host, certificate=path), float(not_after(path) or 0)) for path in certificates],
        )
    )
    marker = config.get("selfheal_marker")
    families += [
        (
            "selfheal_failed",
            "gauge",
            "1 when self-healing could not restore this host's configuration (marker file " + str(marker) + ").",
            [(host, 1 if marker and os.path.exists(marker) else 0)],
        ),
        ("metrics_last_run_timestamp_seconds", "gauge", "When these metrics were written.", [(host, float(now))]),
    ]
    return families


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: bbb_cluster_proxy_metrics.py CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        config = json.load(handle)
    try:
        with open(config["state_file"], encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    now = time.time()
    text = render(collect(config, state, now))
    write_atomic(config["output_file"], text)
    write_atomic(config["state_file"], json.dumps(state, sort_keys=True), mode=0o600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
