// Lab stand-in for the BBB 3.0 client (not BigBlueButton): it does on the network what the real client does
// at start, in the same order and to the same places, so that a browser test watching the network sees what it
// would see with the real client. What it mirrors (bigbluebutton/bigbluebutton, bigbluebutton-html5):
//   1. the API root through its own origin and path prefix, for graphqlApiUrl / graphqlWebsocketUrl
//      (imports/ui/components/settings-loader/component.tsx: `https://${hostname}${serverPathPrefix}/bigbluebutton/api`);
//   2. `${graphqlApiUrl}/meetingStaticData` with credentials and the x-session-token header, the settings in
//      meeting[0].clientSettings.clientSettingsJson (imports/ui/components/settings-loader/component.tsx; 3.0.x on,
//      4.0 has no other: graphql.nginx lost /api/rest/clientSettings in PR #24829);
//   3. the graphql websocket (graphql-transport-ws) with connection_init { headers: { X-Session-Token, X-ClientSessionUUID,
//      X-ClientType, X-ClientIsMobile } } as bigbluebutton-html5's connection-manager sends it
//      (imports/ui/core/graphql/...: the client's ApolloClient/graphql-ws link), reconnecting when it drops;
//   4. the user (user_current: guest lobby while guestStatus is WAIT; once ALLOW and not joined, the join itself,
//      mutation userJoinMeeting with user_current's authToken), the current slide (pres_page_curr.svgUrl,
//      loaded from the node), the join parameters (userMetadata: userdata-bbb_auto_join_audio,
//      bbb_auto_share_webcam) -> getUserMedia, and the STUN/TURN servers of public.media.stunTurnServersFetchAddress
//      (?sessionToken=) for an RTCPeerConnection (the media is not negotiated: the lab has no SFU);
//   5. where the meeting's bridges use LiveKit (graphql meeting { audioBridge cameraBridge screenShareBridge }), the
//      LiveKit signalling websocket to public.media.livekit.url, else to wss://<the page's host>/livekit
//      (imports/ui/components/livekit/component.tsx: shouldUseLiveKit, `url || wss://${window.location.hostname}/livekit`),
//      with the user's token (user_current.livekit.livekitToken) as livekit-client sends it (src/api/utils.ts
//      createRtcUrl: <url>/rtc?access_token=...); prepareConnection's warm-up request is left out.
// Lab simplification: a graphql subscription is answered once, so the stand-in asks again where the real
// client would wait for a push (the guest's status).
window.bbbLab = { asset: "app.js", state: "starting", events: [], reconnects: 0 };

