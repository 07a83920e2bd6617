# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors Scalelite answers with."""

from __future__ import annotations


class BBBError(Exception):
    """concerns/bbb_errors.rb: rendered as HTTP 200 FAILED (application_controller.rb rescue_from BBBError)."""

    def __init__(self, key, message):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def checksum_error():
    return BBBError("checksumError", "You did not pass the checksum security check")


def not_found_error():
    return BBBError(
        "notFound", "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?"
    )


class ServerError500(Exception):
    """The uncaught NameError of upstream's join (ServerDisabledError is not defined)."""
