# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Molecule lab's doubles share (lab only; neither BigBlueButton's code nor Scalelite's).

httpd: the HTTP plumbing of the bbb-web double and the Scalelite double; websocket: the RFC 6455 framing of the
bbb-web double (graphql) and the meteor stand-in (sockjs). Both lab roles install this package to
/usr/local/lib/bbb-lab/bbb_lab/, beside the doubles' programs.
"""
