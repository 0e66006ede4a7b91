#include "hepsweep/baseline/Booster.hpp"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::baseline {
namespace {

[[noreturn]] void throwInternal(const std::string& m) { throw Error(ErrorCategory::Internal, m); }

// XGBoost reports failures by status and a thread-local message; a failed call here is a broken
// input (a model file, a shape) or a library fault, never a case to continue from.
void check(int status, const char* call, ErrorCategory category = ErrorCategory::Internal) {
  if (status == 0) return;
  throw Error(category, std::string("XGBoost ") + call + " failed: " + XGBGetLastError());
}

// Once per process: the library's own log lines (warnings about defaults) would interleave with
// the campaign's; its errors still arrive through XGBGetLastError.
void quietLibrary() {
  static const bool done = [] {
    check(XGBSetGlobalConfig("{\"verbosity\": 0}"), "XGBSetGlobalConfig");
    return true;
  }();
  (void)done;
}

bst_ulong count(std::int64_t n) { return static_cast<bst_ulong>(n); }

// "[3]\tval-logloss:0.512345" -> 0.512345
double lastMetric(const char* text) {
  const std::string s(text);
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throwInternal("XGBoost evaluation returned " + str::quoted(s));
  return std::strtod(s.c_str() + colon + 1, nullptr);
}

}  // namespace

Matrix::Matrix(std::span<const float> table, std::int64_t rows, std::int64_t cols, std::span<const float> labels,
               std::span<const float> weights)
    : rows_(rows), cols_(cols) {
  quietLibrary();
  if (rows < 0 || cols <= 0 || table.size() != static_cast<std::size_t>(rows * cols))
    throwInternal("baseline::Matrix: a table of " + std::to_string(table.size()) + " values is not " +
                  std::to_string(rows) + " x " + std::to_string(cols));
  if (!labels.empty() && labels.size() != static_cast<std::size_t>(rows))
    throwInternal("baseline::Matrix: " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) + " rows");
  if (!weights.empty() && weights.size() != static_cast<std::size_t>(rows))
    throwInternal("baseline::Matrix: " + std::to_string(weights.size()) + " weights for " + std::to_string(rows) + " rows");
  DMatrixHandle h = nullptr;
  check(XGDMatrixCreateFromMat(table.data(), count(rows), count(cols), std::numeric_limits<float>::quiet_NaN(), &h),
        "XGDMatrixCreateFromMat");
  handle_ = h;
  if (!labels.empty()) check(XGDMatrixSetFloatInfo(h, "label", labels.data(), count(rows)), "XGDMatrixSetFloatInfo(label)");
  if (!weights.empty())
    check(XGDMatrixSetFloatInfo(h, "weight", weights.data(), count(rows)), "XGDMatrixSetFloatInfo(weight)");
}

Matrix::~Matrix() {
  if (handle_) XGDMatrixFree(handle_);
}

Matrix::Matrix(Matrix&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)), rows_(o.rows_), cols_(o.cols_) {}

Matrix& Matrix::operator=(Matrix&& o) noexcept {
  if (this != &o) {
    if (handle_) XGDMatrixFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    rows_ = o.rows_;
    cols_ = o.cols_;
  }
  return *this;
}

std::vector<std::pair<std::string, std::string>> xgboostParameters(const BoosterParams& p) {
  return {{"objective", "binary:logistic"},
          // hist: the histogram method every current XGBoost defaults to on large data; named so
          // the library's "auto" choice cannot change the trees with the data size.
          {"tree_method", "hist"},
          {"max_depth", std::to_string(p.maxDepth)},
          {"eta", str::formatDouble(p.learningRate, "%.17g")},
          {"seed", std::to_string(p.seed)},
          {"nthread", std::to_string(p.threads)},
          {"eval_metric", "logloss"},
          {"verbosity", "0"}};
}

