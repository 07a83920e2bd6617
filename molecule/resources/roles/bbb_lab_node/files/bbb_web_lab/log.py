# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bbb-web.log as logback writes it (/var/log/bigbluebutton/bbb-web.log), never with the secret."""

from __future__ import annotations

import json
import os
import threading
import time

_LOG_LOCK = threading.Lock()


def logback_line(level, logger, message, now=None):
    """One line of bbb-web's logback pattern %d{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX"} %-5level %logger{35} - %msg%n."""
    now = time.time() if now is None else now
    local = time.localtime(now)
    offset = local.tm_gmtoff
    zone = (
        "Z" if offset == 0 else f"{'-' if offset < 0 else '+'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", local) + f".{int(now % 1 * 1000):03d}" + zone
    return f"{stamp} {level:<5} {logger} - {message}\n"


def analytics(meeting, log_code, description):
    """MeetingService's ' --analytics-- data={}' line of a meeting (Gson of a HashMap)."""
    data = {
        "meetingId": meeting["internal"],
        "externalMeetingId": meeting["id"],
        "name": meeting["name"],
        "record": meeting["record"],
        "logCode": log_code,
        "description": description,
    }
    return " --analytics-- data=" + json.dumps(data, separators=(",", ":"))


class BbbLog:
    """The Handler's bbb_log."""

    def bbb_log(self, level, logger, message):
        """Append to bbb-web's log file as logback does (never the secret: callers pass no secret)."""
        path = self.state.args.log_file
        if not path:
            return
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with _LOG_LOCK, open(path, "a", encoding="utf-8") as handle:
                handle.write(logback_line(level, logger, message))
        except OSError:
            pass
