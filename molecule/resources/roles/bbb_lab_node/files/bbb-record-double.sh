#!/bin/bash
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# bbb-record test double of the bbb.cluster_proxy lab: the one option the collection's daily job calls
# (roles/bbb_node/files/bbb-cluster-proxy-recordings), as upstream's bigbluebutton-config/bin/bbb-record does it
# (read in the 2.6.14 tree; docs/upstream-behaviour.md):
#
# | behaviour | mirrors (bbb-record) | rejects |
# |---|---|---|
# | directories from core/scripts/bigbluebutton.yml (recording_dir, published_dir, log_dir, | get_yml_value, the | a yml without |
# |   raw_presentation_src, raw_audio_src); status below raw_presentation_src/recording/status |   readonly globals | them (":?" aborts) |
# | formats: the process/*.rb scripts' names (none: published copies are not touched) | TYPES | - |
# | --delete <id>: status markers first, then per format the published, unpublished and deleted | the DELETE block | no id: "No meeting |
# |   copies, process/publish dirs and logs, then captions, inbox, raw, audio and presentation |   | id given", exit 1 |
# | --delete as neither root nor bigbluebutton: "Need to be user root or bigbluebutton ...", exit 1 | need_root_or_bigbluebutton | other users |
# | any other option: not in the lab (exit 2) | - | everything else |
BBB_YML=/usr/local/bigbluebutton/core/scripts/bigbluebutton.yml

get_yml_value() {  # the lab has no yq: a top-level "key: value" line
  sed -n "s/^$1:[[:space:]]*//p" "$BBB_YML" | head -n 1
}
RECORDING_DIR=$(get_yml_value recording_dir)
LOG_DIR=$(get_yml_value log_dir)
PUBLISHED_DIR=$(get_yml_value published_dir)
RAW_AUDIO_SRC=$(get_yml_value raw_audio_src)
RAW_PRESENTATION_SRC=$(get_yml_value raw_presentation_src)
STATUS=$RAW_PRESENTATION_SRC/recording/status
TYPES=$(cd /usr/local/bigbluebutton/core/scripts/process 2>/dev/null && find -- *.rb 2>/dev/null | sed s/.rb//g)

if [ "$1" != "--delete" ] && [ "$1" != "-delete" ]; then
  echo "bbb-record (lab double): only --delete <internal meetingID> is simulated" >&2
  exit 2
fi
if [ "$EUID" != 0 ] && [ "$USER" != bigbluebutton ]; then
  echo "Need to be user root or bigbluebutton to run this option"
  exit 1
fi
MEETING_ID=$2
if [[ -z $MEETING_ID ]]; then
  echo "No meeting id given"
  exit 1
fi

echo "deleting: $MEETING_ID"
rm -f "$STATUS"/ended/"$MEETING_ID"* "$STATUS"/recorded/"$MEETING_ID"* "$STATUS"/archived/"$MEETING_ID"*
rm -f "$STATUS"/sanity/"$MEETING_ID"* "$STATUS"/processed/"$MEETING_ID"* "$STATUS"/published/"$MEETING_ID"*
for type in $TYPES; do
  rm -rf "${PUBLISHED_DIR:?}"/"$type"/"$MEETING_ID"*
  rm -rf "$RAW_PRESENTATION_SRC"/unpublished/"$type"/"$MEETING_ID"* "$RAW_PRESENTATION_SRC"/deleted/"$type"/"$MEETING_ID"*
  rm -rf "$RECORDING_DIR"/process/"$type"/"$MEETING_ID"* "$RECORDING_DIR"/publish/"$type"/"$MEETING_ID"*
  rm -rf "${LOG_DIR:?}"/"$type"/*"$MEETING_ID"*
done
rm -rf "$RAW_PRESENTATION_SRC"/captions/"$MEETING_ID"*
rm -f "$RAW_PRESENTATION_SRC"/inbox/"$MEETING_ID"*.json "$RAW_PRESENTATION_SRC"/inbox/"$MEETING_ID"*.txt
rm -rf "$RECORDING_DIR"/raw/"$MEETING_ID"*
rm -f "$RAW_AUDIO_SRC"/"$MEETING_ID"*.wav "$RAW_AUDIO_SRC"/"$MEETING_ID"*.opus
rm -rf "${RAW_PRESENTATION_SRC:?}"/"$MEETING_ID"
