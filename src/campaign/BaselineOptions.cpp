#include "BaselineOptions.hpp"

#include <algorithm>
#include <limits>

namespace hepsweep::campaign::detail {
namespace {

constexpr int kMaxBaselinePoints = 1000;

bool enabled(const CampaignConfig& c) { return c.baseline.enabled; }

// A number, or a non-empty list of them (the grid's values for that key); a one-element list is
// dumped as the number.
template <class T>
OptionSpec<CampaignConfig> numberOrList(std::string key, std::vector<T> BaselineConfig::*field, Bounds elem,
                                        std::string doc) {
  OptionSpec<CampaignConfig> s{key,
                               std::is_integral_v<T> ? "integer or list of integers" : "float or list of floats",
                               elem.describe().empty() ? "" : "each " + elem.describe(),
                               std::move(doc),
                               false,
                               {},
                               {},
                               {},
                               false,
                               std::is_integral_v<T> ? Numeric::Integer : Numeric::Real};
  const auto one = [key, elem](const toml::node& n, const std::string& k, const Origin& o) -> T {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(readInt(n, k, o, elem, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    else
      return readReal<T>(n, k, o, elem);
  };
  s.assign = [key, field, one](CampaignConfig& c, const toml::node& n, const Origin& o) {
    std::vector<T> out;
    if (n.is_array()) {
      const toml::array& a = *n.as_array();
      if (a.empty()) throwType(key, "a number or a non-empty list of numbers", n, o);
      for (std::size_t i = 0; i < a.size(); ++i) {
        const T v = one(a[i], elementKey(key, i), o);
        if (std::find(out.begin(), out.end(), v) != out.end())
          throwConfig(key + " lists " + formatList(std::vector<T>{v}) + " twice (" + o.at(a[i]) + ")");
        out.push_back(v);
      }
    } else {
      out.push_back(one(n, key, o));
    }
    c.baseline.*field = std::move(out);
  };
  s.format = [field](const CampaignConfig& c) {
    const auto& v = c.baseline.*field;
    if (v.size() != 1) return formatList(v);
    if constexpr (std::is_integral_v<T>) return std::to_string(v[0]);
    else return formatReal(v[0]);
  };
  s.present = enabled;
  return s;
}

}  // namespace

std::vector<OptionSpec<CampaignConfig>> baselineOptions() {
  std::vector<OptionSpec<CampaignConfig>> out;
  {
    const std::vector<std::string> choices{"none", "xgboost"};
    OptionSpec<CampaignConfig> s{"baseline.method", "string", quotedChoices(choices),
                                 "A BDT baseline on the same folds, weights and splits as the network: none (the default), or "
                                 "xgboost (gradient-boosted trees, one thread, seeded by the campaign seed; its items "
                                 "run after the network's, in RUN/baseline/; docs/baseline.md)",
                                 true, {}, {}, {}, false};
    s.assign = [choices](CampaignConfig& c, const toml::node& n, const Origin& o) {
      c.baseline.enabled = readChoice(n, "baseline.method", o, choices) == "xgboost";
    };
    s.format = [](const CampaignConfig& c) { return formatString(c.baseline.enabled ? "xgboost" : "none"); };
    s.present = enabled;
    out.push_back(std::move(s));
  }
  out.push_back(numberOrList<int>("baseline.trees", &BaselineConfig::trees, closed(1, 100000),
                                  "Boosting rounds (trees) at most (default 200); a list makes a grid"));
  out.push_back(numberOrList<int>("baseline.max_depth", &BaselineConfig::maxDepth, closed(1, 20),
                                  "Depth of each tree (default 3); a list makes a grid"));
  out.push_back(numberOrList<double>("baseline.learning_rate", &BaselineConfig::learningRate, openClosed(0, 1),
                                     "Shrinkage of each tree, XGBoost's eta (default 0.1); a list makes a grid"));
  {
    auto s = intOption<CampaignConfig>("baseline.early_stopping_rounds",
                                       [](auto& c) -> auto& { return c.baseline.earlyStoppingRounds; }, atLeast(0),
                                       "Stop when the validation fold's weighted log loss has not improved for this "
                                       "many rounds, keeping the trees up to the best one; 0 (the default): every round is kept");
    s.present = enabled;
    out.push_back(std::move(s));
  }
  return out;
}

// The grid's size, checked with the campaign (Options.cpp's validation calls it).
void checkBaseline(const CampaignConfig& c, const std::string& in) {
  const BaselineConfig& b = c.baseline;
  if (!b.enabled) {
    const BaselineConfig off;
    if (b.trees != off.trees || b.maxDepth != off.maxDepth || b.learningRate != off.learningRate ||
        b.earlyStoppingRounds != off.earlyStoppingRounds)
      throwConfig("[baseline] keys are set but baseline.method = \"none\"" + in +
                  "; set baseline.method = \"xgboost\" to train the BDT baseline");
    return;
  }
  const std::size_t points = b.trees.size() * b.maxDepth.size() * b.learningRate.size();
  if (points > static_cast<std::size_t>(kMaxBaselinePoints))
    throwConfig("[baseline] makes a grid of " + std::to_string(points) + " points (trees x max_depth x "
                "learning_rate), more than " + std::to_string(kMaxBaselinePoints) + in);
}

}  // namespace hepsweep::campaign::detail
