#pragma once
// The space a hyperparameter search explores, and the points in it.
//
// This module knows nothing of training or of TOML parsing: the campaign module reads
// [search.space] and builds a Space through the factories below. Values travel as TOML text
// because the campaign applies a point as `--set key=<text>` overrides; each value also carries
// a number (for plots and, later, Gaussian processes).
//
// Dimensions keep the order in which they are added; the campaign adds them in the order the
// keys appear in the file. That order fixes the grid order (last dimension varies fastest), the
// order of overrides and of describe(), and the layout of coordinates.
//
// All validation errors are Error(Config) naming the key, e.g.
//   search space key 'train.learning_rate': log = true needs min > 0 (got min = 0)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hepsweep::search {

// Largest number of points a grid may have, and largest budget / steps accepted: far beyond any
// affordable campaign, so reaching it means a typo (steps = 1000 instead of 10) rather than intent.
inline constexpr std::size_t kMaxPoints = 100000;
// Grid steps of a real or integer dimension written without `steps`: min, midpoint, max.
inline constexpr std::int64_t kDefaultGridSteps = 3;

enum class Kind { Real, Integer, Choice };

// One coordinate of a point.
struct Value {
  std::string key;   // dotted campaign key, e.g. "train.learning_rate"
  Kind kind = Kind::Real;
  std::string toml;  // TOML text: "0.001", "64", "[25, 20]", "\"relu\""
  double number = 0; // Real/Integer: the value; Choice: index of the choice (0-based)

  bool operator==(const Value&) const = default;
};

// Text that reads back as exactly `x`, as Python's repr writes it: the shortest round-trip digits
// (std::to_chars) in fixed notation for 1e-4 <= |x| < 1e16, scientific otherwise, and always a
// TOML float: "1.0" rather than "1"; "0.0001", "1e-05", "0.25", "1e+16". Non-finite values give
// "inf", "-inf", "nan" (TOML spellings).
std::string formatReal(double x);

class Dimension {
 public:
  // Real in [min, max]. log: sampled / spaced uniformly in log10 (needs min > 0).
  // steps: number of grid points (grid search only; default kDefaultGridSteps), linearly or
  // log-spaced with both ends exact; steps = 1 gives the midpoint (geometric when log).
  static Dimension real(std::string key, double min, double max, bool log = false,
                        std::optional<std::int64_t> steps = std::nullopt);
  // Integer in [min, max], both inclusive; the bounds must be integral (32 or 32.0) and within
  // +-2^53. log: log-uniform (needs min >= 1). Grid points are the steps spaced values rounded to
  // the nearest integer, duplicates removed (so a grid may have fewer than `steps` values).
  static Dimension integer(std::string key, double min, double max, bool log = false,
                           std::optional<std::int64_t> steps = std::nullopt);
  // Explicit list of values (categorical), each given as TOML text; order kept, no duplicates.
  static Dimension choices(std::string key, std::vector<std::string> tomlTexts);

  const std::string& key() const { return key_; }
  Kind kind() const { return kind_; }
  double min() const { return min_; }  // Real/Integer only
  double max() const { return max_; }
  bool log() const { return log_; }
  std::optional<std::int64_t> steps() const { return steps_; }
  const std::vector<std::string>& choiceTexts() const { return choices_; }

  // Values of this dimension on a grid, ascending for numbers, as listed for choices.
  std::vector<Value> gridValues() const;
  // Number of distinct values: nullopt for Real, max - min + 1 for Integer, list size for Choice.
  std::optional<std::uint64_t> cardinality() const;

  // The value at position u in [0, 1] of the dimension's sampling distribution: uniform for
  // Real/Integer/Choice, log-uniform when log (for integers: the log-uniform draw on
  // [min - 1/2, max + 1/2] rounded, so each integer gets the mass of its rounding interval).
  // Random search feeds it uniform numbers; a model-based search can optimise over [0, 1].
  Value fromUnit(double u) const;
  // Inverse of fromUnit: a position in [0, 1] such that fromUnit(toUnit(v)) == v (up to
  // rounding of the last bit for reals). Integers and choices map inside the interval of u that
  // gives them (the centre, or for log integers the log of the value).
  double toUnit(const Value& v) const;
  // Plotting / modelling coordinate: the number, its log10 for log dimensions, the index for choices.
  double coordinate(const Value& v) const;

