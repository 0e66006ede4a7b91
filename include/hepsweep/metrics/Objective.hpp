#pragma once
// The validation objective a campaign ranks its points by (search.objective), as result files
// store it (metrics/objective, written with train::writeResultFile) and as people read it. Every
// objective is stored so that smaller is better:
//   "val_loss"            the validation loss
//   "val_auc"             1 - the validation ROC AUC
//   "ams"                 -(the largest validation AMS over score cuts)
//   "bkg_eff@sig_eff=X"   the weighted validation background efficiency at signal efficiency X
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hepsweep::metrics {

// The stored objective of one result from its scalar metrics (`metric(name)`: metrics/<name>, or
// nullopt when the file lacks it): metrics/objective; for files written before it was stored,
// 1 - val_auc for "val_auc" and val_loss for "val_loss". Error(Input) otherwise, worded relative
// to the file ("it has no metrics/objective, ..."): callers name the file.
double storedObjective(std::string_view objective,
                       const std::function<std::optional<double>(const std::string&)>& metric);

// An objective as people read it: stored values are turned back into the quantity quoted
// ("validation AMS 1.93" for a stored -1.93, "validation AUC 0.91" for a stored 0.09). Spreads
// (standard deviations) are the same in both forms.
struct ObjectiveDisplay {
  std::string quantity;  // "validation AMS", "validation loss", "validation background efficiency at ..."
  bool higherIsBetter = false;
  double sign = 1, offset = 0;
  double shown(double stored) const { return offset + sign * stored; }
};
ObjectiveDisplay displayObjective(std::string_view objective);

// One phrase for logs and status lines: "validation AMS 1.93", "validation loss 0.231",
// "validation background efficiency 0.0123 at signal efficiency 0.8" (6 significant digits).
std::string describeObjective(std::string_view objective, double stored);

}  // namespace hepsweep::metrics
