# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's JS snippets (module browser_walkthrough): what its steps (walkthrough_steps) run in the
pages, and the graphql they send over the node's websocket as a client would."""

from __future__ import annotations

# What the walk-through records in every page before the client's own scripts run: calls of getUserMedia and
# every RTCPeerConnection (for its ICE servers and getStats).
INIT = """
(() => {
  const walk = (window.__bbbWalk = { media: [], peers: [] });
  const gum = navigator.mediaDevices && navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  if (gum) {
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const entry = { audio: !!constraints.audio, video: !!constraints.video };
      walk.media.push(entry);
      try {
        const stream = await gum(constraints);
        entry.tracks = stream.getTracks().map((t) => t.kind);
        return stream;
      } catch (error) {
        entry.error = error.name;
        throw error;
      }
    };
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    window.RTCPeerConnection = function (config, ...rest) {
      const pc = new Native(config, ...rest);
      walk.peers.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }
})();
"""
ICE = """async () => {
  const out = [];
  for (const pc of window.__bbbWalk.peers) {
    const servers = (pc.getConfiguration().iceServers || []).flatMap((s) => [].concat(s.urls || s.url || []));
    const remote = [];
    (await pc.getStats()).forEach((r) => { if (r.type === "remote-candidate") remote.push(r.address || r.ip || ""); });
    out.push({ servers, remote });
  }
  return out;
}"""
# One graphql operation over the node's websocket with a user's session, as that user's client sends it: its payload
# (data and/or errors), Hasura's error message as errors, or why there was none (closed, websocket error, timeout).
OPERATION = """async ([url, token, query, variables]) => new Promise((resolve) => {
  const socket = new WebSocket(url, "graphql-transport-ws");
  const done = (value) => { try { socket.close(); } catch (e) {} resolve(value); };
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { headers: {
    "X-Session-Token": token, "X-ClientSessionUUID": crypto.randomUUID(), "X-ClientType": "HTML5", "X-ClientIsMobile": "false" } } }));
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "connection_ack") {
      socket.send(JSON.stringify({ id: "op", type: "subscribe", payload: { query, variables } }));
    } else if (data.type === "next" && data.id === "op") {
      done(data.payload);
    } else if (data.type === "error") {  // the operation's (graphql-transport-ws) or connection_init's refusal
      done({ errors: [].concat(data.payload) });
    } else if (data.type === "complete" && data.id === "op") {
      done({});
    }
  };
  socket.onclose = (event) => done({ closed: event.code, reason: event.reason });
  socket.onerror = () => done({ error: "websocket error" });
  setTimeout(() => done({ error: "timeout" }), 10000);
})"""
# What a moderator's client lists of the lobby (user_guest: a viewer's only its own row), and the approval it sends.
WAITING = "subscription { user_guest(where: {isWaiting: {_eq: true}}) { userId user { name } } }"
SUBMIT = "mutation ($guests: [GuestUserApprovalStatus]!) { guestUsersSubmitApprovalStatus(guests: $guests) }"
# What the walk-through saw, written over a screenshot; marked, so that the accessibility check leaves it out.
NOTE_MARK = "[data-bbb-walk]"
NOTE = """(text) => { const pre = document.createElement("pre"); pre.dataset.bbbWalk = "note";
  pre.style.cssText = "position:fixed;bottom:0;left:0;right:0;margin:0;padding:6px;background:#ffd;"
    + "border-top:1px solid #996;font-size:13px;z-index:2147483647;white-space:pre-wrap";
  pre.textContent = text; document.body.appendChild(pre); }"""
# The audio processor's files (BBBA, "Musician Mode") as its loader fetches them: the server path prefix taken from
# the page's path, not from public.app.basename (bigbluebutton-html5 imports/ui/components/audio/audio-processor/
# providers/bbba.js, loadFiles, 4.0.0-rc.1; bigbluebutton #24857). Chromium has WebAssembly SIMD: no -nosimd files.
AUDIO_PROCESSOR = """async () => {
  const pathMatch = window.location.pathname.match('^(.*)/html5client/?$');
  const serverPathPrefix = pathMatch ? pathMatch[1] : '';
  const basepath = `${serverPathPrefix}/html5client/wasm/`;
  const files = [];
  for (const name of ['BBBA-mapi.wasm', 'BBBA-mapi.js', 'mapi-proc.js']) {
    try {
      const response = await fetch(`${basepath}${name}`);
      files.push({url: response.url, status: response.status});
    } catch (error) {
      files.push({url: new URL(`${basepath}${name}`, window.location.href).href, status: 0, error: String(error)});
    }
  }
  return {path: window.location.pathname, files};
}"""
