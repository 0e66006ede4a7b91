#include "hepsweep/metrics/Objective.hpp"

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Physics.hpp"

namespace hepsweep::metrics {

namespace {

std::string format6(double v) { return str::formatDouble(v, "%.6g"); }

// The X of "bkg_eff@sig_eff=X" as the user wrote it.
std::string signalEfficiencyText(std::string_view name) { return std::string(name.substr(name.find('=') + 1)); }

}  // namespace

std::optional<Objective> Objective::parse(std::string_view name) {
  Objective o;
  o.name_ = std::string(name);
  if (name == "val_loss") o.kind_ = Kind::ValLoss;
  else if (name == "val_auc") o.kind_ = Kind::ValAuc;
  else if (name == "ams") o.kind_ = Kind::Ams;
  else if (const auto eff = parseBkgEffObjective(name)) {
    o.kind_ = Kind::BkgEffAtSigEff;
    o.signalEfficiency_ = *eff;
  } else {
    return std::nullopt;
  }
  return o;
}

double Objective::compute(double valLoss, double valAuc, double valAms,
                          const std::function<double(double)>& bkgEffAt) const {
  switch (kind_) {
    case Kind::ValLoss: return valLoss;
    case Kind::ValAuc: return 1.0 - valAuc;
    case Kind::Ams: return -valAms;
    case Kind::BkgEffAtSigEff: return bkgEffAt(signalEfficiency_);
  }
  return valLoss;
}

double Objective::stored(const std::function<std::optional<double>(const std::string&)>& metric) const {
  if (const auto v = metric("objective")) return *v;
  const auto need = [&](const std::string& name) {
    const auto v = metric(name);
    if (!v) throwInput("it has neither metrics/objective nor metrics/" + name);
    return *v;
  };
  if (kind_ == Kind::ValAuc) return 1.0 - need("val_auc");
  if (kind_ == Kind::ValLoss) return need("val_loss");
  throwInput("it has no metrics/objective, and the campaign's objective " + str::quoted(name_) +
             " cannot be recomputed from its metrics");
}

ObjectiveDisplay Objective::display() const {
  switch (kind_) {
    case Kind::ValAuc: return {"validation AUC", true, -1, 1};
    case Kind::Ams: return {"validation AMS", true, -1, 0};
    case Kind::BkgEffAtSigEff:
      return {"validation background efficiency at signal efficiency " + signalEfficiencyText(name_), false, 1, 0};
    case Kind::ValLoss: break;
  }
  return {"validation loss", false, 1, 0};
}

std::string Objective::describe(double stored) const {
  if (kind_ == Kind::BkgEffAtSigEff)
    return "validation background efficiency " + format6(stored) + " at signal efficiency " +
           signalEfficiencyText(name_);
  const ObjectiveDisplay d = display();
  return d.quantity + " " + format6(d.shown(stored));
}

ObjectiveDisplay displayObjective(std::string_view objective) {
  if (const auto o = Objective::parse(objective)) return o->display();
  return {"objective " + std::string(objective), false, 1, 0};
}

double storedObjective(std::string_view objective,
                       const std::function<std::optional<double>(const std::string&)>& metric) {
  if (const auto o = Objective::parse(objective)) return o->stored(metric);
  if (const auto v = metric("objective")) return *v;
  throwInput("it has no metrics/objective, and the campaign's objective " + str::quoted(std::string(objective)) +
             " cannot be recomputed from its metrics");
}

}  // namespace hepsweep::metrics