  // The Value for a number (Real/Integer; must lie in [min, max], integral for Integer).
  Value value(double x) const;
  // The Value of choice `index` (Choice only).
  Value choice(std::size_t index) const;
  // Reads TOML text produced by this module (or equivalent: "1e-3" for 0.001, 64 for a real,
  // underscores in numbers); the result carries the canonical text. Error(Config) otherwise.
  Value parse(std::string_view toml) const;

  // One line for logs: "train.learning_rate: real in [0.0001, 0.01], log, 3 grid steps".
  std::string describe() const;

 private:
  Dimension() = default;
  // real() and integer() differ only in the kind they check and record.
  static Dimension numeric(std::string key, Kind kind, double min, double max, bool log,
                           std::optional<std::int64_t> steps);
  std::string key_;
  Kind kind_ = Kind::Real;
  double min_ = 0, max_ = 0;
  bool log_ = false;
  std::optional<std::int64_t> steps_;
  std::vector<std::string> choices_;
};

// A point of the space: one Value per dimension, in the space's order.
struct Point {
  std::int64_t id = -1;  // 0, 1, 2, ... in proposal order; -1 when not proposed by a searcher
  std::vector<Value> values;

  // {"model.widths=[25, 20]", "train.learning_rate=0.0001", ...} for campaign::applyOverrides.
  std::vector<std::string> toOverrides() const;
  // "model.widths=[25, 20] train.learning_rate=0.0001" (for logs and tables).
  std::string describe() const;
  // Point equality ignores ids: same keys and same TOML texts in the same order.
  bool sameValues(const Point& other) const;
};

class Space {
 public:
  Space() = default;
  explicit Space(std::vector<Dimension> dimensions);  // same as add() for each, in order

  // Appends a dimension; a key already present is Error(Config).
  void add(Dimension dimension);

  std::size_t size() const { return dims_.size(); }
  bool empty() const { return dims_.empty(); }
  const Dimension& operator[](std::size_t i) const { return dims_[i]; }
  const std::vector<Dimension>& dimensions() const { return dims_; }
  std::optional<std::size_t> indexOf(std::string_view key) const;

  // Number of distinct points when every dimension is Integer or Choice and the product fits
  // in 64 bits; nullopt otherwise (continuous or astronomically large).
  std::optional<std::uint64_t> cardinality() const;
  // The mixed-radix numbering of an all-discrete space (the grid order: last dimension fastest,
  // integers from min, choices as listed): the values of point number `rank` < cardinality(), and
  // the number of a point's values. Error(Internal) on a space with a Real dimension.
  std::vector<Value> valuesAt(std::uint64_t rank) const;
  std::uint64_t rankOf(const std::vector<Value>& values) const;
  // A point drawn from the sampling distribution of every dimension (Dimension::fromUnit of
  // rng::uniform(key, d) for dimension d): what random search proposes and Bayesian search
  // draws its candidates from.
  std::vector<Value> draw(std::uint64_t key) const;

  // A point from (key, TOML text) pairs, which must name every dimension once, in the space's
  // order (as saved in a search state). Error(Config) naming the key on any mismatch.
  Point parsePoint(const std::vector<std::pair<std::string, std::string>>& assignments) const;

  // Dimension::coordinate / toUnit for each value of a point of this space.
  std::vector<double> coordinates(const Point& point) const;
  std::vector<double> unitCoordinates(const Point& point) const;

  // One line per dimension (Dimension::describe).
  std::string describe() const;

 private:
  std::vector<Dimension> dims_;
};

}  // namespace hepsweep::search
