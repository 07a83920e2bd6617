#!/usr/bin/python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for Scalelite v1.8.5 in the Molecule lab (not Scalelite; no Redis, no database, no poller process).

Every behaviour below was read from blindsidenetworks/scalelite at tag v1.8.5 (7498a81); none of its code is
copied. Paths are relative to that repository.

| behaviour | upstream file and function (scalelite v1.8.5) | what the double rejects |
|---|---|---|
| API root `GET/POST /bigbluebutton/api` | bigbluebutton_api_controller.rb `index` | nothing (no checksum, as upstream) |
| checksum of BBB calls: sha1/sha256/sha512 (by length) of action + query without checksum + LOADBALANCER_SECRET, the algorithm one of LOADBALANCER_CHECKSUM_ALGORITHM (config "checksum_algorithm", default SHA1:SHA256:SHA512, case-sensitive) | concerns/api_helper.rb `verify_checksum`, `query_string_remove_checksum`, `guess_checksum_digest_algorithm`; config/application.rb `loadbalancer_checksum_algorithm` | missing, wrong-length (sha384), wrong or node-secret checksums, an algorithm the list does not name: HTTP 200 FAILED checksumError |
| POST content types | api_helper.rb `verify_content_type`, `verify_create_content_type` | a POST body that is not form data (create: form data or XML): FAILED unsupportedContentType |
| create: existing meetingID sticks to its server; on a cordoned server, re-placed if no longer running there | bigbluebutton_api_controller.rb `create`, `meeting_running_on_server?` | - |
| create placement: lowest load of the `server_load` set (enabled servers with a load), ties by id; +1 x load_multiplier | models/server.rb `Server.find_available`, `#increment_load` | cordoned, disabled, offline and not-yet-polled servers get no new meeting; none left: FAILED internalError "Could not find any available servers." |
| create forwarding: params passed through (not checksum), moderatorPW generated when absent, voiceBridge allocated by the LB, meta_server-tag / recording-ready meta dropped, XML body POSTed as application/xml, re-signed with the node's secret (SHA256) | `create`, api_helper.rb `encode_bbb_uri`, `get_post_req`, models/meeting.rb `allocate_voice_bridge`, handlers/recording_ready_event_handler.rb | node FAILED answers are re-rendered as FAILED with the node's messageKey/message; unreachable node: FAILED internalError |
| join: 302 to `<server url>/join?<params>&checksum=` (node secret), +1 load (enabled servers only) | `join`, `encode_bbb_uri` | unknown meeting: 200 FAILED notFound; meeting on an offline or disabled server: HTTP 500 (upstream raises the undefined `ServerDisabledError`, a NameError) |
| getMeetings: every server except offline or disabled ones; meetings with a tenant-id dropped | `get_meetings`, `no_meetings_response` | - |
| getMeetingInfo / end: routed to the meeting's server with meetingID (end: + password) only | `get_meeting_info`, `end` | unknown meeting: FAILED notFound |
| isMeetingRunning | `is_meeting_running`, `not_running_response` | unknown meeting: SUCCESS running=false |
| getRecordings from the LB's own store (the imported recordings; never a node's getRecordings), playback URL = request protocol + host:port + stored path | `get_recordings`, views/bigbluebutton_api/get_recordings.xml.builder, models/recording.rb `with_recording_id_prefixes` | none: SUCCESS noRecordings "There are not recordings for the meetings" |
| recording import: each `<--spool-dir>/*.tar` (RECORDING_SPOOL_DIR, default /var/bigbluebutton/spool, made if missing), in name order; the importer's poll is lazy here: before getRecordings and before playback (upstream: every 30 s); the nodes' post_publish script puts the tars there (lab: molecule/resources/roles/bbb_lab_node/files/scalelite_post_publish.py, installed as scalelite_post_publish.rb) | lib/tasks/recordings.rake `recordings:watch` (Dir.glob("#{dir}/*.tar"), rescue: "Failed to import recording", the tar stays); config/application.rb `recording_spool_dir`; bigbluebutton/scalelite_post_publish.rb | a tar that does not extract (or that has no recording at all: upstream's `recording.meeting_id` on nil) stays in the spool and is tried again at the next scan |
| one tar: extracted into a temporary directory (RECORDING_WORK_DIR; here under --state-dir), each `*/*/metadata.xml` creates or updates a recording; its `<format>/<record_id>` directory replaces the one in <--publish-dir>/<format>/ (RECORDING_PUBLISH_DIR, default /var/bigbluebutton/published), or in <--unpublish-dir> (RECORDING_UNPUBLISH_DIR) for an unpublished one; then the tar is deleted | lib/recording_importer.rb `RecordingImporter.import` (published_status: publish_updated never set here, RECORDING_IMPORT_UNPUBLISHED false; FileUtils.mv force: true) | a metadata.xml that fails (not XML, no <meta>, <playback> or <link>, blank id or meetingId, an unknown state): that format is skipped with a warning. Lab: members other than files and directories, or outside the directory, refuse the whole tar; a record id or format that is not one path component is skipped |
| the recording's fields: record_id = id, meeting_id = meta/meetingId, name = meta/meetingName, published (when given: == 'true'; a new one false), participants, state ('available' -> 'published'), start/end time (ms); metadata = meta without isBreakout, meetingId, meetingName, added or updated by key; one playback format per playback/format: url = URI(playback/link).request_uri, length = (duration / 60000).round, no processingTime | models/recording.rb `create_from_metadata_xml`, `INTERNAL_METADATA`; db/schema.rb (published default false) | thumbnails (playback/extensions/preview) are not kept |
| playback: `/<format>/<record_id>(/*resource)` answers with the imported file of <--publish-dir>/<format>/<record_id>/<resource> (type by its name; Content-Disposition attachment except for presentation, video, screenshare), `/recording/<id>/<format>` 307 to the format's url; player `/playback/presentation/2.3/*` | config/routes.rb, playback_controller.rb `resource` (`deliver_resource`: X-Accel-Redirect /static-resource<path>), `play`; nginx/conf.d/scalelite.common (`location /static-resource`, alias /var/bigbluebutton/published); nginx/playback/playback.nginx | unknown or unpublished recording: 404 "Recording Not Found"; a file the publish dir does not have: 404, nginx's page. Lab: a directory answers with its index.html |
| admin API getServers / getServerInfo / updateServer | controllers/api/servers_controller.rb, api/scalelite_api_controller.rb, services/server_update_service.rb | non-JSON POST body: FAILED unsupportedContentType; checksum not over LOADBALANCER_SECRET: FAILED checksumError; unknown id: 404 JSON; bad state / zero multiplier / no server: 400 JSON |
| server states enabled / cordoned / disabled, load kept or dropped on change | models/server.rb `#save!`, `handle_*_state` | - |
| poller: online/offline (1 success / 2 failures), load = attendees x multiplier (at least 15 per meeting younger than 15 min), cordoned with load 0 -> disabled, ended meetings dropped, offline -> meetings ended | lib/tasks/poll.rake `poll:servers`, `poll:meetings`, `poll:versions` | - |
| unknown paths | config/routes.rb `*any` -> errors_controller.rb `unsupported_request` | HTTP 200 FAILED unsupportedRequest |

Differences, on purpose: getServers/getServerInfo/updateServer return `"secret"` (upstream returns each node's
secret in clear); the double returns the key with the fixed value "<redacted by the lab double>" so that no secret
leaves it. The poller is run lazily (before a request, when --poll-interval seconds have passed; 0 = only when
called). Recordings come as upstream's do: a node's post_publish script (scalelite_post_publish.rb) drops a tar of
the published recording into the spool directory, which the importer reads (recordings:watch); Scalelite never asks
a node for its recordings, nor does the double. Not implemented (HTTP 501, never a silent success):
publishRecordings, updateRecordings, deleteRecordings, insertDocument, analytics_callback, addServer, deleteServer,
panicServer, the tenants API. No multitenancy, no protected recordings, no callbacks, no post-import scripts, no S3.

Config (JSON, --config): {"secret": LOADBALANCER_SECRET, "servers": [{"id", "url", "secret", "state",
"load_multiplier"}]}. A server's "state" is applied when it first appears or when the configured value changes
(as an operator's `rake servers:cordon`); otherwise the state kept in <state-dir>/state.json wins, as Redis would.
Admin calls are appended to <state-dir>/calls.log (JSON lines, no secrets, no checksums).

The program only parses its options and serves; the behaviours live in modules beside it (/usr/local/lib/bbb-lab,
as the role installs them), each behaviour's upstream cited at its code:

| module | concern |
|---|---|
| bbb_lab/httpd.py (shared with the bbb-web double; kept in the bbb_lab_node role) | the handler's plumbing: answers, HEAD and POST, the request log |
| scalelite_lab/handler.py | routing, Rails params, the checksum, the answers |
| scalelite_lab/bbb_api.py | create, join, getMeetings, getMeetingInfo, isMeetingRunning, end |
| scalelite_lab/recordings.py | getRecordings, playback |
| scalelite_lab/admin.py | getServers, getServerInfo, updateServer, calls.log |
| scalelite_lab/store.py | state.json, the server model, the voice bridge |
| scalelite_lab/nodes.py | calls to the nodes, the poller |
| scalelite_lab/importer.py | the recording import from the spool |
| scalelite_lab/errors.py, ruby.py | Scalelite's errors; values as Ruby and Rails write and read them |
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys

# Its modules lie beside it: importable whether or not python put this directory first on sys.path (python3 -P, or
# this file loaded by path, as the unit tests do).
HERE = os.path.dirname(os.path.realpath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bbb_lab.httpd import serve  # noqa: E402
from scalelite_lab.handler import Handler  # noqa: E402
from scalelite_lab.store import Lab  # noqa: E402


def make_server(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="/etc/scalelite-double/config.json")
    parser.add_argument("--state-dir", default="/var/lib/scalelite-double")
    parser.add_argument("--listen", default="0.0.0.0")  # noqa: S104 - the lab's load balancer
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    parser.add_argument("--ca-file", default="", help="CA bundle for the nodes' certificates (default: system trust)")
    parser.add_argument("--poll-interval", type=float, default=60.0, help="POLL_INTERVAL; 0: poll only when called")
    parser.add_argument("--allow-http", action="store_true", help="tests only: plain HTTP and http:// node URLs")
    parser.add_argument("--spool-dir", default="/var/bigbluebutton/spool", help="RECORDING_SPOOL_DIR")
    parser.add_argument("--publish-dir", default="/var/bigbluebutton/published", help="RECORDING_PUBLISH_DIR")
    parser.add_argument("--unpublish-dir", default="/var/bigbluebutton/unpublished", help="RECORDING_UNPUBLISH_DIR")
    args = parser.parse_args(argv)
    if not args.allow_http and not (args.tls_cert and args.tls_key):
        parser.error("--tls-cert and --tls-key are required unless --allow-http")
    httpd = serve(Handler, args.listen, args.port, lab=Lab(args))
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


def main(argv=None):
    make_server(argv).serve_forever()


if __name__ == "__main__":
    main()
