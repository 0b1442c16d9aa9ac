#!/usr/bin/env bash
# Screenshots of the editor while a file plays, under Xvfb (no display or sound card needed):
# the standalone app plays the file into the plugin (dummy audio backend) and the editor
# shows it live. Usage: editor_screenshot.sh FILE OUT.png [SECONDS]
set -euo pipefail
file=$1 out=$2 wait=${3:-6}
bin="${CARGO_TARGET_DIR:-target}/debug/timbrescope"
xvfb-run -a -s "-screen 0 1100x720x24" bash -c "
  '$bin' play '$file' --backend dummy --sample-rate 48000 --period-size 512 >/dev/null 2>&1 &
  app=\$!
  sleep $wait
  import -window root '$out'
  sleep 1
  import -window root '${out%.png}-later.png'
  kill \$app
"
echo "wrote $out and ${out%.png}-later.png"