Booster Booster::train(const Matrix& train, const Matrix* val, const BoosterParams& p, FitHistory* history) {
  quietLibrary();
  if (p.trees < 1) throwConfig("baseline.trees must be >= 1, got " + std::to_string(p.trees));
  if (val && val->cols() != train.cols())
    throwInternal("baseline: validation matrix has " + std::to_string(val->cols()) + " features, training " +
                  std::to_string(train.cols()));
  DMatrixHandle cache[2] = {train.handle(), val ? val->handle() : nullptr};
  BoosterHandle h = nullptr;
  check(XGBoosterCreate(cache, val ? 2 : 1, &h), "XGBoosterCreate");
  Booster b(h);
  for (const auto& [name, value] : xgboostParameters(p))
    check(XGBoosterSetParam(h, name.c_str(), value.c_str()), ("XGBoosterSetParam(" + name + ")").c_str(),
          ErrorCategory::Config);

  FitHistory local;
  FitHistory& hist = history ? *history : local;
  hist = FitHistory{};
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < p.trees; ++round) {
    check(XGBoosterUpdateOneIter(h, round, train.handle()), "XGBoosterUpdateOneIter", ErrorCategory::Numeric);
    hist.roundsRun = round + 1;
    if (!val) {
      hist.bestRound = round + 1;
      continue;
    }
    DMatrixHandle evals[1] = {val->handle()};
    const char* names[1] = {"val"};
    const char* out = nullptr;
    check(XGBoosterEvalOneIter(h, round, evals, names, 1, &out), "XGBoosterEvalOneIter");
    const double loss = lastMetric(out);
    hist.valLoss.push_back(loss);
    if (!std::isfinite(loss))
      throwNumeric("baseline: validation log loss is " + std::to_string(loss) + " after round " +
                   std::to_string(round + 1));
    if (loss < best) {
      best = loss;
      hist.bestRound = round + 1;
    } else if (p.earlyStoppingRounds > 0 && hist.roundsRun - hist.bestRound >= p.earlyStoppingRounds) {
      hist.stoppedEarly = true;
      break;
    }
  }
  // Without early stopping every round is kept (as xgboost.train without early_stopping_rounds).
  if (p.earlyStoppingRounds == 0) hist.bestRound = hist.roundsRun;
  if (hist.bestRound < hist.roundsRun) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(h, 0, hist.bestRound, 1, &sliced), "XGBoosterSlice");
    return Booster(sliced);
  }
  return b;
}

Booster Booster::load(std::span<const std::uint8_t> bytes, const std::string& what) {
  quietLibrary();
  BoosterHandle h = nullptr;
  check(XGBoosterCreate(nullptr, 0, &h), "XGBoosterCreate");
  Booster b(h);
  if (XGBoosterLoadModelFromBuffer(h, bytes.data(), static_cast<bst_ulong>(bytes.size())) != 0)
    throwInput(what + ": not an XGBoost model this library reads (" + std::string(XGBGetLastError()) + ")");
  check(XGBoosterSetParam(h, "nthread", "1"), "XGBoosterSetParam(nthread)");
  return b;
}

Booster::~Booster() {
  if (handle_) XGBoosterFree(handle_);
}

Booster::Booster(Booster&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}

Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

std::vector<float> Booster::predict(const Matrix& m) const {
  if (m.cols() != features())
    throwInput("the BDT model expects " + std::to_string(features()) + " input features, the data have " +
               std::to_string(m.cols()));
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  // type 0: the transformed output (probabilities); every kept round.
  check(XGBoosterPredictFromDMatrix(handle_, m.handle(),
                                    "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                                    "\"iteration_end\": 0, \"strict_shape\": false}",
                                    &shape, &dim, &out),
        "XGBoosterPredictFromDMatrix");
  bst_ulong n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  if (n != static_cast<bst_ulong>(m.rows()))
    throwInternal("XGBoost returned " + std::to_string(n) + " scores for " + std::to_string(m.rows()) + " rows");
  return std::vector<float>(out, out + n);  // the library's buffer lives until its next call
}

std::vector<std::uint8_t> Booster::save(ModelFormat format) const {
  bst_ulong len = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(handle_, format == ModelFormat::Json ? "{\"format\": \"json\"}" : "{\"format\": \"ubj\"}",
                                   &len, &data),
        "XGBoosterSaveModelToBuffer");
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  return std::vector<std::uint8_t>(bytes, bytes + len);
}

int Booster::rounds() const {
  int n = 0;
  check(XGBoosterBoostedRounds(handle_, &n), "XGBoosterBoostedRounds");
  return n;
}

std::int64_t Booster::features() const {
  bst_ulong n = 0;
  check(XGBoosterGetNumFeature(handle_, &n), "XGBoosterGetNumFeature");
  return static_cast<std::int64_t>(n);
}

std::string xgboostVersion() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace hepsweep::baseline
