# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: bbb_api_url
short_description: The signed URL of a BigBlueButton (or Scalelite) API call
version_added: 0.2.0
description:
  - Returns C(<api>/<call>?<query>&checksum=<checksum>), the checksum being the hex digest of the call's name, the
    query string as sent and the shared secret (bbb-common-web C(ParamsProcessorUtil); Scalelite C(verify_checksum)
    the same with its C(LOADBALANCER_SECRET)).
  - The algorithm is O(algorithm), SHA-256 where it is empty. bbb-web tells the algorithm by the checksum's length
    and accepts those its C(supportedChecksumAlgorithms) lists (C(sha1,sha256,sha384,sha512) by default); Scalelite
    accepts SHA-1, SHA-256 and SHA-512 (C(LOADBALANCER_CHECKSUM_ALGORITHM)). Set it cluster-wide with
    C(bbb_cluster_checksum_algorithm).
  - This is the one place where the collection signs API calls (module_utils C(bbb_api)); the secret is never part of
    the result, only the checksum made from it, so the tasks that use the URL are C(no_log).
options:
  _input:
    description: The API's base URL, C(https://<host>/bigbluebutton/api) (or Scalelite's C(/scalelite/api)).
    type: str
    required: true
  call:
    description: The call's name (C(getMeetings), C(create), C(updateServer), ...).
    type: str
    required: true
  params:
    description: The query parameters, in the order they are sent.
    type: dict
    default: {}
  secret:
    description: The shared secret (a node's C(securitySalt) or Scalelite's C(LOADBALANCER_SECRET)).
    type: str
    required: true
  algorithm:
    description: C(sha1), C(sha256), C(sha384) or C(sha512); empty for C(sha256).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Ask a node for its meetings
  ansible.builtin.uri:
    url: "{{ 'https://bbb-01.example.com/bigbluebutton/api' | bbb.cluster_proxy.bbb_api_url('getMeetings', {}, secret,
             bbb_cluster_checksum_algorithm | default('')) }}"
    return_content: true
  register: meetings
  no_log: true
"""

RETURN = r"""
_value:
  description: The URL with its query and checksum.
  type: str
  sample: https://bbb-01.example.com/bigbluebutton/api/getMeetings?checksum=9b2f...
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.bbb_api import ALGORITHMS, DEFAULT_ALGORITHM, call_url


def bbb_api_url(api, call, params=None, secret="", algorithm=""):
    if not api or not call:
        raise AnsibleFilterError("bbb_api_url: the API's URL and the call's name are required")
    if not secret:
        raise AnsibleFilterError(f"bbb_api_url: no secret to sign {call} with (the node's or Scalelite's secret)")
    algorithm = (algorithm or DEFAULT_ALGORITHM).lower()
    if algorithm not in ALGORITHMS:
        raise AnsibleFilterError(
            f"bbb_cluster_checksum_algorithm is '{algorithm}': it must be one of {', '.join(ALGORITHMS)} (one that "
            "every node's supportedChecksumAlgorithms and Scalelite's LOADBALANCER_CHECKSUM_ALGORITHM accept)"
        )
    return call_url(api, call, dict(params or {}), secret, algorithm)


class FilterModule:
    def filters(self):
        return {"bbb_api_url": bbb_api_url}
