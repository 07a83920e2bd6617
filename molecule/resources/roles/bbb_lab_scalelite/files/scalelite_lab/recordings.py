# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scalelite's recordings as clients see them: getRecordings from its own store, and playback (config/routes.rb,
playback_controller.rb, nginx)."""

from __future__ import annotations

import mimetypes
import os
import xml.etree.ElementTree as ET
from urllib.parse import unquote

PLAYBACK_FORMATS = ["presentation", "video", "screenshare", "podcast", "notes", "capture"]  # RECORDING_PLAYBACK_FORMATS
PLAYED_INLINE = {"presentation", "video", "screenshare"}  # playback_controller.rb: the others as attachment
NGINX_404 = (  # nginx's own page: the file an X-Accel-Redirect names is missing
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class Recordings:
    """The Handler's getRecordings and playback."""

    def api_get_recordings(self, params):
        self.lab.import_recordings()
        states = [s for s in params.get("state", "").split(",") if s]
        record_prefixes = [r for r in params.get("recordID", "").split(",") if r]
        meeting_ids = [m for m in params.get("meetingID", "").split(",") if m]
        meta = [(k[5:], v.split(",")) for k, v in params.items() if k.startswith("meta_")]
        found = []
        for rec in self.lab.recordings.values():
            if states and "any" not in states and rec["state"] not in states:
                continue
            if not states and rec["state"] not in ("published", "unpublished"):
                continue
            if meta and not any(key == k and value in values for k, values in meta for key, value in rec["metadata"]):
                continue
            if params.get("recordID") and not any(rec["recordID"].startswith(p) for p in record_prefixes):
                continue
            if params.get("meetingID") and rec["meetingID"] not in meeting_ids:
                continue
            found.append(rec)
        found.sort(key=lambda r: r["startTime"] or 0, reverse=True)
        scheme = "https" if self.lab.args.tls_cert else "http"
        prefix = f"{scheme}://{self.headers.get('Host') or self.lab.args.listen}"  # request.protocol + host_with_port
        recordings = ET.Element("recordings")
        for rec in found:
            item = ET.SubElement(recordings, "recording")
            for key, value in (
                ("recordID", rec["recordID"]),
                ("meetingID", rec["meetingID"]),
                ("internalMeetingID", rec["recordID"]),
                ("name", rec["name"]),
                ("published", "true" if rec["published"] else "false"),
                ("state", rec["state"]),
                ("startTime", rec["startTime"] or 0),  # (nil.to_r * 1000).to_i
                ("endTime", rec["endTime"] or 0),
                ("participants", rec["participants"]),
            ):
                if value is not None:
                    ET.SubElement(item, key).text = str(value)
            metadata = ET.SubElement(item, "metadata")
            for key, value in rec["metadata"]:
                ET.SubElement(metadata, key).text = value
            playback = ET.SubElement(item, "playback")
            for fmt in rec["formats"]:
                node = ET.SubElement(playback, "format")
                ET.SubElement(node, "type").text = fmt["type"]
                ET.SubElement(node, "url").text = prefix + (fmt["url"] or "")
                ET.SubElement(node, "length").text = "" if fmt["length"] is None else str(fmt["length"])
                if fmt.get("processingTime") is not None:
                    ET.SubElement(node, "processingTime").text = fmt["processingTime"]
        fields = [("returncode", "SUCCESS"), ("recordings", recordings)]
        if not found:
            fields += [("messageKey", "noRecordings"), ("message", "There are not recordings for the meetings")]
        self.send_xml(fields)

    # --- playback (config/routes.rb, playback_controller.rb) -------------------------------------------------
    def playback(self, path):
        parts = [unquote(p) for p in path.split("/")[1:]]
        if len(parts) == 3 and parts[0] == "recording":
            rec, fmt = self.published_format(parts[1], parts[2])
            if fmt is None:
                self.send(404, self.not_found_page(), "text/html; charset=utf-8")
            else:
                self.send(307, "", "text/html; charset=utf-8", {"Location": fmt["url"]})
            return True
        if len(parts) >= 2 and parts[0] in PLAYBACK_FORMATS and parts[1]:
            rec, fmt = self.published_format(parts[1], parts[0])
            if fmt is None:
                self.send(404, self.not_found_page(), "text/html; charset=utf-8")
            else:
                self.static_resource(parts[0], parts[1], parts[2:])
            return True
        return False

    def static_resource(self, format_type, record_id, resource):
        """playback_controller.rb deliver_resource answers 200 with X-Accel-Redirect /static-resource<path>, and nginx
        (scalelite.common: location /static-resource, alias /var/bigbluebutton/published) sends the file of the
        publish dir, its type by its name; Content-Disposition attachment but for presentation, video, screenshare.
        A missing file: nginx's 404. Lab: a directory is answered with its index.html (nginx's `index`)."""
        base = os.path.realpath(os.path.join(self.lab.args.publish_dir, format_type, record_id))
        target = os.path.realpath(os.path.join(base, *resource))
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
        if not (target == base or target.startswith(base + os.sep)) or not os.path.isfile(target):
            self.send(404, NGINX_404, "text/html")
            return
        with open(target, "rb") as handle:
            data = handle.read()
        headers = {} if format_type in PLAYED_INLINE else {"Content-Disposition": "attachment"}
        self.send(200, data, mimetypes.guess_type(target)[0] or "application/octet-stream", headers)

    def published_format(self, record_id, format_type):
        self.lab.import_recordings()
        rec = self.lab.recordings.get(record_id)
        if not rec or not rec["published"]:
            return rec, None
        return rec, next((f for f in rec["formats"] if f["type"] == format_type), None)

    @staticmethod
    def not_found_page():
        return (
            '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <title>Recording Not Found</title>\n  </head>\n  <body>\n'
            '    <h1 style="text-align: center;">Recording Not Found</h1>\n'
            '    <h3 style="text-align: center;">The recording URL is invalid. This recording may have been either '
            "protected or deleted.</h3>\n    <hr>\n  </body>\n</html>\n"
        )
