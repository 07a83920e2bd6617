# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab doubles' programs in-process, their modules importable as where the lab roles install them side by side
(/usr/local/lib/bbb-lab): the bbb_lab_node role's files (bbb_lab/, bbb_web_lab/) and the bbb_lab_scalelite role's
(scalelite_lab/)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NODE_FILES = ROOT / "molecule/resources/roles/bbb_lab_node/files"
SCALELITE_FILES = ROOT / "molecule/resources/roles/bbb_lab_scalelite/files"


def load(program):
    """The program (a path under NODE_FILES or SCALELITE_FILES) as a fresh module: make_server, main."""
    for directory in (str(SCALELITE_FILES), str(NODE_FILES)):
        if directory not in sys.path:
            sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(program.stem, program)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(server, started):
    """Serve in a daemon thread; `started` collects the server for the fixture to stop. Its port."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    started.append(server)
    return server.server_address[1]
