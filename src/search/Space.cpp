#include "hepsweep/search/Space.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::search {

namespace {

// Integers beyond 2^53 are not all representable as doubles, and Value::number is a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

std::string where(const std::string& key) { return "search space key " + str::quoted(key) + ": "; }

[[noreturn]] void internal(const std::string& message) {
  throw Error(ErrorCategory::Internal, message);
}

std::string formatInteger(double x) { return std::to_string(static_cast<std::int64_t>(x)); }

std::string formatBound(Kind kind, double x) {
  return kind == Kind::Integer ? formatInteger(x) : formatReal(x);
}

void checkSteps(const std::string& key, std::optional<std::int64_t> steps) {
  if (!steps) return;
  if (*steps < 1)
    throwConfig(where(key) + "steps must be >= 1 (got steps = " + std::to_string(*steps) + ")");
  if (static_cast<std::uint64_t>(*steps) > kMaxPoints)
    throwConfig(where(key) + "steps = " + std::to_string(*steps) + " exceeds the limit of " +
                std::to_string(kMaxPoints));
}

void checkRange(const std::string& key, Kind kind, double min, double max, bool log) {
  if (key.empty()) throwConfig("search space: a key is empty");
  if (!std::isfinite(min) || !std::isfinite(max))
    throwConfig(where(key) + "min and max must be finite numbers (got min = " + formatReal(min) +
                ", max = " + formatReal(max) + ")");
  if (kind == Kind::Integer) {
    for (const double b : {min, max}) {
      if (std::trunc(b) != b)
        throwConfig(where(key) + "type = \"int\" needs integral bounds (got " + formatReal(b) + ")");
      if (std::abs(b) > kMaxExactInteger)
        throwConfig(where(key) + "integer bound " + formatReal(b) + " is beyond +-2^53");
    }
  }
  if (!(min < max))
    throwConfig(where(key) + "min must be smaller than max (got min = " + formatBound(kind, min) +
                ", max = " + formatBound(kind, max) + "); for a fixed value set the key itself, "
                "outside [search.space]");
  if (log && !(min > 0))
    throwConfig(where(key) + "log = true needs min > 0 (got min = " + formatBound(kind, min) + ")");
}

// Grid positions in [min, max]: both ends exact, interior linearly or log-spaced; one step gives
// the (geometric when log) midpoint.
std::vector<double> spaced(double min, double max, bool log, std::int64_t steps) {
  std::vector<double> out;
  const auto at = [&](double t) {
    if (!log) return std::lerp(min, max, t);
    return std::pow(10.0, std::lerp(std::log10(min), std::log10(max), t));
  };
  if (steps == 1) {
    out.push_back(std::clamp(at(0.5), min, max));
    return out;
  }
  for (std::int64_t i = 0; i < steps; ++i) {
    if (i == 0) out.push_back(min);
    else if (i == steps - 1) out.push_back(max);
    else out.push_back(std::clamp(at(static_cast<double>(i) / static_cast<double>(steps - 1)), min, max));
  }
  return out;
}

// Leading '+' and TOML digit separators removed; the rest must be a complete number.
std::optional<double> parseNumber(std::string_view text) {
  std::string s;
  for (const char c : text)
    if (c != '_') s += c;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  if (s.empty()) return std::nullopt;
  double x = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return x;
}

}  // namespace

