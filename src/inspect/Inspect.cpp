#include "hepsweep/inspect/Inspect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/data/LabelCopy.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::inspect {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v, const char* f = "%.4g") { return str::formatDouble(v, f); }

// One feature's values, with the rows where it is present (not the marker, finite).
struct Column {
  std::vector<float> values;       // every row
  std::vector<unsigned char> present;
};

double kishEffective(double sumW, double sumW2) { return sumW2 > 0 ? sumW * sumW / sumW2 : 0.0; }

// Equal values, NaN equal to NaN: two columns holding NaN in the same rows are still copies.
bool sameColumn(const std::vector<float>& a, const std::vector<float>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](float x, float y) { return x == y || (std::isnan(x) && std::isnan(y)); });
}

std::vector<std::string> names(const data::Dataset& ds, std::initializer_list<std::size_t> idx) {
  std::vector<std::string> out;
  for (std::size_t i : idx) out.push_back(ds.featureNames[i]);
  return out;
}

}  // namespace

Inspection inspect(const data::Dataset& ds, const std::string& file, const Options& options) {
  if (ds.multiClass())
    throwInput(file + ": a multi-class data file (" + std::to_string(ds.classNames.size()) +
               " classes): inspect it class by class with inspectClasses");
  Inspection r;
  r.file = file;
  r.options = options;
  r.rows = ds.rows();
  r.missingValue = ds.missingValue;
  const auto n = static_cast<std::size_t>(ds.rows());
  const auto nf = static_cast<std::size_t>(ds.cols());

  std::vector<float> labels(n), weights(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = ds.labels[static_cast<Eigen::Index>(i)];
    weights[i] = ds.weights[static_cast<Eigen::Index>(i)];
    const double w = weights[i];
    if (w != 1.0) r.weighted = true;
    if (labels[i] == 1.0f) {
      ++r.nSignal;
      r.sumWeightsSignal += w;
      r.negativeWeightsSignal += w < 0;
    } else {
      ++r.nBackground;
      r.sumWeightsBackground += w;
      r.negativeWeightsBackground += w < 0;
    }
  }
  if (r.nSignal == 0 || r.nBackground == 0)
    throwInput(file + ": " + std::to_string(r.nSignal) + " signal and " + std::to_string(r.nBackground) +
               " background events; inspect compares the classes and needs both");
  if (!(r.sumWeightsSignal > 0) || !(r.sumWeightsBackground > 0))
    throwInput(file + ": the summed event weight of signal is " + fmt(r.sumWeightsSignal) + " and of background " +
               fmt(r.sumWeightsBackground) + "; both must be > 0");
  if (r.negativeWeightsSignal + r.negativeWeightsBackground > 0)
    r.warnings.push_back({"negative_weights", {},
                          std::to_string(r.negativeWeightsSignal) + " signal and " +
                              std::to_string(r.negativeWeightsBackground) +
                              " background events have negative weights; they enter every weighted number with "
                              "their sign (histogram bins may dip below zero)"});

  std::vector<Column> cols(nf);
  for (std::size_t j = 0; j < nf; ++j) {
    Column& c = cols[j];
    c.values.resize(n);
    c.present.assign(n, 1);
    const bool usesMissing = ds.featureHasMissing(static_cast<data::Index>(j));
    for (std::size_t i = 0; i < n; ++i) {
      const float v = ds.features(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      c.values[i] = v;
      if (!std::isfinite(v) || (usesMissing && v == *ds.missingValue)) c.present[i] = 0;
    }
  }

  std::vector<data::LabelCopy> copies;
  {
    data::LabelCopyFinder finder(nf);
    for (std::size_t i = 0; i < n; ++i)
      finder.add({ds.features.row(static_cast<Eigen::Index>(i)).data(), nf}, labels[i]);
    copies = finder.copies();
  }

  r.features.resize(nf);
  for (std::size_t j = 0; j < nf; ++j) {
    FeatureStats& f = r.features[j];
    const Column& c = cols[j];
    f.name = ds.featureNames[j];
    f.usesMissing = ds.featureHasMissing(static_cast<data::Index>(j));
    std::vector<float> v, y, w, vs, ws, vb, wb;
    double missS = 0, missB = 0, nonfiniteS = 0, nonfiniteB = 0, w2s = 0, w2b = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool sig = labels[i] == 1.0f;
      if (!c.present[i]) {
        if (std::isfinite(c.values[i])) {
          (sig ? f.signal.missing : f.background.missing) += 1;
          (sig ? missS : missB) += weights[i];
        } else {
          (sig ? f.signal.nonfinite : f.background.nonfinite) += 1;
          (sig ? nonfiniteS : nonfiniteB) += weights[i];
        }
        continue;
      }
      v.push_back(c.values[i]);
      y.push_back(labels[i]);
      w.push_back(weights[i]);
      (sig ? vs : vb).push_back(c.values[i]);
      (sig ? ws : wb).push_back(weights[i]);
      (sig ? w2s : w2b) += static_cast<double>(weights[i]) * weights[i];
    }
    f.signal.missingFraction = missS / r.sumWeightsSignal;
    f.background.missingFraction = missB / r.sumWeightsBackground;
    f.signal.nonfiniteFraction = nonfiniteS / r.sumWeightsSignal;
    f.background.nonfiniteFraction = nonfiniteB / r.sumWeightsBackground;
    f.signal.moments = metrics::weightedMoments(vs, ws);
    f.background.moments = metrics::weightedMoments(vb, wb);
    f.signal.effectiveCount = kishEffective(f.signal.moments.sumWeights, w2s);
    f.background.effectiveCount = kishEffective(f.background.moments.sumWeights, w2b);
    if (f.signal.nonfinite + f.background.nonfinite > 0)
      r.warnings.push_back({"nonfinite", {f.name},
                            f.name + " has " + std::to_string(f.signal.nonfinite) + " signal and " +
                                std::to_string(f.background.nonfinite) +
                                " background events with NaN or infinite values (kept by convert "
                                "--allow-nonfinite); they are left out of every number like missing values, and "
                                "the network cannot train on them: fix or mark them as missing"});

    // Separation and AUC need both classes present with positive weight.
    const bool comparable = f.signal.moments.sumWeights > 0 && f.background.moments.sumWeights > 0;
    std::vector<float> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    std::size_t distinct = 0, top = 0;
    float topValue = 0;
    for (std::size_t i = 0; i < sorted.size();) {
      std::size_t k = i;
      while (k < sorted.size() && sorted[k] == sorted[i]) ++k;
      ++distinct;
      if (k - i > top) top = k - i, topValue = sorted[i];
      i = k;
    }
    double filledBins = 0;
    if (comparable) {
      const metrics::SeparationHistograms h = metrics::separationHistograms(v, y, w, options.bins);
      f.separationBins = static_cast<int>(h.signal.size());
      f.separationInteger = h.integer;
      filledBins = static_cast<double>(h.filledBins());
      f.separation = metrics::separation(h);
      f.auc = metrics::auc(v, y, w);
    } else {
      f.separation = f.auc = kNaN;
    }
    const double ns = f.signal.effectiveCount, nb = f.background.effectiveCount;
    if (comparable && ns > 0 && nb > 0) {
      f.separationNoise = std::max(filledBins - 1, 0.0) * (1 / ns + 1 / nb) / 4;
      f.aucNoise = std::sqrt((ns + nb + 1) / (12 * ns * nb));
    } else {
      f.separationNoise = f.aucNoise = kNaN;
    }
    f.noSeparation = comparable && f.separation < 3 * f.separationNoise && std::abs(f.auc - 0.5) < 3 * f.aucNoise;

    // Constant / near-constant over all present values, unweighted (a property of the column).
    if (v.empty()) {
      r.warnings.push_back({"constant", {f.name}, f.name + " has no present value (only the missing-value marker, "
                                                  "NaN or inf)"});
    } else if (distinct == 1) {
      r.warnings.push_back({"constant", {f.name},
                            f.name + " is constant (" + fmt(v[0], "%.7g") + " in every event): it carries no "
                            "information, drop it from data.features"});
    } else {
      const double frac = static_cast<double>(top) / static_cast<double>(v.size());
      if (frac >= options.nearConstantFraction)
        r.warnings.push_back({"near_constant", {f.name},
                              f.name + " is nearly constant: " + fmt(100 * frac, "%.2f") + "% of the present values are " +
                              fmt(topValue, "%.7g") + "; the network learns little from it"});
    }
    // A leaked label: one value for all signal and another for all background (the check convert
    // and train run too).
    if (const auto copy = std::find_if(copies.begin(), copies.end(), [&](const data::LabelCopy& c) { return c.feature == j; });
        copy != copies.end()) {
      r.warnings.push_back({"label_copy", {f.name},
                            data::labelCopyMessage(f.name, *copy) +
                                "; remove it from data.features or the classifier will be perfect and useless"});
      continue;
    }
    if (vs.empty() || vb.empty()) continue;
    const auto [smin, smax] = std::minmax_element(vs.begin(), vs.end());
    const auto [bmin, bmax] = std::minmax_element(vb.begin(), vb.end());
    // Disjoint value ranges, decided on the values themselves rather than on AUC == 1 after sums.
    if (*smax < *bmin || *bmax < *smin)
      r.warnings.push_back({"perfect_separation", {f.name},
                            f.name + " alone separates the classes perfectly (every signal value is " +
                                (*smax < *bmin ? "below" : "above") + " every background value; AUC " + fmt(f.auc) +
                                "): check that it is not derived from the label or the sample it came from"});
  }

  // Duplicated columns: identical values in every row (markers included).
  for (std::size_t a = 0; a < nf; ++a)
    for (std::size_t b = a + 1; b < nf; ++b)
      if (sameColumn(cols[a].values, cols[b].values)) {
        r.warnings.push_back({"duplicate", names(ds, {a, b}),
                              ds.featureNames[b] + " is an exact copy of " + ds.featureNames[a] +
                              "; keep one of them in data.features"});
      }

  r.ranking.resize(nf);
  for (std::size_t j = 0; j < nf; ++j) r.ranking[j] = j;
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [&](std::size_t a, std::size_t b) {
    const double sa = r.features[a].separation, sb = r.features[b].separation;
    if (std::isnan(sb)) return !std::isnan(sa);
    if (std::isnan(sa)) return false;
    return sa > sb;
  });
  for (std::size_t k = 0; k < nf; ++k) r.features[r.ranking[k]].rank = static_cast<int>(k + 1);

  // Correlations, pairwise complete, per class, among the features shown.
  r.shown.assign(r.ranking.begin(), r.ranking.begin() + static_cast<std::ptrdiff_t>(
                                                           std::min<std::size_t>(nf, static_cast<std::size_t>(options.maxFeatures))));
  std::sort(r.shown.begin(), r.shown.end());
  const auto ns = static_cast<Eigen::Index>(r.shown.size());
  r.correlationSignal = Eigen::MatrixXd::Constant(ns, ns, kNaN);
  r.correlationBackground = r.correlationSignal;
  std::vector<float> x, z, ww;
  for (int cls = 0; cls < 2; ++cls) {
    Eigen::MatrixXd& m = cls == 1 ? r.correlationSignal : r.correlationBackground;
    const float label = static_cast<float>(cls);
    for (Eigen::Index u = 0; u < ns; ++u)
      for (Eigen::Index v = u; v < ns; ++v) {
        const std::size_t a = r.shown[static_cast<std::size_t>(u)], b = r.shown[static_cast<std::size_t>(v)];
        x.clear();
        z.clear();
        ww.clear();
        for (std::size_t i = 0; i < n; ++i) {
          if (labels[i] != label || !cols[a].present[i] || !cols[b].present[i]) continue;
          x.push_back(cols[a].values[i]);
          z.push_back(cols[b].values[i]);
          ww.push_back(weights[i]);
        }
        const double rho = metrics::weightedCorrelation(x, z, ww);
        m(u, v) = rho;
        m(v, u) = rho;
      }
  }
  std::vector<CorrelationPair> pairs;
  for (Eigen::Index u = 0; u < ns; ++u)
    for (Eigen::Index v = u + 1; v < ns; ++v) {
      CorrelationPair p{r.shown[static_cast<std::size_t>(u)], r.shown[static_cast<std::size_t>(v)],
                        r.correlationSignal(u, v), r.correlationBackground(u, v)};
      if (std::isfinite(p.difference())) pairs.push_back(p);
    }
  std::stable_sort(pairs.begin(), pairs.end(), [](const CorrelationPair& p, const CorrelationPair& q) {
    return std::abs(p.difference()) > std::abs(q.difference());
  });
  if (pairs.size() > static_cast<std::size_t>(std::max(options.topPairs, 0)))
    pairs.resize(static_cast<std::size_t>(std::max(options.topPairs, 0)));
  r.largestDifferences = std::move(pairs);
  return r;
}

