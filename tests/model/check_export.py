#!/usr/bin/python3
"""Independent checks of `hepsweep export` outputs, used by tests/model/ExportTest.cpp.

check_export.py onnx  MODEL.onnx  [INPUTS.csv EXPECTED.csv]
check_export.py lwtnn MODEL.json  [INPUTS.csv EXPECTED.csv]

ONNX: onnx.checker must accept the file; a small numpy interpreter written here (walking the
graph's nodes, initializers through onnx.numpy_helper) evaluates the embedded test vectors and,
when given, the rows of INPUTS.csv; every score must match hepsweep's within 1e-6.
lwtnn: the JSON is read back and evaluated with numpy the way lwtnn does ((x + offset) * scale,
then dense layers); the same comparison. Exit status 0 on success, 1 with a message otherwise.
"""
import json
import sys

import numpy as np

TOL = 1e-6


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def run_onnx(model, x):
    from onnx import numpy_helper, TensorProto
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x.astype(np.float32)
    np_types = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64, TensorProto.INT64: np.int64,
                TensorProto.BOOL: np.bool_}
    for node in model.graph.node:
        a = {at.name: at for at in node.attribute}
        ins = [values[i] for i in node.input]
        op = node.op_type
        if op == "Cast":
            out = ins[0].astype(np_types[a["to"].i])
        elif op == "Gather":
            out = np.take(ins[0], ins[1], axis=a["axis"].i if "axis" in a else 0)
        elif op == "Equal":
            out = np.equal(ins[0], ins[1])
        elif op == "Where":
            out = np.where(ins[0], ins[1], ins[2])
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"].i)
        elif op == "Sub":
            out = ins[0] - ins[1]
        elif op == "Mul":
            out = ins[0] * ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if "transA" in a and a["transA"].i:
                A = A.T
            if "transB" in a and a["transB"].i:
                B = B.T
            out = A @ B + (ins[2] if len(ins) > 2 else 0)
        elif op == "BatchNormalization":
            x_, g, b, m, v = ins
            eps = a["epsilon"].f if "epsilon" in a else 1e-5
            out = (x_ - m) / np.sqrt(v + np.float32(eps)) * g + b
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "LeakyRelu":
            out = np.where(ins[0] > 0, ins[0], np.float32(a["alpha"].f) * ins[0])
        elif op == "Elu":
            out = np.where(ins[0] > 0, ins[0], np.float32(a["alpha"].f) * np.expm1(ins[0]))
        elif op == "Tanh":
            out = np.tanh(ins[0])
        elif op == "Softplus":
            out = np.logaddexp(0, ins[0])
        elif op == "Sigmoid":
            out = sigmoid(ins[0])
        elif op == "Softmax":
            axis = a["axis"].i if "axis" in a else -1
            z = ins[0] - np.max(ins[0], axis=axis, keepdims=True)
            e = np.exp(z.astype(np.float64))
            out = (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32)
        elif op == "Mean":
            out = sum(ins) / len(ins)
        elif op == "Reshape":
            out = ins[0].reshape(ins[1])
        else:
            fail("unexpected ONNX operator " + op)
        values[node.output[0]] = np.asarray(out)
    return values[model.graph.output[0].name]


def lwtnn_act(spec, x):
    name = spec if isinstance(spec, str) else spec["function"]
    if name == "rectified":
        return np.maximum(x, 0)
    if name == "linear":
        return x
    if name == "sigmoid":
        return sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "elu":
        return np.where(x > 0, x, spec["alpha"] * np.expm1(np.minimum(x, 0)))
    if name == "leakyrelu":
        return np.where(x > 0, x, spec["alpha"] * x)
    fail("unexpected lwtnn activation " + str(spec))


def run_lwtnn(net, x):
    off = np.array([i["offset"] for i in net["inputs"]], dtype=np.float64)
    sc = np.array([i["scale"] for i in net["inputs"]], dtype=np.float64)
    h = (x.astype(np.float64) + off) * sc
    for layer in net["layers"]:
        if layer["architecture"] != "dense":
            fail("unexpected lwtnn architecture " + layer["architecture"])
        b = np.array(layer["bias"], dtype=np.float64)
        w = np.array(layer["weights"], dtype=np.float64).reshape(len(b), -1)
        h = lwtnn_act(layer["activation"], h @ w.T + b)
    return h[:, 0]


def compare(got, want, what):
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.asarray(want, dtype=np.float64).reshape(-1)
    if got.shape != want.shape:
        fail("%s: %d scores, expected %d" % (what, got.size, want.size))
    d = np.max(np.abs(got - want)) if got.size else 0.0
    if not d <= TOL:
        fail("%s: max |difference| %.3g > %g" % (what, d, TOL))
    print("%s: %d scores agree (max |difference| %.2g)" % (what, got.size, d))


def main():
    kind, path = sys.argv[1], sys.argv[2]
    extra = None
    if len(sys.argv) == 5:
        extra = (np.loadtxt(sys.argv[3], delimiter=",", ndmin=2), np.loadtxt(sys.argv[4], delimiter=",", ndmin=1))
    if kind == "onnx":
        import onnx
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
        if not opset or opset[0] < 13:
            fail("opset %s < 13" % opset)
        meta = {p.key: p.value for p in model.metadata_props}
        if model.graph.input[0].name != "features" or model.graph.output[0].name != "score":
            fail("input/output names are not features/score")
        # Multi-class models: output [N, K] with K = len(class_names); binary ones [N].
        dims = model.graph.output[0].type.tensor_type.shape.dim
        if "class_names" in meta:
            k = len(json.loads(meta["class_names"]))
            if len(dims) != 2 or dims[1].dim_value != k:
                fail("a %d-class model's output shape is not [N, %d]" % (k, k))
            if model.graph.node[-1].op_type != "Mean" or not any(n.op_type == "Softmax" for n in model.graph.node):
                fail("a multi-class model's graph does not end in Softmax outputs averaged by Mean")
        elif len(dims) != 1:
            fail("a binary model's output is not [N]")
        run = lambda x: run_onnx(model, x)
    elif kind == "lwtnn":
        with open(path) as f:
            net = json.load(f)
        meta = net["miscellaneous"]
        names = [i["name"] for i in net["inputs"]]
        if len(set(names)) != len(names):
            fail("duplicate input names")
        run = lambda x: run_lwtnn(net, x)
    else:
        fail("unknown kind " + kind)
    x = np.array(json.loads(meta["test_inputs"]), dtype=np.float32)
    compare(run(x), json.loads(meta["test_outputs"]), "embedded test vectors")
    if extra is not None:
        compare(run(extra[0].astype(np.float32)), extra[1], "hepsweep scores of the given events")


main()