std::string formatReal(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  // Python's repr convention (fixed for 1e-4 <= |x| < 1e16, else scientific), each form the
  // shortest that round-trips: "0.0001" rather than the equally exact but odder "1e-04".
  const double a = std::abs(x);
  const auto format = (a == 0.0 || (a >= 1e-4 && a < 1e16)) ? std::chars_format::fixed
                                                          : std::chars_format::scientific;
  char buf[400];
  const auto result = std::to_chars(buf, buf + sizeof buf, x, format);
  std::string s(buf, result.ptr);
  // TOML reads "1" as an integer; a float key must get a float.
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

Dimension Dimension::numeric(std::string key, Kind kind, double min, double max, bool log,
                             std::optional<std::int64_t> steps) {
  checkRange(key, kind, min, max, log);
  checkSteps(key, steps);
  Dimension d;
  d.key_ = std::move(key);
  d.kind_ = kind;
  d.min_ = min;
  d.max_ = max;
  d.log_ = log;
  d.steps_ = steps;
  return d;
}

Dimension Dimension::real(std::string key, double min, double max, bool log,
                          std::optional<std::int64_t> steps) {
  return numeric(std::move(key), Kind::Real, min, max, log, steps);
}

Dimension Dimension::integer(std::string key, double min, double max, bool log,
                             std::optional<std::int64_t> steps) {
  return numeric(std::move(key), Kind::Integer, min, max, log, steps);
}

Dimension Dimension::choices(std::string key, std::vector<std::string> tomlTexts) {
  if (key.empty()) throwConfig("search space: a key is empty");
  if (tomlTexts.empty())
    throwConfig(where(key) + "the list of values is empty; give at least one value");
  for (std::size_t i = 0; i < tomlTexts.size(); ++i) {
    if (str::trim(tomlTexts[i]).empty())
      throwConfig(where(key) + "value " + std::to_string(i + 1) + " of the list is empty");
    for (std::size_t j = 0; j < i; ++j)
      if (tomlTexts[j] == tomlTexts[i])
        throwConfig(where(key) + "value " + str::quoted(tomlTexts[i]) + " is listed twice (positions " +
                    std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")");
  }
  Dimension d;
  d.key_ = std::move(key);
  d.kind_ = Kind::Choice;
  d.choices_ = std::move(tomlTexts);
  return d;
}

std::vector<Value> Dimension::gridValues() const {
  std::vector<Value> out;
  if (kind_ == Kind::Choice) {
    for (std::size_t i = 0; i < choices_.size(); ++i) out.push_back(choice(i));
    return out;
  }
  const std::vector<double> xs = spaced(min_, max_, log_, steps_.value_or(kDefaultGridSteps));
  for (const double x : xs) {
    const double v = kind_ == Kind::Integer ? std::clamp(std::round(x), min_, max_) : x;
    // Positions are ascending, so rounding can only repeat the previous integer.
    if (!out.empty() && out.back().number == v) continue;
    out.push_back(value(v));
  }
  return out;
}

std::optional<std::uint64_t> Dimension::cardinality() const {
  switch (kind_) {
    case Kind::Real: return std::nullopt;
    case Kind::Integer: return static_cast<std::uint64_t>(max_ - min_) + 1;
    case Kind::Choice: return choices_.size();
  }
  return std::nullopt;
}

Value Dimension::fromUnit(double u) const {
  if (!(u >= 0.0 && u <= 1.0)) internal("Dimension::fromUnit: position " + formatReal(u) + " outside [0, 1]");
  switch (kind_) {
    case Kind::Real: {
      if (u == 0.0) return value(min_);
      if (u == 1.0) return value(max_);
      const double x = log_ ? std::pow(10.0, std::lerp(std::log10(min_), std::log10(max_), u))
                            : std::lerp(min_, max_, u);
      return value(std::clamp(x, min_, max_));
    }
    case Kind::Integer: {
      if (log_) {
        const double x = std::exp(std::lerp(std::log(min_ - 0.5), std::log(max_ + 0.5), u));
        return value(std::clamp(std::round(x), min_, max_));
      }
      const double n = max_ - min_ + 1.0;
      return value(min_ + std::min(std::floor(u * n), n - 1.0));
    }
    case Kind::Choice: {
      const double n = static_cast<double>(choices_.size());
      return choice(static_cast<std::size_t>(std::min(std::floor(u * n), n - 1.0)));
    }
  }
  internal("Dimension::fromUnit: unknown kind");
}

double Dimension::toUnit(const Value& v) const {
  switch (kind_) {
    case Kind::Real:
      if (log_) return std::clamp((std::log10(v.number) - std::log10(min_)) / (std::log10(max_) - std::log10(min_)), 0.0, 1.0);
      return std::clamp((v.number - min_) / (max_ - min_), 0.0, 1.0);
    case Kind::Integer:
      if (log_) {
        const double lo = std::log(min_ - 0.5), hi = std::log(max_ + 0.5);
        return std::clamp((std::log(v.number) - lo) / (hi - lo), 0.0, 1.0);
      }
      return (v.number - min_ + 0.5) / (max_ - min_ + 1.0);
    case Kind::Choice:
      return (v.number + 0.5) / static_cast<double>(choices_.size());
  }
  internal("Dimension::toUnit: unknown kind");
}

double Dimension::coordinate(const Value& v) const {
  if (kind_ != Kind::Choice && log_) return std::log10(v.number);
  return v.number;
}

Value Dimension::value(double x) const {
  if (kind_ == Kind::Choice) internal("Dimension::value on list dimension " + str::quoted(key_));
  if (!std::isfinite(x) || x < min_ || x > max_)
    throwConfig(where(key_) + "value " + formatReal(x) + " is outside [" + formatBound(kind_, min_) +
                ", " + formatBound(kind_, max_) + "]");
  if (kind_ == Kind::Integer) {
    if (std::trunc(x) != x) throwConfig(where(key_) + "value " + formatReal(x) + " is not an integer");
    return Value{key_, Kind::Integer, formatInteger(x), x};
  }
  return Value{key_, Kind::Real, formatReal(x), x};
}

Value Dimension::choice(std::size_t index) const {
  if (kind_ != Kind::Choice || index >= choices_.size())
    internal("Dimension::choice(" + std::to_string(index) + ") on " + str::quoted(key_));
  return Value{key_, Kind::Choice, choices_[index], static_cast<double>(index)};
}

Value Dimension::parse(std::string_view toml) const {
  const std::string_view text = str::trim(toml);
  if (kind_ == Kind::Choice) {
    for (std::size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i] == text) return choice(i);
    throwConfig(where(key_) + str::quoted(text) + " is not one of the listed values [" +
                str::join(choices_, ", ") + "]");
  }
  const std::optional<double> x = parseNumber(text);
  if (!x) throwConfig(where(key_) + str::quoted(text) + " is not a number");
  return value(*x);
}

