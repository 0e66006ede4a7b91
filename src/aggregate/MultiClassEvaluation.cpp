// The best point of a multi-class campaign on the held-out test set: the ensemble of its fold
// models (the mean of their softmax outputs per event and class), one-vs-rest ROC curves and AUCs
// per class, background efficiencies at the campaign's signal efficiencies, and the argmax
// confusion matrix. The fold models' probabilities are the result files' scores/test.
#include "BestPointEvaluation.hpp"

#include <cmath>
#include <limits>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/metrics/MultiClass.hpp"
#include "hepsweep/model/Model.hpp"

namespace hepsweep::aggregate {

using namespace detail;

namespace {

std::vector<std::int64_t> classCounts(const std::vector<float>& labels, std::size_t classes) {
  std::vector<std::int64_t> n(classes, 0);
  for (const float l : labels) {
    const auto c = static_cast<std::size_t>(l);
    if (l < 0 || c >= classes || static_cast<float>(c) != l)
      throwInput("a stored label " + std::to_string(l) + " is not a class index 0.." + std::to_string(classes - 1));
    ++n[c];
  }
  return n;
}

}  // namespace

void detail::evaluateBestMulti(Summary& s, const CollectOptions& o, const model::FoldScores& scores,
                               const std::vector<std::size_t>& foldItems) {
  MultiClassSummary& m = s.multiClass;
  m.classNames = scores.classNames;
  m.signalEfficiencies = o.signalEfficiencies;
  const std::size_t k = m.classNames.size(), n = s.testLabels.size();
  const std::span<const float> labels(s.testLabels), weights(s.testWeights);
  m.classCounts.emplace_back("test", classCounts(s.testLabels, k));
  if (!scores.firstVal.labels.empty()) m.classCounts.emplace_back("val", classCounts(scores.firstVal.labels, k));

  std::vector<double> foldMean;
  for (std::size_t f = 0; f < foldItems.size(); ++f) {
    const std::vector<float>& p = scores.testMulti.at(f);
    m.foldAuc.push_back(metrics::oneVsRestAuc(p, k, labels));
    foldMean.push_back(metrics::meanOneVsRestAuc(p, k, labels));
    m.foldTestScores.push_back(p);
  }
  m.ensembleTestScores = model::ensembleMean(m.foldTestScores);
  if (m.ensembleTestScores.size() != n * k)
    throw Error(ErrorCategory::Internal, "evaluateBestMulti: the folds' test scores are not events x classes");
  const std::span<const float> ens(m.ensembleTestScores);
  m.ensembleAuc = metrics::oneVsRestAuc(ens, k, labels);
  m.ensembleAucWeighted = metrics::oneVsRestAuc(ens, k, labels, weights);
  for (std::size_t c = 0; c < k; ++c) {
    std::vector<double> perFold;
    for (const auto& a : m.foldAuc) perFold.push_back(a[c]);
    m.foldMeanAuc.push_back(mean(perFold));
    m.foldStdAuc.push_back(sampleStd(perFold));
    std::vector<double> eff;
    if (std::isnan(m.ensembleAuc[c])) {
      // The class (or every other one) is absent from the test set: no curve, no efficiencies.
      m.roc.push_back(RocCurve{m.classNames[c], {}, {}, m.ensembleAuc[c], {}});
      eff.assign(o.signalEfficiencies.size(), std::numeric_limits<double>::quiet_NaN());
    } else {
      const metrics::Roc roc = metrics::oneVsRestRoc(ens, k, labels, c);
      const metrics::Roc thin = metrics::thinRoc(roc, o.signalEfficiencies);
      m.roc.push_back(RocCurve{m.classNames[c], thin.tpr, thin.fpr, metrics::auc(roc), thin.threshold});
      for (const double e : o.signalEfficiencies) eff.push_back(metrics::bkgEffAtSigEff(roc, e));
    }
    m.backgroundEfficiency.push_back(std::move(eff));
  }
  m.confusion = metrics::confusionMatrix(ens, k, labels);
  m.confusionWeighted = metrics::confusionMatrix(ens, k, labels, weights);

  s.ensembleTestAuc = metrics::meanOneVsRestAuc(ens, k, labels);
  s.ensembleTestAucWeighted = metrics::meanOneVsRestAuc(ens, k, labels, weights);
  s.foldMeanTestAuc = mean(foldMean);
  s.foldStdTestAuc = sampleStd(foldMean);
  s.overtrainingNote = scores.trainNote;
}

}  // namespace hepsweep::aggregate
