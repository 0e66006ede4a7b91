// An `hepsweep export` ONNX file run by ONNX Runtime (onnxruntime-node), used by
// tests/model/MultiClassModelTest.cpp when HEPSWEEP_ONNXRUNTIME_NODE names a folder where
// `npm install onnxruntime-node --ignore-scripts` was run (the CPU library ships in the package).
//
//   node check_export_ort.js MODEL.onnx INPUTS.csv EXPECTED.csv
//
// Runs the embedded test vectors and the rows of INPUTS.csv; every output value must match
// hepsweep's (EXPECTED.csv, one row per event, K values for a K-class model) within 1e-6.
// The output's shape must be [N] for a binary model and [N, K] for a model with K class_names.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

const TOL = 1e-6;

function fail(msg) {
  console.log("FAIL: " + msg);
  process.exit(1);
}

function readCsv(path) {
  return fs.readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0).map((l) => l.split(",").map(Number));
}

async function check(session, rows, want, k, what) {
  const n = rows.length, f = rows[0].length;
  const x = new ort.Tensor("float32", Float32Array.from(rows.flat()), [n, f]);
  const out = (await session.run({ features: x })).score;
  const shape = k > 0 ? [n, k] : [n];
  if (JSON.stringify(out.dims) !== JSON.stringify(shape))
    fail(what + ": output shape " + JSON.stringify(out.dims) + ", expected " + JSON.stringify(shape));
  const flat = want.flat();
  if (flat.length !== out.data.length) fail(what + ": " + out.data.length + " values, expected " + flat.length);
  let worst = 0;
  for (let i = 0; i < flat.length; ++i) worst = Math.max(worst, Math.abs(out.data[i] - flat[i]));
  if (!(worst <= TOL)) fail(what + ": max |difference| " + worst + " > " + TOL);
  console.log("onnxruntime " + what + ": " + flat.length + " values agree (max |difference| " + worst.toExponential(2) + ")");
}

async function main() {
  const [model, inputs, expected] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const meta = {};
  // The metadata through onnx's protobuf is not exposed by onnxruntime-node: the test vectors are
  // found in the file's bytes by their keys instead (JSON arrays, as export writes them; the
  // metadata follows the graph, so the last occurrence of a key is the metadata's).
  const bytes = fs.readFileSync(model).toString("latin1");
  for (const key of ["test_inputs", "test_outputs", "class_names"]) {
    const at = bytes.lastIndexOf(key);  // metadata_props come last in the file
    if (at < 0) continue;
    const start = bytes.indexOf("[", at);
    let depth = 0, end = start;
    for (; end < bytes.length; ++end) {
      if (bytes[end] === "[") ++depth;
      else if (bytes[end] === "]" && --depth === 0) break;
    }
    meta[key] = JSON.parse(bytes.slice(start, end + 1));
  }
  const k = meta.class_names ? meta.class_names.length : 0;
  await check(session, meta.test_inputs, meta.test_outputs, k, "embedded test vectors");
  await check(session, readCsv(inputs), readCsv(expected), k, "hepsweep scores of the given events");
}

main().catch((e) => fail(String(e)));
