#!/usr/bin/env bash
# Re-extracts basic-pitch's network from the pinned PyPI wheel and regenerates its burn code.
# Run by hand (needs pip and network access); the normal build never runs it.
#   tools/basic-pitch/extract.sh            # wheel -> assets/basic-pitch/nmp.onnx + LICENSE
#   tools/basic-pitch/extract.sh --import   # also runs burn-onnx's onnx2burn (cargo install burn-onnx@0.22.0)
set -euo pipefail
cd "$(dirname "$0")/../.."

wheel_version=0.4.0
wheel_sha256=738adb503aae7fdfc7d1e1511aa0ce35052315f260a19531ef4c356708425db0
onnx_sha256=2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps "basic-pitch==$wheel_version" -d "$work"
echo "$wheel_sha256  $(ls "$work"/basic_pitch-"$wheel_version"-*.whl)" | sha256sum -c -
unzip -q -o "$work"/basic_pitch-"$wheel_version"-*.whl -d "$work/x"
echo "$onnx_sha256  $work/x/basic_pitch/saved_models/icassp_2022/nmp.onnx" | sha256sum -c -
mkdir -p assets/basic-pitch
cp "$work/x/basic_pitch/saved_models/icassp_2022/nmp.onnx" assets/basic-pitch/nmp.onnx
cp "$work/x/basic_pitch-$wheel_version.dist-info/LICENSE" assets/basic-pitch/LICENSE

if [ "${1:-}" = "--import" ]; then
  # Written into assets/basic-pitch so that the generated code names that folder, not a temporary one.
  onnx2burn assets/basic-pitch/nmp.onnx assets/basic-pitch --no-development
  mv assets/basic-pitch/nmp.rs engine/src/networks/basic_pitch/generated.rs
fi
