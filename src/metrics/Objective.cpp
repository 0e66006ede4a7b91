#include "hepsweep/metrics/Objective.hpp"

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Physics.hpp"

namespace hepsweep::metrics {

namespace {

std::string format6(double v) { return str::formatDouble(v, "%.6g"); }

// The X of "bkg_eff@sig_eff=X" as the user wrote it.
std::string signalEfficiencyText(std::string_view objective) { return std::string(objective.substr(objective.find('=') + 1)); }

}  // namespace

double storedObjective(std::string_view objective,
                       const std::function<std::optional<double>(const std::string&)>& metric) {
  if (const auto v = metric("objective")) return *v;
  const auto need = [&](const std::string& name) {
    const auto v = metric(name);
    if (!v) throwInput("it has neither metrics/objective nor metrics/" + name);
    return *v;
  };
  if (objective == "val_auc") return 1.0 - need("val_auc");
  if (objective == "val_loss") return need("val_loss");
  throwInput("it has no metrics/objective, and the campaign's objective " + str::quoted(std::string(objective)) +
             " cannot be recomputed from its metrics");
}

ObjectiveDisplay displayObjective(std::string_view objective) {
  if (objective == "val_auc") return {"validation AUC", true, -1, 1};
  if (objective == "ams") return {"validation AMS", true, -1, 0};
  if (parseBkgEffObjective(objective))
    return {"validation background efficiency at signal efficiency " + signalEfficiencyText(objective), false, 1, 0};
  if (objective == "val_loss") return {"validation loss", false, 1, 0};
  return {"objective " + std::string(objective), false, 1, 0};
}

std::string describeObjective(std::string_view objective, double stored) {
  if (parseBkgEffObjective(objective))
    return "validation background efficiency " + format6(stored) + " at signal efficiency " +
           signalEfficiencyText(objective);
  const ObjectiveDisplay d = displayObjective(objective);
  return d.quantity + " " + format6(d.shown(stored));
}

}  // namespace hepsweep::metrics