namespace {

nlohmann::ordered_json num(double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(); }

nlohmann::ordered_json classJson(const ClassStats& c) {
  return {{"mean", num(c.moments.mean)},   {"std", num(c.moments.std)},
          {"min", num(c.moments.count ? c.moments.min : kNaN)},
          {"max", num(c.moments.count ? c.moments.max : kNaN)},
          {"present", c.moments.count},    {"sum_weights", num(c.moments.sumWeights)},
          {"missing", c.missing},          {"missing_fraction", num(c.missingFraction)},
          {"nonfinite", c.nonfinite},      {"nonfinite_fraction", num(c.nonfiniteFraction)},
          {"effective_count", num(c.effectiveCount)}};
}

nlohmann::ordered_json matrixJson(const Eigen::MatrixXd& m) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (Eigen::Index j = 0; j < m.cols(); ++j) row.push_back(num(m(i, j)));
    rows.push_back(row);
  }
  return rows;
}

nlohmann::ordered_json toJsonValue(const Inspection& r) {
  nlohmann::ordered_json j;
  j["file"] = r.file;
  j["rows"] = r.rows;
  j["n_signal"] = r.nSignal;
  j["n_background"] = r.nBackground;
  j["weighted"] = r.weighted;
  j["sum_weights_signal"] = r.sumWeightsSignal;
  j["sum_weights_background"] = r.sumWeightsBackground;
  j["negative_weights_signal"] = r.negativeWeightsSignal;
  j["negative_weights_background"] = r.negativeWeightsBackground;
  j["missing_value"] = r.missingValue ? nlohmann::ordered_json(*r.missingValue) : nlohmann::ordered_json();
  j["separation_bins"] = r.options.bins;
  nlohmann::ordered_json feats = nlohmann::ordered_json::array();
  for (const FeatureStats& f : r.features)
    feats.push_back({{"name", f.name},
                     {"rank", f.rank},
                     {"separation", num(f.separation)},
                     {"separation_bins", f.separationBins},
                     {"separation_integer_bins", f.separationInteger},
                     {"auc", num(f.auc)},
                     {"separation_noise", num(f.separationNoise)},
                     {"auc_noise", num(f.aucNoise)},
                     {"no_separation", f.noSeparation},
                     {"uses_missing", f.usesMissing},
                     {"signal", classJson(f.signal)},
                     {"background", classJson(f.background)}});
  j["features"] = feats;
  nlohmann::ordered_json ranking = nlohmann::ordered_json::array();
  for (std::size_t k : r.ranking) ranking.push_back(r.features[k].name);
  j["ranking"] = ranking;
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const std::size_t k : r.shown) names.push_back(r.features[k].name);
  j["correlation"] = {{"features", names},
                      {"signal", matrixJson(r.correlationSignal)},
                      {"background", matrixJson(r.correlationBackground)}};
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const CorrelationPair& p : r.largestDifferences)
    pairs.push_back({{"features", {r.features[p.first].name, r.features[p.second].name}},
                     {"signal", num(p.signal)},
                     {"background", num(p.background)},
                     {"difference", num(p.difference())}});
  j["largest_correlation_differences"] = pairs;
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const Warning& w : r.warnings)
    warnings.push_back({{"kind", w.kind}, {"features", w.features}, {"message", w.message}});
  j["warnings"] = warnings;
  return j;
}

}  // namespace

