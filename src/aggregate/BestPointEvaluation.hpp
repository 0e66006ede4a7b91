#pragma once
// The best point's evaluation for aggregate: the ensemble of its fold models on the test set,
// ROC curves, working points and AMS curves (BestPointEvaluation.cpp). Private to src/aggregate.
#include <vector>

#include "hepsweep/aggregate/Aggregate.hpp"

namespace hepsweep::aggregate::detail {

// The mean of `v`; NaN when empty.
double mean(const std::vector<double>& v);

// Fills s.best* from the best point's fold models (s.points.front()), scored on the test set.
void evaluateBest(Summary& s, const CollectOptions& o);

// The AMS-vs-threshold curves of the best point's fold models and of their ensemble.
void evaluateAms(Summary& s);

}  // namespace hepsweep::aggregate::detail
