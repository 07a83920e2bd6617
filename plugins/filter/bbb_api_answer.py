# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: bbb_api_answer
short_description: Read the XML answer of a BigBlueButton (or Scalelite) API call
version_added: 0.2.0
description:
  - Parses the answer with the standard library's XML parser (module_utils C(bbb_api)) and returns its
    C(returncode), C(messageKey), C(message), every other top-level element's text, and for C(getMeetings) the
    meetings (each a dict of its elements' text).
  - An answer that is not BigBlueButton's XML (an HTML error page of a proxy in between, an empty body, a truncated
    document) gives an empty C(returncode) and an C(error) that starts with O(where), so that the task can name the
    host and the call instead of failing on a regular expression that did not match.
options:
  _input:
    description: The answer's body (C(content) of M(ansible.builtin.uri) with C(return_content)).
    type: str
    required: true
  where:
    description: What to name in C(error), such as C(bbb-01.example.com getMeetings).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Count the meetings that still run
  ansible.builtin.set_fact:
    running: "{{ (answer.content | bbb.cluster_proxy.bbb_api_answer(inventory_hostname ~ ' getMeetings')).meetings
                 | length }}"
"""

RETURN = r"""
_value:
  description: The answer.
  type: dict
  contains:
    returncode:
      description: C(SUCCESS) or C(FAILED); empty where the answer is not BigBlueButton's XML.
      type: str
    messageKey:
      description: The message key (C(checksumError), C(notFound), ...), or empty.
      type: str
    message:
      description: The message, or empty.
      type: str
    meetings:
      description: The meetings of a C(getMeetings) answer, each a dict of its elements' text (C(meetingID), C(running), ...).
      type: list
      elements: dict
    error:
      description: Empty, or what was wrong with the answer (starting with O(where)).
      type: str
"""

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import ApiAnswerError, parse_answer


def bbb_api_answer(text, where=""):
    body = text if isinstance(text, str) else "" if text is None else str(text)
    try:
        answer = parse_answer(body)
    except ApiAnswerError as exc:
        detail = f"{where}: {exc}" if where else str(exc)
        return {"returncode": "", "messageKey": "", "message": "", "meetings": [], "error": detail}
    answer["error"] = ""
    return answer


class FilterModule:
    def filters(self):
        return {"bbb_api_answer": bbb_api_answer}
