#include "hepsweep/metrics/Objective.hpp"

#include <cstdio>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Physics.hpp"

namespace hepsweep::metrics {

namespace {

std::string format6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

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

ObjectiveReading readable(std::string_view objective, double stored) {
  if (objective == "val_auc") return {"validation AUC", 1.0 - stored};
  if (objective == "ams") return {"validation AMS", -stored};
  if (parseBkgEffObjective(objective))
    return {"validation background efficiency at signal efficiency " + signalEfficiencyText(objective), stored};
  if (objective == "val_loss") return {"validation loss", stored};
  return {"objective " + std::string(objective), stored};
}

std::string describeObjective(std::string_view objective, double stored) {
  if (parseBkgEffObjective(objective))
    return "validation background efficiency " + format6(stored) + " at signal efficiency " +
           signalEfficiencyText(objective);
  const ObjectiveReading r = readable(objective, stored);
  return r.quantity + " " + format6(r.value);
}

}  // namespace hepsweep::metrics