std::string Dimension::describe() const {
  std::string s = key_ + ": ";
  if (kind_ == Kind::Choice) return s + "one of " + str::join(choices_, ", ");
  s += kind_ == Kind::Integer ? "integer" : "real";
  s += " in [" + formatBound(kind_, min_) + ", " + formatBound(kind_, max_) + "]";
  if (log_) s += ", log";
  s += ", " + std::to_string(steps_.value_or(kDefaultGridSteps)) + " grid steps";
  if (!steps_) s += " (default)";
  return s;
}

std::vector<std::string> Point::toOverrides() const {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const Value& v : values) out.push_back(v.key + "=" + v.toml);
  return out;
}

std::string Point::describe() const { return str::join(toOverrides(), " "); }

bool Point::sameValues(const Point& other) const {
  if (values.size() != other.values.size()) return false;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i].key != other.values[i].key || values[i].toml != other.values[i].toml) return false;
  return true;
}

Space::Space(std::vector<Dimension> dimensions) {
  for (Dimension& d : dimensions) add(std::move(d));
}

void Space::add(Dimension dimension) {
  if (indexOf(dimension.key()))
    throwConfig(where(dimension.key()) + "appears twice in the search space");
  dims_.push_back(std::move(dimension));
}

std::optional<std::size_t> Space::indexOf(std::string_view key) const {
  for (std::size_t i = 0; i < dims_.size(); ++i)
    if (dims_[i].key() == key) return i;
  return std::nullopt;
}

