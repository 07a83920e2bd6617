# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 3: what breaks the client though the roles' files are right, named by the playbooks.

acceptance, drift and site name a node that refuses the proxy's origin, a later drop-in or /etc/default/bbb-web
that overrides the role's drop-in, a server block nginx loads beside the proxy's, graphql and TURN that point at
the proxy; acceptance refuses a recording check it cannot make. Each test puts back what it broke.
"""

from __future__ import annotations

from lab_runs import edit, flat, host, playbook, reload_nginx, restore, snapshot

from .workflows_lab import PROPERTIES, PROXY, ROOM_A, ROOM_B

TURN_FILE = "/etc/bigbluebutton/turn-stun-servers.xml"


def test_acceptance_refuses_a_recording_check_it_cannot_make():
    """A record=true meeting without a client in it has no recording marks: BBB never publishes it (archive.rb),
    so an API-only check can only fail or, with 82b2c61's permissive double, pass for the wrong reason."""
    rc, output = playbook("bbb.cluster_proxy.acceptance", "-e", "bbb_acceptance_recordings=true")
    assert rc != 0
    text = flat(output)
    assert "bbb_acceptance_recordings=true needs bbb_acceptance_browser=true" in text
    assert "archive_has_recording_marks?" in text and "the API calls of this playbook start no client" in text
    assert "PLAY [Walk through a class on every node]" not in output  # refused before any meeting


