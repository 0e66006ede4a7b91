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

// An objective as people read it: stored values are turned back into the quantity quoted
// ("validation AMS 1.93" for a stored -1.93, "validation AUC 0.91" for a stored 0.09). Spreads
// (standard deviations) are the same in both forms.
struct ObjectiveDisplay {
  std::string quantity;  // "validation AMS", "validation loss", "validation background efficiency at ..."
  bool higherIsBetter = false;
  double sign = 1, offset = 0;
  double shown(double stored) const { return offset + sign * stored; }
};

// One objective, decoded once from its name: the configuration holds this, not the text, so
// that nothing compares names while it trains.
class Objective {
 public:
  enum class Kind { ValLoss, ValAuc, Ams, BkgEffAtSigEff };

  Objective() = default;  // val_loss
  // Nullopt unless `name` is one of the forms above (X a plain number, 0 < X < 1).
  static std::optional<Objective> parse(std::string_view name);
  // The forms accepted, for messages and docs.
  static constexpr std::string_view kAllowed =
      "\"val_loss\", \"val_auc\", \"ams\" or \"bkg_eff@sig_eff=X\" with 0 < X < 1";

  Kind kind() const { return kind_; }
  // The name as written ("bkg_eff@sig_eff=.5" stays so): what files store and dumps print.
  const std::string& name() const { return name_; }
  double signalEfficiency() const { return signalEfficiency_; }  // BkgEffAtSigEff only

  // The stored value (smaller is better) from the validation quantities; `bkgEffAt(x)` is the
  // weighted validation background efficiency at signal efficiency x (called for BkgEffAtSigEff only).
  double compute(double valLoss, double valAuc, double valAms, const std::function<double(double)>& bkgEffAt) const;

  // The stored objective of one result from its scalar metrics (`metric(name)`: metrics/<name>,
  // or nullopt when the file lacks it): metrics/objective; for files written before it was
  // stored, 1 - val_auc for val_auc and val_loss for val_loss. Error(Input) otherwise, worded
  // relative to the file ("it has no metrics/objective, ..."): callers name the file.
  double stored(const std::function<std::optional<double>(const std::string&)>& metric) const;

  // Per-epoch learning curves hold val_loss and val_auc only: the value compared epoch by epoch
  // (smaller is better) is 1 - val_auc for val_auc and val_loss for every other objective.
  double epochValue(double valLoss, double valAuc) const { return kind_ == Kind::ValAuc ? 1.0 - valAuc : valLoss; }
  const char* epochQuantity() const { return kind_ == Kind::ValAuc ? "1 - val_auc" : "val_loss"; }

  ObjectiveDisplay display() const;
  bool higherIsBetter() const { return display().higherIsBetter; }
  // One phrase for logs and status lines: "validation AMS 1.93", "validation loss 0.231",
  // "validation background efficiency 0.0123 at signal efficiency 0.8" (6 significant digits).
  std::string describe(double stored) const;

  bool operator==(const Objective& o) const { return name_ == o.name_; }

 private:
  Kind kind_ = Kind::ValLoss;
  std::string name_ = "val_loss";
  double signalEfficiency_ = 0;
};

// The same for an objective named in a file (a campaign.toml or summary written by any version):
// a name Objective::parse does not know gives "objective <name>", lower is better.
ObjectiveDisplay displayObjective(std::string_view objective);
// Error(Input) for a name Objective::parse does not know, unless metrics/objective is there.
double storedObjective(std::string_view objective,
                       const std::function<std::optional<double>(const std::string&)>& metric);

}  // namespace hepsweep::metrics