std::optional<std::uint64_t> Space::cardinality() const {
  std::uint64_t n = 1;
  for (const Dimension& d : dims_) {
    const std::optional<std::uint64_t> c = d.cardinality();
    if (!c) return std::nullopt;
    if (n > std::numeric_limits<std::uint64_t>::max() / *c) return std::nullopt;
    n *= *c;
  }
  return n;
}

namespace {

// Digit of a discrete value in the mixed-radix numbering.
std::uint64_t digitOf(const Dimension& d, const Value& v) {
  if (d.kind() == Kind::Real) internal("Space: mixed-radix numbering of a space with a real dimension");
  return d.kind() == Kind::Integer ? static_cast<std::uint64_t>(v.number - d.min()) : static_cast<std::uint64_t>(v.number);
}

}  // namespace

std::vector<Value> Space::valuesAt(std::uint64_t rank) const {
  std::vector<Value> values(dims_.size());
  for (std::size_t d = dims_.size(); d-- > 0;) {
    const std::optional<std::uint64_t> n = dims_[d].cardinality();
    if (!n) internal("Space::valuesAt: dimension " + dims_[d].key() + " is real");
    const std::uint64_t k = rank % *n;
    rank /= *n;
    values[d] = dims_[d].kind() == Kind::Integer ? dims_[d].value(dims_[d].min() + static_cast<double>(k))
                                                 : dims_[d].choice(static_cast<std::size_t>(k));
  }
  return values;
}

std::uint64_t Space::rankOf(const std::vector<Value>& values) const {
  if (values.size() != dims_.size()) internal("Space::rankOf: point of another space");
  std::uint64_t r = 0;
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const std::uint64_t digit = digitOf(dims_[d], values[d]);  // refuses a real dimension first
    r = r * *dims_[d].cardinality() + digit;
  }
  return r;
}

std::vector<Value> Space::draw(std::uint64_t key) const {
  std::vector<Value> values;
  for (std::size_t d = 0; d < dims_.size(); ++d) values.push_back(dims_[d].fromUnit(rng::uniform(key, d)));
  return values;
}

Point Space::parsePoint(const std::vector<std::pair<std::string, std::string>>& assignments) const {
  const std::size_t common = std::min(assignments.size(), dims_.size());
  Point p;
  for (std::size_t i = 0; i < common; ++i) {
    if (assignments[i].first != dims_[i].key())
      throwConfig("search point lists key " + str::quoted(assignments[i].first) + " at position " +
                  std::to_string(i + 1) + " where the search space has " + str::quoted(dims_[i].key()));
    p.values.push_back(dims_[i].parse(assignments[i].second));
  }
  if (assignments.size() > dims_.size())
    throwConfig("search point has key " + str::quoted(assignments[common].first) +
                ", which is not in the search space");
  if (assignments.size() < dims_.size())
    throwConfig("search point lacks key " + str::quoted(dims_[common].key()) + " of the search space");
  return p;
}

std::vector<double> Space::coordinates(const Point& point) const {
  if (point.values.size() != dims_.size()) internal("Space::coordinates: point of another space");
  std::vector<double> out;
  for (std::size_t i = 0; i < dims_.size(); ++i) out.push_back(dims_[i].coordinate(point.values[i]));
  return out;
}

std::vector<double> Space::unitCoordinates(const Point& point) const {
  if (point.values.size() != dims_.size()) internal("Space::unitCoordinates: point of another space");
  std::vector<double> out;
  for (std::size_t i = 0; i < dims_.size(); ++i) out.push_back(dims_[i].toUnit(point.values[i]));
  return out;
}

std::string Space::describe() const {
  std::string s;
  for (const Dimension& d : dims_) s += d.describe() + "\n";
  return s;
}

}  // namespace hepsweep::search