(function () {
  const lab = window.bbbLab;
  const log = (event) => {
    lab.events.push(event);
    show();
  };
  // what the stand-in did, on the page (for the walk-through's screenshots)
  const show = () => {
    let box = document.getElementById("lab-state");
    if (!box && document.body) {
      box = document.createElement("pre");
      box.id = "lab-state";
      document.body.appendChild(box);
    }
    if (box) box.textContent = `state: ${lab.state}\nreconnects: ${lab.reconnects}\n${lab.events.join("\n")}`;
  };
  const params = new URLSearchParams(window.location.search);
  const sessionToken = params.get("sessionToken") || "";
  const clientSessionUUID = crypto.randomUUID(); // one per client session, as the client makes it
  const serverPathPrefix = window.location.pathname.split("/html5client")[0];
  let graphqlWebsocketUrl = "";
  let opened = 0;
  let livekitToken = "";

  function graphql(socket, id, query, variables) {
    socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: variables || {} } }));
  }

  function livekit(settings, token) {
    const url = ((settings.media || {}).livekit || {}).url || `wss://${window.location.hostname}/livekit`;
    const signal = new WebSocket(`${url.replace(/\/$/, "")}/rtc?access_token=${encodeURIComponent(token || "")}&auto_subscribe=1&sdk=js`);
    lab.livekit = "connecting";
    signal.onopen = () => {
      lab.livekit = "open";
      log(`livekit: signalling to ${new URL(url).host}`);
    };
    signal.onerror = () => {
      lab.livekit = "error";
      log(`livekit error: ${new URL(url).host}`);
    };
  }

  async function media(metadata, settings) {
    const audio = metadata.bbb_auto_join_audio === "true";
    const video = metadata.bbb_auto_share_webcam === "true";
    if (!audio && !video) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
      log(`media: ${stream.getTracks().map((t) => t.kind).join(",")}`);
      // imports/utils/fetchStunTurnServers.js: the session's token, credentials included; mapStunTurn (settings.yml
      // default address: /bigbluebutton/api/stuns, on the page's origin)
      const stuns = await (await fetch(`${(settings.media || {}).stunTurnServersFetchAddress || "/bigbluebutton/api/stuns"}?sessionToken=${sessionToken}`,
        { credentials: "include" })).json();
      const iceServers = (stuns.stunServers || []).map((s) => ({ urls: s.url })).concat(
        (stuns.turnServers || []).map((t) => ({ urls: t.url, username: t.username, credential: t.password })));
      const pc = new RTCPeerConnection({ iceServers });
      stream.getTracks().forEach((track) => pc.addTrack(track, stream));
      await pc.setLocalDescription(await pc.createOffer());
      lab.peer = pc;
    } catch (error) {
      log(`media error: ${error.name}`);
    }
  }

  function connect(settings) {
    const socket = new WebSocket(graphqlWebsocketUrl, "graphql-transport-ws");
    let started = false;
    socket.onopen = () =>
      socket.send(JSON.stringify({ type: "connection_init", payload: { headers: {
        "X-Session-Token": sessionToken, "X-ClientSessionUUID": clientSessionUUID, "X-ClientType": "HTML5", "X-ClientIsMobile": "false",
      } } }));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "connection_ack") {
        opened += 1;
        if (opened > 1) lab.reconnects += 1;
        graphql(socket, "user", "subscription { user_current { userId authToken guestStatus joined userMetadata livekit { livekitToken } } }");
      } else if (data.type === "next" && data.id === "user") {
        const user = data.payload.data.user_current[0];
        if (user.guestStatus === "WAIT") {
          lab.state = "lobby";
          show();
          setTimeout(() => graphql(socket, "user", "subscription { user_current { userId authToken guestStatus joined userMetadata livekit { livekitToken } } }"), 1000);
          return;
        }
        if (user.guestStatus !== "ALLOW") {
          lab.state = `denied: ${user.guestStatus}`;
          return;
        }
        if (!user.joined) {
          // the client's join (3.0 join-handler: mutation userJoinMeeting, bbb-graphql-actions -> akka-apps
          // UserJoinMeetingReqMsg): only then is the user in the meeting
          socket.send(JSON.stringify({ id: "join", type: "subscribe", payload: {
            query: "mutation UserJoin($authToken: String!, $clientType: String!, $clientIsMobile: Boolean!) "
              + "{ userJoinMeeting(authToken: $authToken, clientType: $clientType, clientIsMobile: $clientIsMobile) }",
            variables: { authToken: user.authToken, clientType: "HTML5", clientIsMobile: false } } }));
        }
        if (!started) {
          started = true;
          livekitToken = (user.livekit || {}).livekitToken || "";
          graphql(socket, "slide", "subscription { pres_page_curr { presentationId svgUrl } }");
          graphql(socket, "meeting", "subscription { meeting { audioBridge cameraBridge screenShareBridge } }");
          media(user.userMetadata || {}, settings);
        }
        lab.state = "in meeting";
        show();
      } else if (data.type === "next" && data.id === "meeting") {
        const bridges = data.payload.data.meeting[0];
        lab.bridges = bridges;
        if ([bridges.audioBridge, bridges.cameraBridge, bridges.screenShareBridge].includes("livekit")) {
          livekit(settings, livekitToken);
        }
      } else if (data.type === "next" && data.id === "slide") {
        const page = data.payload.data.pres_page_curr[0];
        const image = new Image();
        image.onload = () => {
          document.body.appendChild(image);
          log(`slide: ${page.presentationId} from ${page.svgUrl.split("/bigbluebutton")[0]}`);
        };
        image.onerror = () => log("slide error");
        image.src = page.svgUrl;
        lab.slide = page.svgUrl;
      }
    };
    socket.onclose = () => {
      if (lab.state !== "ended") {
        lab.state = "reconnecting";
        setTimeout(() => connect(settings), 1000);
      }
    };
  }

  async function start() {
    try {
      const root = await (await fetch(`${serverPathPrefix}/bigbluebutton/api`)).text();
      const xml = new DOMParser().parseFromString(root, "text/xml");
      const graphqlApiUrl = xml.querySelector("graphqlApiUrl").textContent;
      graphqlWebsocketUrl = xml.querySelector("graphqlWebsocketUrl").textContent;
      const response = await fetch(`${graphqlApiUrl}/meetingStaticData`, {
        credentials: "include",
        headers: { "x-session-token": sessionToken },
      });
      if (!response.ok) {
        lab.state = `settings refused: HTTP ${response.status}`;
        return;
      }
      const settings = (await response.json()).meeting[0].clientSettings.clientSettingsJson.public;
      connect(settings);
    } catch (error) {
      lab.state = `error: ${error.message}`;
    }
  }

  if (sessionToken) start();
})();