std::string toJson(const Inspection& r, int indent, const std::string& report) {
  nlohmann::ordered_json j = toJsonValue(r);
  if (!report.empty()) j["report"] = report;
  return j.dump(indent);
}

std::string textSummary(const Inspection& r) {
  std::ostringstream os;
  os << r.file << ": " << r.rows << " events (" << r.nSignal << " signal, " << r.nBackground << " background), "
     << r.features.size() << " features";
  if (r.weighted)
    os << "; weighted: signal " << fmt(r.sumWeightsSignal) << ", background " << fmt(r.sumWeightsBackground);
  if (r.missingValue) os << "; missing-value marker " << fmt(*r.missingValue, "%.7g");
  os << "\n";
  if (!r.warnings.empty()) {
    os << "\nwarnings:\n";
    for (const Warning& w : r.warnings) os << "  [" << w.kind << "] " << w.message << "\n";
  }
  std::size_t width = 7;
  for (const FeatureStats& f : r.features) width = std::max(width, f.name.size());
  os << "\nseparation ranking (TMVA <S^2>, " << r.options.bins << " bins; AUC of the feature alone; missing values "
     << "excluded):\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %4s  %-*s  %10s  %7s  %12s  %12s  %9s  %9s\n", "rank", static_cast<int>(width),
                "feature", "separation", "AUC", "mean(sig)", "mean(bkg)", "miss(sig)", "miss(bkg)");
  os << line;
  for (std::size_t k : r.ranking) {
    const FeatureStats& f = r.features[k];
    std::snprintf(line, sizeof line, "  %4d  %-*s  %10s  %7s  %12s  %12s  %8s%%  %8s%%%s\n", f.rank,
                  static_cast<int>(width), f.name.c_str(), fmt(f.separation, "%.5f").c_str(), fmt(f.auc, "%.4f").c_str(),
                  fmt(f.signal.moments.mean).c_str(), fmt(f.background.moments.mean).c_str(),
                  fmt(100 * f.signal.missingFraction, "%.1f").c_str(),
                  fmt(100 * f.background.missingFraction, "%.1f").c_str(),
                  f.noSeparation ? "  no separation" : "");
    os << line;
  }
  if (r.shown.size() < r.features.size())
    os << "\ncorrelations and plots cover the " << r.shown.size() << " features with the largest separation of "
       << r.features.size() << " (--max-features)\n";
  if (!r.largestDifferences.empty()) {
    os << "\ncorrelations that differ most between the classes (weighted Pearson):\n";
    for (const CorrelationPair& p : r.largestDifferences) {
      std::snprintf(line, sizeof line, "  %-*s %-*s  signal %+.3f  background %+.3f  difference %+.3f\n",
                    static_cast<int>(width), r.features[p.first].name.c_str(), static_cast<int>(width),
                    r.features[p.second].name.c_str(), p.signal, p.background, p.difference());
      os << line;
    }
  }
  return os.str();
}

}  // namespace hepsweep::inspect