def test_acceptance_names_a_wrong_allowed_origin_and_drift_names_its_cause():
    node = host(ROOM_A)
    dropin = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"
    original = node.file(dropin).content_string
    node.run(
        f"sed -i 's#allowedOrigins=https://{PROXY},#allowedOrigins=#' {dropin} && systemctl daemon-reload && systemctl restart bbb-web"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.acceptance")
        assert rc != 0
        text = flat(output)
        assert f"\"{ROOM_A}\": \"FAIL at 'Check that the node allows the proxy's origin'" in text
        assert f"does not allow the origin https://{PROXY}" in text and "the browser blocks" in text
        assert f'"{ROOM_B}": "pass:' in text
        assert "Acceptance failed on: room-a.lab.test" in text
        rc, output = playbook("bbb.cluster_proxy.drift")
        assert rc != 0
        assert f"{dropin}: JDK_JAVA_OPTIONS is " in flat(output)
        assert "bbb-web refuses cross-origin requests from the proxy (CORS)" in flat(output)
    finally:
        node.run(f"cat > {dropin} <<'EOF_LAB'\n{original}EOF_LAB\nsystemctl daemon-reload && systemctl restart bbb-web")
    assert node.file(dropin).content_string == original


def test_drift_names_a_later_drop_in_that_wins_over_the_roles():
    """The role's drop-in is right on disk, but an operator's later-sorting drop-in sets JDK_JAVA_OPTIONS too and
    systemd hands bbb-web that one (82b2c61's drift read only the role's file and reported no drift)."""
    node = host(ROOM_A)
    operator = "/etc/systemd/system/bbb-web.service.d/zz-operator.conf"
    node.run(
        f"printf '[Service]\\nEnvironment=\"JDK_JAVA_OPTIONS=-Xmx2g\"\\n' > {operator}"
        " && systemctl daemon-reload && systemctl restart bbb-web"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.drift")
    finally:
        node.run(f"rm -f {operator} && systemctl daemon-reload && systemctl restart bbb-web")
    assert rc != 0
    text = flat(output)
    assert "bbb-web.service runs with JDK_JAVA_OPTIONS '-Xmx2g' (its process environment), not the value of" in text
    assert f"{operator} also sets JDK_JAVA_OPTIONS" in text and f"Remove JDK_JAVA_OPTIONS from {operator}" in text
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-2000:]


def test_site_stops_before_any_change_where_something_would_override_the_roles_drop_in():
    """A later drop-in, or /etc/default/bbb-web (EnvironmentFile=), that sets JDK_JAVA_OPTIONS would win over the
    role's drop-in: the rollout stops at that node before any of its files changes, and says what to remove."""
    node = host(ROOM_A)
    operator = "/etc/systemd/system/bbb-web.service.d/zz-operator.conf"
    original = edit(
        ROOM_A, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#"
    )
    node.run(f"printf '[Service]\\nEnvironment=\"JDK_JAVA_OPTIONS=-Xmx2g\"\\n' > {operator}")
    try:
        before = snapshot()
        rc, output = playbook("bbb.cluster_proxy.site")
        assert rc != 0
        text = flat(output)
        assert f"Host {ROOM_A}: {operator} also sets JDK_JAVA_OPTIONS and sorts after" in text
        assert "Nothing was changed on this host." in text and f"Remove JDK_JAVA_OPTIONS from {operator}" in text
        assert snapshot() == before
        node.run(
            f"rm -f {operator} && cp /etc/default/bbb-web /root/bbb-web.lab && echo 'JDK_JAVA_OPTIONS=\"-Xmx2g\"' >> /etc/default/bbb-web"
        )
        before = snapshot()  # without the operator's drop-in
        rc, output = playbook("bbb.cluster_proxy.site")
        assert rc != 0
        assert (
            f"Host {ROOM_A}: /etc/default/bbb-web sets JDK_JAVA_OPTIONS, which overrides the role's drop-in for bbb-web.service"
            in flat(output)
        )
        assert snapshot() == before
    finally:
        node.run(f"rm -f {operator}; if [ -f /root/bbb-web.lab ]; then mv /root/bbb-web.lab /etc/default/bbb-web; fi")
        restore(ROOM_A, PROPERTIES, original)


def test_drift_names_what_nginx_really_loads():
    """nginx -T: another server block for the proxy's name, and a file changed after nginx last loaded it."""
    proxy = host(PROXY)
    other = "/etc/nginx/conf.d/zz-lab-other.conf"
    proxy.run(
        f"sleep 1; touch /etc/nginx/conf.d/bbb-cluster-proxy.conf; printf 'server {{ listen 443 ssl; server_name {PROXY};"
        f" ssl_certificate /etc/ssl/bbb-lab/{PROXY}.crt; ssl_certificate_key /etc/ssl/bbb-lab/{PROXY}.key; }}\\n' > {other}"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.drift")
    finally:
        proxy.run(f"rm -f {other}")
        reload_nginx(proxy)
    assert rc != 0
    text = flat(output)
    assert f"another server block also claims {PROXY} and nginx ignores one of them" in text
    assert "nginx runs a configuration older than /etc/nginx/conf.d/bbb-cluster-proxy.conf" in text
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-2000:]


def test_acceptance_names_graphql_pointing_away_from_the_node_and_turn_on_the_proxy():
    """room-a: graphql on the proxy; room-b: its turn-stun-servers.xml names the proxy as TURN server (nothing
    answers TURN there). The same run names both."""
    original = edit(ROOM_A, PROPERTIES, f"s#^graphqlWebsocketUrl=.*#graphqlWebsocketUrl=wss://{PROXY}/graphql#")
    turn = edit(ROOM_B, TURN_FILE, f"s#turns:{ROOM_B}:443#turns:{PROXY}:443#")
    try:
        rc, output = playbook("bbb.cluster_proxy.acceptance")
    finally:
        restore(ROOM_A, PROPERTIES, original)
        restore(ROOM_B, TURN_FILE, turn)
    assert rc != 0
    text = flat(output)
    assert f'"{ROOM_A}": "FAIL at \'Check that graphql points at the node itself\'' in text
    assert f"websocket 'wss://{PROXY}/graphql'" in text
    assert f'"{ROOM_B}": "FAIL at \'Check the STUN/TURN servers the client gets\'' in text
    assert f"names the cluster proxy as STUN/TURN server (turns:{PROXY}:443?transport=tcp)" in text
    assert "lab-turn-secret" not in output  # the coturn secret of the file
