#pragma once
// Gradient-boosted decision trees through XGBoost's C library (Debian's libxgboost-dev): the
// campaign's BDT baseline. Two RAII types own the library's handles; every call's status is
// checked and a failure becomes an Error carrying XGBoost's own message. Training is one thread
// with a fixed seed, so the same inputs give the same trees, bit for bit.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hepsweep::baseline {

// An XGBoost DMatrix over a row-major table of `rows` x `cols` floats (copied by the library).
// NaN marks a missing value, which the trees route by a learned default direction. Labels (0/1)
// and weights may be empty (scoring); otherwise they have one entry per row.
class Matrix {
 public:
  Matrix(std::span<const float> table, std::int64_t rows, std::int64_t cols, std::span<const float> labels = {},
         std::span<const float> weights = {});
  ~Matrix();
  Matrix(Matrix&& o) noexcept;
  Matrix& operator=(Matrix&& o) noexcept;
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;

  void* handle() const { return handle_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }

 private:
  void* handle_ = nullptr;
  std::int64_t rows_ = 0, cols_ = 0;
};

struct BoosterParams {
  int trees = 200;             // boosting rounds at most
  int maxDepth = 3;
  double learningRate = 0.1;   // XGBoost's eta
  // Stop when the validation log loss (weighted) has not improved for this many rounds and keep
  // the trees up to the best round; 0: no early stopping, every round is kept.
  int earlyStoppingRounds = 0;
  std::uint64_t seed = 0;
  int threads = 1;             // more than one: faster, no longer bitwise reproducible
};

// The XGBoost parameters BoosterParams stand for, in the order they are set (also what a Python
// comparison passes to xgboost.train).
std::vector<std::pair<std::string, std::string>> xgboostParameters(const BoosterParams& p);

struct FitHistory {
  std::vector<double> valLoss;  // weighted validation log loss after each round (empty: no validation)
  int bestRound = 0;            // 1-based round whose trees are kept
  int roundsRun = 0;
  bool stoppedEarly = false;
};

enum class ModelFormat { Json, Ubjson };

class Booster {
 public:
  // Trains on `train`, evaluating on `val` (may be null: no early stopping, no history).
  static Booster train(const Matrix& train, const Matrix* val, const BoosterParams& p, FitHistory* history = nullptr);
  // A model saved by save() (either format); `what` names its origin in error messages.
  static Booster load(std::span<const std::uint8_t> bytes, const std::string& what);

  ~Booster();
  Booster(Booster&& o) noexcept;
  Booster& operator=(Booster&& o) noexcept;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  // Probabilities of the signal class, one per row of `m`.
  std::vector<float> predict(const Matrix& m) const;
  std::vector<std::uint8_t> save(ModelFormat format) const;
  int rounds() const;
  // Input features the model was trained on.
  std::int64_t features() const;

 private:
  explicit Booster(void* h) : handle_(h) {}
  void* handle_ = nullptr;
};

// "1.7.4": the library's version, recorded next to every model.
std::string xgboostVersion();

}  // namespace hepsweep::baseline
