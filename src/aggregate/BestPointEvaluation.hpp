#pragma once
// The best point's evaluation for aggregate: the ensemble of its fold models on the test set,
// ROC curves, working points and AMS curves (BestPointEvaluation.cpp). Private to src/aggregate.
#include <vector>

#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/model/FoldScores.hpp"

namespace hepsweep::aggregate::detail {

// The mean of `v`; NaN when empty.
double mean(const std::vector<double>& v);

// Fills s.best* from the best point's fold models (s.points.front()), scored on the test set.
void evaluateBest(Summary& s, const CollectOptions& o);

// evaluateBest for a multi-class point (scores.classNames set): s.multiClass from the fold
// models' stored test probabilities (MultiClassEvaluation.cpp). foldItems: indices into s.items
// by fold, as scores' folds.
void evaluateBestMulti(Summary& s, const CollectOptions& o, const model::FoldScores& scores,
                       const std::vector<std::size_t>& foldItems);

// The AMS-vs-threshold curves of the best point's fold models and of their ensemble.
void evaluateAms(Summary& s);

}  // namespace hepsweep::aggregate::detail
