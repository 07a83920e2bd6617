# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bbb_api_url and bbb_api_answer: every API call the roles make is signed and read in one place.

Signed URLs are checked against the lab's bbb-web double, which accepts and refuses checksums as bbb-common-web's
GetChecksumValidator does (tests/unit/lab_doubles/test_bbb_web_api.py); answers are built in the shapes of
bbb-web's ApiController responses (getMeetings, the API root, a FAILED answer) and of what a proxy in between
answers instead."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit
from urllib.request import urlopen

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.bbb_api_answer import bbb_api_answer
from ansible_collections.bbb.cluster_proxy.plugins.filter.bbb_api_url import bbb_api_url
from ansible_collections.bbb.cluster_proxy.tests.unit.lab_doubles.bbb_web import SECRET

API = "https://bbb-01.example.com/bigbluebutton/api"


def test_the_default_is_sha256_of_call_query_and_secret():
    url = bbb_api_url(API, "create", {"meetingID": "room 1", "name": "A&B"}, "s3cret")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{API}/create"
    query, checksum = parts.query.rsplit("&checksum=", 1)
    assert dict(parse_qsl(query)) == {"meetingID": "room 1", "name": "A&B"}
    assert checksum == hashlib.sha256(f"create{query}s3cret".encode()).hexdigest()
    assert "s3cret" not in url


@pytest.mark.parametrize(("algorithm", "length"), [("sha1", 40), ("SHA256", 64), ("sha384", 96), ("sha512", 128)])
def test_each_algorithm_bbb_web_knows(algorithm, length):
    assert len(bbb_api_url(API, "getMeetings", {}, "s", algorithm).rsplit("checksum=", 1)[1]) == length


def test_a_call_without_parameters_has_only_the_checksum():
    assert bbb_api_url(API + "/", "getMeetings", None, "s", "sha1") == (
        f"{API}/getMeetings?checksum={hashlib.sha1(b'getMeetingss').hexdigest()}"  # noqa: S324 - BBB's checksum
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((API, "getMeetings", {}, "s", "md5"), "bbb_cluster_checksum_algorithm is 'md5': it must be one of sha1"),
        ((API, "getMeetings", {}, ""), "no secret to sign getMeetings with"),
        (("", "getMeetings", {}, "s"), "the API's URL and the call's name are required"),
    ],
)
def test_bad_input_is_named(args, error):
    with pytest.raises(AnsibleFilterError, match=error):
        bbb_api_url(*args)


def test_signed_urls_are_accepted_by_bbb_web_that_dropped_sha1(bbb_web):
    port = bbb_web(properties="supportedChecksumAlgorithms=sha256,sha512\n")
    api = f"http://127.0.0.1:{port}/bigbluebutton/api"
    answers = {}
    for algorithm in ("", "sha1", "sha512"):
        with urlopen(bbb_api_url(api, "create", {"meetingID": f"m-{algorithm}"}, SECRET, algorithm)) as answer:  # noqa: S310
            answers[algorithm] = bbb_api_answer(answer.read().decode(), "room-a create")
    assert [answers[a]["returncode"] for a in ("", "sha1", "sha512")] == ["SUCCESS", "FAILED", "SUCCESS"]
    assert answers["sha1"]["messageKey"] == "checksumError" and answers["sha1"]["error"] == ""


GET_MEETINGS = """<response>
  <returncode>SUCCESS</returncode>
  <meetings>
    <meeting>
      <meetingName>Lecture</meetingName><meetingID>lecture-1</meetingID><running>true</running>
      <participantCount>12</participantCount>
      <attendees><attendee><fullName>T</fullName></attendee></attendees>
    </meeting>
    <meeting>
      <meetingName>Created, nobody joined</meetingName><meetingID>later</meetingID><running>false</running>
      <participantCount>0</participantCount><attendees/>
    </meeting>
  </meetings>
</response>"""


def test_get_meetings_lists_each_meeting_with_its_fields():
    answer = bbb_api_answer(GET_MEETINGS)
    assert answer["returncode"] == "SUCCESS" and answer["error"] == ""
    assert [(m["meetingID"], m["running"], m["participantCount"]) for m in answer["meetings"]] == [
        ("lecture-1", "true", "12"),
        ("later", "false", "0"),
    ]


def test_no_meetings_and_a_failed_answer():
    empty = bbb_api_answer(
        "<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey>"
        "<message>no meetings were found on this server</message></response>"
    )
    assert empty["meetings"] == [] and empty["messageKey"] == "noMeetings"
    failed = bbb_api_answer(
        "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey>"
        "<message>Checksums do not match</message></response>"
    )
    assert (failed["returncode"], failed["messageKey"], failed["message"]) == (
        "FAILED",
        "checksumError",
        "Checksums do not match",
    )


def test_the_api_roots_fields():
    root = bbb_api_answer(
        "<response><returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion>"
        "<bbbVersion>3.0.30</bbbVersion><graphqlWebsocketUrl>wss://bbb-01.example.com/graphql</graphqlWebsocketUrl>"
        "<graphqlApiUrl>https://bbb-01.example.com/api/rest</graphqlApiUrl></response>"
    )
    assert root["graphqlWebsocketUrl"] == "wss://bbb-01.example.com/graphql"
    assert root["graphqlApiUrl"] == "https://bbb-01.example.com/api/rest"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            "bbb-01 getMeetings: XML without <response><returncode> (root <html>)",
        ),
        ("<response><returncode>SUCCESS</returncode>", "bbb-01 getMeetings: not XML (no element found"),
        (None, "bbb-01 getMeetings: not XML"),
        ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><response/>", "bbb-01 getMeetings: "),
    ],
)
def test_what_is_not_bbbs_answer_is_named_with_host_and_call(text, error):
    answer = bbb_api_answer(text, "bbb-01 getMeetings")
    assert answer["returncode"] == "" and answer["meetings"] == []
    assert answer["error"].startswith(error), answer["error"]
