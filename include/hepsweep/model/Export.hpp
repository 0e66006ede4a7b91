#pragma once
// `hepsweep export`: a best-model.h5 as experiment software runs it (docs/export.md).
// - ONNX (opset 13, IR version 7): input "features" float[N, F] (the model's features in order),
//   output "score" float[N] (multi-class models: float[N, K], the softmax probabilities in the
//   order of metadata "class_names"). Each fold's preprocessing is explicit (missing-value imputation with
//   Equal/Where, indicators with Gather/Equal/Cast/Concat, scaling with Sub/Mul in double as
//   hepsweep computes it, PCA with MatMul), then Gemm, BatchNormalization and the activations in
//   float, Sigmoid (multi-class: Softmax over the classes); the ensemble is the Mean of the fold outputs. The protobuf is written by a
//   small encoder here (no ONNX library needed).
// - lwtnn JSON (lwtnn's "sequential" network format): inputs with name/offset/scale, dense layers
//   (weights n_out x n_in row-major, bias, activation), batch normalisation folded into the dense
//   layers; the ensemble is one network with the fold networks side by side (block-diagonal
//   weights) and a final linear layer averaging their sigmoid outputs.
// Both embed test vectors (inputs and hepsweep's scores for them) so a consumer can check that
// it loaded the model correctly.
#include <cstdint>
#include <string>
#include <vector>

#include "hepsweep/model/Model.hpp"

namespace hepsweep::model {

enum class ExportFormat { Onnx, Lwtnn };
ExportFormat parseExportFormat(const std::string& s);  // "onnx" | "lwtnn"; Error(Config) otherwise

struct ExportOptions {
  ExportFormat format = ExportFormat::Onnx;
  int fold = -1;  // -1: the ensemble of all folds; else that fold's model alone
  std::string modelPath;  // recorded in the export
  std::string modelSha256;
  int testVectors = 5;
};

struct TestVectors {
  data::FeatureMatrix inputs;  // rows x model features
  Eigen::VectorXf scores;      // hepsweep's score of each row (ensemble or the exported fold)
  int classes = 1;             // multi-class: scores holds K probabilities per row, row-major
};

// A few deterministic, plausible feature vectors (around each feature's training mean, spread by
// its standard deviation where known, one with the missing-value marker when the model has one)
// and hepsweep's own scores for them.
TestVectors makeTestVectors(const Model& m, int fold, int count);

// The serialised ONNX ModelProto / the lwtnn JSON text.
std::string exportOnnx(const Model& m, const ExportOptions& o);
std::string exportLwtnn(const Model& m, const ExportOptions& o);

struct ExportSummary {
  std::string output;
  ExportFormat format = ExportFormat::Onnx;
  int fold = -1;
  int folds = 0;
  std::size_t bytes = 0;
  TestVectors tests;
};

// Writes the export to `output` atomically (temporary name + rename).
ExportSummary exportModel(const Model& m, const ExportOptions& o, const std::string& output);

}  // namespace hepsweep::model
