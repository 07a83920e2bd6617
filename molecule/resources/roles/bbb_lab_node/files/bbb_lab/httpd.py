# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP plumbing of the lab's doubles (bbb_web_double.py, scalelite_double.py).

A handler that answers with a body and its Content-Length (no body to a HEAD), takes HEAD and POST to its do_GET,
and logs each request to stderr under the double's name with what must not be logged scrubbed; a threading server
whose handler class holds the double's state, which every request shares.
"""

from __future__ import annotations

import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """A double's request handler: a subclass routes in do_GET and sets the three names below."""

    log_name = "lab-double"  # the prefix of its stderr lines
    log_scrub = (re.compile(r"checksum=[0-9a-fA-F]+"), "checksum=***")  # (pattern, replacement) over each log line
    content_type = "text/xml"  # of an answer that names none

    def log_message(self, fmt, *args):
        pattern, replacement = self.log_scrub
        sys.stderr.write(f"{self.log_name}: {pattern.sub(replacement, fmt % args)}\n")

    def cors_headers(self):
        """Headers every answer carries after its own (a double that does CORS names the allowed origin here)."""
        return {}

    def send(self, status, body, content_type=None, headers=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type or self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in [*(headers or {}).items(), *self.cors_headers().items()]:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):  # noqa: N802 (http.server API)
        self.do_GET()

    def do_POST(self):  # noqa: N802
        self.do_GET()


def serve(handler, listen, port, **bound):
    """A ThreadingHTTPServer on (listen, port) answered by a subclass of `handler` that has `bound` as class
    attributes: the double's state, shared by every request."""
    return ThreadingHTTPServer((listen, port), type("BoundHandler", (handler,), bound))
