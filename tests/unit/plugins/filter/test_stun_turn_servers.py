# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""stun_turn_servers: the STUN/TURN servers a node's bbb-web hands its clients, read from the node's
turn-stun-servers.xml as bbb-web's Spring context loads it (grails-app/conf/spring/resources.groovy), in the shapes
bbb-install writes (configure_coturn, v2.7.x and v3.0.x: turn0 turn:<host>:3478, turn1 turns:<host>:443, an empty
stunServers set; older releases: a stun0 bean) and the packaged default (stun:stun.l.google.com:19302)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.stun_turn_servers import stun_turn_servers
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.stun_turn import ice_host
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import load

SECRET = "coturn-secret-never-returned"
BEANS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<beans xmlns="http://www.springframework.org/schema/beans" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n{}\n</beans>\n'
)


def turn(bean, url):
    return (
        f'<bean id="{bean}" class="org.bigbluebutton.web.services.turn.TurnServer">'
        f'<constructor-arg index="0" value="{SECRET}"/><constructor-arg index="1" value="{url}"/>'
        '<constructor-arg index="2" value="86400"/></bean>'
    )


def refs(ids):
    return "".join(f'<ref bean="{i}"/>' for i in ids)


def service(stuns=(), turns=()):
    return (
        '<bean id="stunTurnService" class="org.bigbluebutton.web.services.turn.StunTurnService">'
        f'<property name="stunServers"><set>{refs(stuns)}</set></property>'
        f'<property name="turnServers"><set>{refs(turns)}</set></property></bean>'
    )


def bbb_install(host):
    """configure_coturn of bbb-install 2.7/3.0 with COTURN_HOST=host."""
    return BEANS.format(
        turn("turn0", f"turn:{host}:3478") + turn("turn1", f"turns:{host}:443?transport=tcp")
        + service(turns=["turn0", "turn1"])
    )  # fmt: skip


def test_a_turn_server_the_cluster_shares_is_named_with_its_host_and_never_its_secret():
    servers = stun_turn_servers(bbb_install("turn.example.com"))
    assert servers == [
        {"kind": "turn", "url": "turn:turn.example.com:3478", "host": "turn.example.com"},
        {"kind": "turn", "url": "turns:turn.example.com:443?transport=tcp", "host": "turn.example.com"},
    ]
    assert SECRET not in repr(servers)


def test_an_older_bbb_install_file_with_a_stun_bean():
    text = BEANS.format(
        '<bean id="stun0" class="org.bigbluebutton.web.services.turn.StunServer">'
        '<constructor-arg index="0" value="stun:bbb-01.example.com"/></bean>'
        + turn("turn0", "turns:bbb-01.example.com:443?transport=tcp") + service(["stun0"], ["turn0"])
    )  # fmt: skip
    assert [(s["kind"], s["host"]) for s in stun_turn_servers(text)] == [
        ("stun", "bbb-01.example.com"),
        ("turn", "bbb-01.example.com"),
    ]


def test_missing_or_unreadable_means_the_packaged_google_stun_server():
    packaged = [{"kind": "stun", "url": "stun:stun.l.google.com:19302", "host": "stun.l.google.com"}]
    assert stun_turn_servers("") == packaged
    assert stun_turn_servers(bbb_install("turn.example.com"), readable=False) == packaged


def test_a_bean_the_service_does_not_refer_to_is_not_served():
    text = BEANS.format(
        turn("turn0", "turn:a.example.com:3478") + turn("old", "turn:b.example.com") + service(turns=["turn0"])
    )
    assert [s["host"] for s in stun_turn_servers(text)] == ["a.example.com"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<beans><bean id='x'", "not well-formed XML"),
        ("<html><body>502</body></html>", "not Spring's <beans>"),
        (
            BEANS.format(turn("turn0", "turn:a:3478")),
            "no bean of class org.bigbluebutton.web.services.turn.StunTurnService",
        ),
        (BEANS.format(service(turns=["turn9"])), "refers to the bean 'turn9'"),
    ],
)
def test_a_file_bbb_web_cannot_load_fails_with_its_reason_and_where(text, reason):
    with pytest.raises(AnsibleFilterError, match="^bbb-01 /etc/bigbluebutton/turn-stun-servers.xml: .*" + reason[:20]):
        stun_turn_servers(text, where="bbb-01 /etc/bigbluebutton/turn-stun-servers.xml")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("stun:stun.l.google.com:19302", "stun.l.google.com"),
        ("turns:TURN.Example.com:443?transport=tcp", "turn.example.com"),
        ("turn:[2001:db8::1]:3478", "2001:db8::1"),
        ("stun:bbb-01.example.com", "bbb-01.example.com"),
        ("turn://turn.example.com:3478", "turn.example.com"),
    ],
)
def test_ice_host(url, host):
    assert ice_host(url) == host


def test_the_lab_double_serves_what_the_filter_reads(tmp_path):
    """The bbb-web double's stuns and the product read the same file alike (both follow resources.groovy)."""
    path = tmp_path / "turn-stun-servers.xml"
    path.write_text(bbb_install("turn.lab.test"))
    double = load().read_stun_turn(str(path), user="root")
    assert [t["url"] for t in double["turn"]] + double["stun"] == [
        s["url"] for s in stun_turn_servers(path.read_text())
    ]
