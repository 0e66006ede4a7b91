#!/usr/bin/python3
"""Checks the outputs of one model taken through every command (tests/e2e/EndToEndTest.cpp,
EndToEnd.OneModelTrainApplyExportReport).

check_one_model.py RESULT.h5 MODEL.h5 DATA.h5 SCORED.h5 INPUTS.csv EXPECTED.csv

- MODEL.h5 (written by `train`) holds the training's own test scores (RESULT.h5 scores/test) bit
  for bit, and the same held-out rows;
- `apply` of MODEL.h5 on the training data file gives, for the held-out test rows, the scores the
  training computed for them (within float rounding, 1e-6);
- writes the raw features of the first 300 test rows to INPUTS.csv and the training's scores for
  them to EXPECTED.csv, for check_export.py to evaluate the ONNX export against.
Exit status 0 on success, 1 with a message otherwise.
"""
import sys

import h5py
import numpy as np

TOL = 1e-6


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


result_path, model_path, data_path, scored_path, inputs_csv, expected_csv = sys.argv[1:7]
with h5py.File(result_path, "r") as r:
    own = r["scores/test"][()]
    rows = r["scores/test_rows"][()]
with h5py.File(model_path, "r") as m:
    if m.attrs["format"] != "hepsweep-model":
        fail("%s is not a model file (format %s)" % (model_path, m.attrs["format"]))
    if int(m.attrs["folds"]) != 1:
        fail("a single training's model has %d folds" % int(m.attrs["folds"]))
    if not np.array_equal(m["fold_rule/test_rows"][()], rows):
        fail("the model's test rows are not the training's")
    if not np.array_equal(m["test/scores"][()], own):
        fail("the model's test scores are not the training's own scores")
with h5py.File(scored_path, "r") as s:
    applied = s["score"][()]
with h5py.File(data_path, "r") as d:
    features = d["features"][()]
if applied.shape[0] != features.shape[0]:
    fail("apply scored %d events of %d" % (applied.shape[0], features.shape[0]))
diff = np.max(np.abs(applied[rows].astype(np.float64) - own.astype(np.float64)))
if not diff <= TOL:
    fail("apply's scores of the %d test events differ from the training's by up to %.3g" % (rows.size, diff))
print("apply: %d test events agree with the training's scores (max |difference| %.2g)" % (rows.size, diff))
n = min(300, rows.size)
np.savetxt(inputs_csv, features[rows[:n]], delimiter=",", fmt="%.9g")
np.savetxt(expected_csv, own[:n], fmt="%.9g")
