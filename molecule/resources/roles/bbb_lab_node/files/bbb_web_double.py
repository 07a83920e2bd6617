#!/usr/bin/python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for bbb-web's HTTP API in the Molecule lab (not BigBlueButton).

It reads, on every request, the files the bbb_node role writes - the package's
bigbluebutton.properties overridden by /etc/bigbluebutton/bbb-web.properties,
/etc/bigbluebutton/bbb-html5.yml, /etc/bigbluebutton/bbb-graphql-server.env - and
the CORS options from JDK_JAVA_OPTIONS in its own process environment (what
systemd really handed the process: a later drop-in or /etc/default/bbb-web that
overrides the role's value takes effect here as it does for the JVM).

Every behaviour acceptance, preflight, health or drift relies on mirrors upstream
BigBlueButton (bigbluebutton/bigbluebutton; findings in docs/upstream-behaviour.md)
and rejects what upstream rejects:

| behaviour | mirrors (upstream file: function) | rejects / refuses |
|---|---|---|
| API checksum: the hex digest of call + query without checksum + securitySalt, the algorithm told by its length (40 sha1, 64 sha256, 96 sha384, 128 sha512), compared without regard to case | bbb-common-web GetChecksumValidator: isValid; ParamsProcessorUtil: isChecksumSame | wrong or missing checksum, another length, or an algorithm that supportedChecksumAlgorithms (default sha1,sha256,sha384,sha512) does not list: FAILED checksumError "Checksums do not match" (HTTP 200) |
| create (GET or POST), duplicate meetingID answers duplicateWarning | ApiController.groovy: create; ParamsProcessorUtil: processCreateParams | no meetingID: FAILED missingParamMeetingID |
| create params record, autoStartRecording, allowStartStopRecording, allowRequestsWithoutSession, guestPolicy; property defaults autoStartRecording=false, allowRequestsWithoutSession=false | bigbluebutton.properties; ParamsProcessorUtil: processCreateParams | - |
| join: 302 to defaultHTML5ClientUrl?sessionToken= (2.x waiting guest: defaultGuestWaitURL) and a JSESSIONID cookie (Secure; SameSite from -Dserver.servlet.session.cookie.same-site) holding the token, or XML with redirect=false | ApiController.groovy: join (session[sessionToken] = sessionToken); application.yml server.servlet.session.cookie.secure | a join that fails validation (wrong checksum, unknown meeting), redirect=false or not: 302 to the logout URL (logoutURL param, else bigbluebutton.web.logoutURL, default serverURL) with errors=[{"key","message"}] (ApiController.groovy: invalid(key, msg, REDIRECT_RESPONSE), respondWithRedirect) |
| bbb-web.log (/var/log/bigbluebutton/bbb-web.log), logback pattern `%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{35} - %msg`: DEBUG `ApiController#<call>` at each API call, ERROR `<constraint message>` per failed validation, INFO ` --analytics-- data={..."logCode":"join_api"...}` per successful join | bigbluebutton-web grails-app/conf/logback.xml; ApiController.groovy: each call's `log.debug CONTROLLER_NAME + "#${API_CALL}"`, validateRequest (`log.error violation.getValue()`), join (analytics logData logCode join_api); bbb-common-web ChecksumConstraint "Checksums do not match", MeetingExistsConstraint "A meeting with that ID does not exist" | - |
| a registered user is not in the meeting: running and participantCount count only users whose client started; getMeetings lists every meeting bbb-web holds, one created that nobody joined too (running false), until it expires meetingExpireIfNoUserJoinedInMinutes (create param, else the property, 5) after its create (users never leave in the lab: meetingExpireWhenLastUserLeftInMinutes is not modelled) | akka-apps: the user joins when the client validates its token (2.x) or sends userJoinMeeting (3.0); ApiController.groovy: getMeetingsHandler (meetingService.getMeetings()); akka-apps MeetingActor: meetingExpireIfNoUserJoinedInMinutes | an API join alone does not make a meeting run |
| the client's start: 2.x GET /bigbluebutton/api/enter?sessionToken= with the JSESSIONID cookie (JSON: meetingID, internalUserID, authToken, customdata = userdata-*), then meteor's validateAuthToken with those, which lets the user join; 3.0 the graphql websocket's connection_init with payload.headers X-Session-Token | ApiController.groovy: enter (reject if !session[sessionToken]); bigbluebutton-html5 join-handler and validateAuthToken (2.x, via akka-apps); bbb-graphql-middleware connection_init (3.0) | enter without the session cookie: FAILED (JSON) unless allowRequestsWithoutSession; unknown token; a client that cannot read enter's answer (CORS) never validates |
| recording marks: a RecordStatusEvent exists only when recording started (autoStartRecording and a user in the meeting) | akka-apps; record-and-playback events.rb: get_start_and_stop_rec_events | - |
| end of a record=true meeting: status/recorded/<id>.done (bbb-web); without marks: status/archived/<id>.norecord, never published; with marks, when the publish delay is over and getRecordings asks: archived/<id>.done, sanity/<id>.done, processed/<id>-presentation.done (.fail for a name with fail-recording: the chain halts, the recording stays processing), published/<id>-presentation.done; getRecordings lists published and unpublished recordings only, unless state= (a list, or any) asks for others; there is no failed state | record-and-playback archive.rb: archive_has_recording_marks?; workers/archive_worker.rb (archived/<id>.done/.norecord/.fail), sanity_worker.rb (sanity/<id>.done), process_worker.rb (processed/<id>-<format>.done/.fail), publish_worker.rb (published/<id>-<format>.done) | getRecordings lists nothing (noRecordings) for a meeting without marks, forever; nor, without state=, one that is still processing or failed |
| GET /bigbluebutton/api/stuns?sessionToken=: the STUN/TURN servers of /etc/bigbluebutton/turn-stun-servers.xml (StunServer url; TurnServer secret, url, ttl; RemoteIceCandidate ip; the beans stunTurnService refers to), read once at startup, the packaged default (stun:stun.l.google.com:19302, no TURN) where the file is missing or the user bigbluebutton cannot read it; TURN credentials username <expiry>:<internalUserID>, password base64(HmacSHA1(secret, username)); Cache-Control: no-cache | ApiController.groovy: stuns; Stuns.java (UserSessionConstraint, MeetingExistsConstraint, MeetingEndedConstraint); grails-app/conf/spring/resources.groovy (turnConfigFile.canRead() else spring/turn-stun-servers.xml); bbb-common-web web/services/turn/StunTurnService.java, TurnServer.java: generatePasswordFor; bbb-web.service User=bigbluebutton | no or unknown sessionToken, an ended meeting, no JSESSIONID session holding the token (unless allowRequestsWithoutSession): JSON FAILED "Could not find conference." (HTTP 200); a file that is not XML: bbb-web does not start |
| GET /api/rest/meetingStaticData (and on 3.0 /clientSettings, which 4.0 removed: PR #24829): token only from the x-session-token header, and the JSESSIONID session must hold it unless allowRequestsWithoutSession; 401 otherwise (nginx's page, the auth_request answer) | build/packages-template/bbb-graphql-middleware/graphql.nginx (auth_request); ConnectionController.groovy: checkGraphqlAuthorization | ?sessionToken= query parameter (401), no cookie (401), unknown token (401) |
| CORS of /api/rest/*: Hasura's, from HASURA_GRAPHQL_CORS_DOMAIN | bbb-graphql-server hasura-config.env / bbb-graphql-server.env | other origins: no Access-Control-Allow-Origin |
| CORS of /bigbluebutton/api: accessControlAllowOrigin; of the rest of /bigbluebutton: -Dgrails.cors.allowedOrigins in JDK_JAVA_OPTIONS | ApiController.groovy (response.addHeader Access-Control-Allow-Origin); grails CORS (application.yml grails.cors) | other origins (preflight 403) |
| 3.0 API root lists graphqlWebsocketUrl, graphqlApiUrl | ApiController.groovy: index | - |
| graphql websocket: same origin or server.authorized_cross_origin (env era: BBB_GRAPHQL_MIDDLEWARE_ORIGIN) | bbb-graphql-middleware websrv (origin check) | other origins: 403 |
| graphql connection_init: payload.headers X-Session-Token, X-ClientSessionUUID, X-ClientType, X-ClientIsMobile (each a string); at most 3 sockets per token; the token checked with bbb-web with the upgrade request's cookies (the join's JSESSIONID session must hold it unless allowRequestsWithoutSession); then connection_ack (Hasura's); what comes before connection_init is dropped | bbb-graphql-middleware internal/websrv/connhandler.go: connectionInitHandler, disconnectWithError; internal/bbb_web/client.go: BBBWebCheckAuthorization; ConnectionController.groovy: checkGraphqlAuthorization | a header missing or not a string (error message param_missing, then close 4403 "X-<Name> header missing on init connection"), a 4th socket (too_many_connections), an unknown token or no session cookie (check_authorization_error), no payload object (close 1011) |
| graphql operations over graphql-transport-ws (subscribe -> next + complete): user_current (authToken, guestStatus, joined, userMetadata = userdata-*), pres_page_curr (svgUrl), user_guest (waiting guests: a moderator the meeting's, anyone else their own row; columns of public_v_user_guest.yaml, the name under `user { name }`), mutation userJoinMeeting(authToken, clientType, clientIsMobile): only then is the user in the meeting (not at connection_init; an approved guest joins when its client sends it), mutation guestUsersSubmitApprovalStatus (moderators only) | bbb-graphql-server metadata (tables/views of those names), bbb-graphql-actions (userJoinMeeting, guestUsersSubmitApprovalStatus); akka-apps UserJoinMeetingReqMsgHdlr; bigbluebutton-html5 3.0 join: mutation UserJoin; lab simplification: a subscription answers once, the stand-in client polls | userJoinMeeting with another user's authToken; a viewer's approval; a selection of a column the role does not have (`user_guest { name }`: "field 'name' not found in type: 'user_guest'") |
| a waiting guest (ASK_MODERATOR) is in the meeting only once a moderator let them in | akka-apps GuestsWaitingApprovedMsgHdlr | - |
| create with a POST body <modules><module name="presentation"><document name="x.pdf">base64</document>: the slide is served at /bigbluebutton/presentation/<internal>/<internal>/<presId>/svg/1 | bigbluebutton-web ApiController.groovy: create (modules); PresentationController: showSvgImage | a document that is not a PDF (no %PDF header): no presentation |
| lab only, loopback: /bigbluebutton/lab/validate-auth-token and /bigbluebutton/lab/current-slide for the 2.x meteor stand-in (akka-apps' answer to validateAuthToken; what akka-apps publishes to meteor's collections) | none upstream: not reachable from outside the node | through nginx or from another address: 404 |
| log file: /var/log/bigbluebutton/bbb-web.log, lines `yyyy-MM-dd'T'HH:mm:ss.SSSXXX LEVEL logger - message`; each API call as `ApiController#<call>` (DEBUG), its query without the checksum, `CHECKSUM=<the client's> length=<n>` (and `SHA256 <ours>` for a 64-character one), a wrong checksum with ours and the client's; create and the end of a meeting as ` --analytics-- data={json}` with meetingId (internal), externalMeetingId, logCode create_meeting / meeting_removed_from_running | bigbluebutton-web grails-app/conf/logback.xml (FILE appender, logs/ -> /var/log/bigbluebutton); ApiController.groovy (log.debug CONTROLLER_NAME + "#${API_CALL}"); bbb-common-web ParamsProcessorUtil: isChecksumSame (and ChecksumValidator); MeetingService: handleCreateMeeting, processRemoveEndedMeeting | - |
| publish writes /var/bigbluebutton/published/presentation/<recordID>/metadata.xml, which the node's nginx serves at /presentation/<recordID>/: root <recording> with id, state published, published true, start_time (the record id's milliseconds), end_time, participants, <meeting id= externalId= name= breakout=/>, <meta> (the create call's meta_* params, names lowercased, with meetingId = external id, meetingName, isBreakout; sorted), <playback> (format presentation, link https://<serverURL host>/playback/presentation/2.3/<recordID>, processing_time and duration in ms) | record-and-playback presentation/scripts/process/presentation.rb (initial metadata.xml: id, state, published, start_time, end_time, participants, meeting, meta); presentation/scripts/publish/presentation.rb (state published, published true, playback format/link/processing_time/duration); bbb-common-web MeetingService: handleCreateMeeting (TreeMap of the metadata plus meetingId, meetingName, isBreakout); ParamsProcessorUtil: processMetaParam (meta_[a-zA-Z][a-zA-Z0-9-]*, lowercased); presentation.nginx | - |
| after a format's publish succeeded, each `*.rb` of the post_publish directory (--post-scripts-dir, default /usr/local/bigbluebutton/core/scripts/post_publish), sorted, with `-m <recordID> -f presentation`; a script's failure (exit status not 0, or no run at all) is a warning on stderr only, the recording stays published. Lab differences: upstream runs `ruby <script>`, the lab has no Ruby - the double runs the interpreter of the script's `#!` line; it runs them as the double's user (root), upstream as bbb-rap-resque-worker's (bigbluebutton); outside the double's lock, after the pipeline's round, each with a timeout (--post-script-timeout, default 300 s) | record-and-playback core/lib/recordandplayback/workers/publish_worker.rb: perform (run_post_scripts(@post_scripts_path) when step_succeeded; @post_scripts_path = scripts/post_publish); workers/base_worker.rb: run_post_scripts (Dir.glob('*.rb').sort, '-m', @meeting_id, '-f', @format_name; @logger.warn "Post publish script ... failed"), run_script (BigBlueButton.exec_ret('ruby', script, *args)) | - |

The secret is never logged or returned.

The program only parses its options and serves; the behaviours live in modules beside it (/usr/local/lib/bbb-lab,
as the role installs them), each behaviour's upstream cited at its code:

| module | concern |
|---|---|
| bbb_lab/httpd.py (shared with the Scalelite double) | the handler's plumbing: answers, HEAD and POST, the request log |
| bbb_lab/websocket.py (shared with the meteor stand-in) | RFC 6455 framing |
| bbb_web_lab/handler.py | routing, CORS |
| bbb_web_lab/api.py | the checksum, the call's dispatch, the XML answers and failures |
| bbb_web_lab/meetings.py | create, join, getMeetings, getMeetingInfo, isMeetingRunning, end |
| bbb_web_lab/client.py | the client's start: the join's servlet session, enter, clientSettings, slides, the lab's loopback |
| bbb_web_lab/graphql.py | bbb-graphql-middleware's websocket and the graphql operations |
| bbb_web_lab/stun_turn.py | turn-stun-servers.xml and stuns |
| bbb_web_lab/recordings.py | record-and-playback's pipeline, post_publish scripts, getRecordings |
| bbb_web_lab/state.py, config.py, log.py | what bbb-web holds; the files it reads; bbb-web.log |
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

# Its modules lie beside it: importable whether or not python put this directory first on sys.path (python3 -P, or
# this file loaded by path, as the unit tests do).
HERE = os.path.dirname(os.path.realpath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bbb_lab.httpd import serve  # noqa: E402
from bbb_web_lab.handler import Handler  # noqa: E402
from bbb_web_lab.state import State  # noqa: E402
from bbb_web_lab.stun_turn import read_stun_turn  # noqa: E402

# tests/unit/plugins/filter/test_stun_turn_servers.py reads the servers through this program (load().read_stun_turn)
__all__ = ["main", "make_server", "read_stun_turn"]


def make_server(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--state-dir", default="/var/lib/bbb-web-double")
    parser.add_argument("--properties", default="/usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties")
    parser.add_argument("--override", default="/etc/bigbluebutton/bbb-web.properties")
    parser.add_argument("--release-file", default="/etc/bigbluebutton/bigbluebutton-release")
    parser.add_argument("--turn-config", default="/etc/bigbluebutton/turn-stun-servers.xml")
    parser.add_argument("--html5-defaults", default="")
    parser.add_argument("--html5-override", default="/etc/bigbluebutton/bbb-html5.yml")
    parser.add_argument("--recording-dir", default="/var/bigbluebutton")
    parser.add_argument("--publish-delay", type=float, default=5.0)
    parser.add_argument(
        "--post-scripts-dir",
        default="/usr/local/bigbluebutton/core/scripts/post_publish",
        help="publish_worker.rb's post_publish directory: its *.rb run after a format is published",
    )
    parser.add_argument("--post-script-timeout", type=float, default=300.0, help="post_publish script time limit")
    parser.add_argument(
        "--rap-units",
        choices=["systemd", "none"],
        default="systemd" if os.path.isdir("/run/systemd/system") else "none",
        help="whether bbb-rap-starter and bbb-rap-resque-worker run: ask systemd, or take them as running",
    )
    parser.add_argument("--log-file", default="/var/log/bigbluebutton/bbb-web.log", help="'' for none")
    parser.add_argument("--graphql-config", default="/usr/share/bbb-graphql-middleware/config.yml")
    parser.add_argument("--livekit-keys", default="/etc/bigbluebutton/livekit.yaml", help="bbb-livekit's keys")
    parser.add_argument("--graphql-override", default="/etc/bigbluebutton/bbb-graphql-middleware.yml")
    parser.add_argument("--graphql-env", default="/etc/default/bbb-graphql-middleware")
    parser.add_argument(
        "--graphql-server-env",
        nargs="+",
        default=["/etc/default/bbb-graphql-server", "/etc/bigbluebutton/bbb-graphql-server.env"],
    )
    args = parser.parse_args(argv)
    return serve(Handler, args.listen, args.port, state=State(args))


def main(argv=None):
    server = make_server(argv)

    def pipeline():  # the recording units work whether or not anyone asks bbb-web
        while True:
            time.sleep(1)
            server.RequestHandlerClass.state.pipeline_step()

    threading.Thread(target=pipeline, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
