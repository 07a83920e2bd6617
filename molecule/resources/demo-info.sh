#!/usr/bin/env bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Print what to open after `make demo`. The proxy container publishes its
# port 443 on 127.0.0.1:8443 of this machine.
set -euo pipefail
ca_dir=$(ls -td "${HOME}"/.ansible/tmp/molecule.*.default/pki 2>/dev/null | head -n 1 || true)
ca="${ca_dir:-<molecule ephemeral dir>/pki}/ca.crt"
[[ -f "$ca" ]] && cp "$ca" .build/bbb-lab-ca.crt && ca=$(pwd)/.build/bbb-lab-ca.crt

cat <<EOT

The bbb.cluster_proxy lab is up: proxy.lab.test + simulated BBB 3.0 nodes bbb-01.lab.test, bbb-02.lab.test
(simulated nodes: BBB file layout, real nginx and systemd, a bbb-conf test double; no real meetings).

Fetch each node's client through the proxy:
  curl --cacert $ca --resolve proxy.lab.test:8443:127.0.0.1 https://proxy.lab.test:8443/bbb-01/html5client/
  curl --cacert $ca --resolve proxy.lab.test:8443:127.0.0.1 https://proxy.lab.test:8443/bbb-02/html5client/
  curl --cacert $ca --resolve proxy.lab.test:8443:127.0.0.1 https://proxy.lab.test:8443/anything-else   # 404

In a browser on this machine:
  1. add  "127.0.0.1 proxy.lab.test"  to /etc/hosts
  2. import $ca as a trusted authority
  3. open https://proxy.lab.test:8443/bbb-01/html5client/ and https://proxy.lab.test:8443/bbb-02/html5client/

Look inside:  docker exec -it bbb-01.lab.test bash     (bbb-conf --check, cat /etc/bigbluebutton/bbb-web.properties)
Proxy config: docker exec proxy.lab.test cat /etc/nginx/conf.d/bbb-cluster-proxy.conf
Tear down:    make demo-destroy
EOT
