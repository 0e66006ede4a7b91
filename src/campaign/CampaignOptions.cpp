// The campaign file as a whole: the training keys lifted under [cv], [search] and [resources],
// those sections' own declarations, and the rules between sections.
#include <string>

#include "BaselineOptions.hpp"
#include "OptionTables.hpp"
#include "SearchSpaceOptions.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {

const char* toString(SearchMethod m) {
  switch (m) {
    case SearchMethod::None: return "none";
    case SearchMethod::Grid: return "grid";
    case SearchMethod::Random: return "random";
    case SearchMethod::Bayes: return "bayes";
  }
  return "none";
}

const char* toString(BayesSchedule s) { return s == BayesSchedule::Rounds ? "rounds" : "asynchronous"; }

const char* toString(DataPlacement p) {
  switch (p) {
    case DataPlacement::Auto: return "auto";
    case DataPlacement::Node: return "node";
    case DataPlacement::Rows: return "rows";
  }
  return "auto";
}


using train::RunConfig;
using namespace detail;

namespace {

// A choice plus the parametrised "bkg_eff@sig_eff=X".
OptionSpec<CampaignConfig> objectiveOption() {
  const std::string allowed(metrics::Objective::kAllowed);
  OptionSpec<CampaignConfig> s{"search.objective", "string", allowed,
                               "What ranks the points, on validation data, mean over folds (smaller is better): "
                               "val_loss; val_auc (stored as 1 - AUC); ams (the largest AMS over score cuts with "
                               "[metrics] yields, stored as -AMS); bkg_eff@sig_eff=X (weighted background "
                               "efficiency at signal efficiency X)",
                               true, {}, {}, {}, false};
  s.assign = [allowed](CampaignConfig& c, const toml::node& n, const Origin& o) {
    const std::string v = readString(n, "search.objective", o);
    const auto objective = metrics::Objective::parse(v);
    if (!objective)
      throwConfig("search.objective must be " + allowed + "; got " + str::quoted(v) + " (" + o.at(n) + ")");
    c.search.objective = *objective;
  };
  s.format = [](const CampaignConfig& c) { return formatString(c.search.objective.name()); };
  return s;
}

OptionSpec<CampaignConfig> budgetOption() {
  const Bounds b = closed(1, static_cast<double>(search::kMaxPoints));
  OptionSpec<CampaignConfig> s{"search.budget", "integer", b.describe(),
                               "random, bayes: number of points to try (required); grid ignores it", false, {}, {}, {},
                               false};
  s.assign = [b](CampaignConfig& c, const toml::node& n, const Origin& o) {
    c.search.budget = readInt(n, "search.budget", o, b, 1, static_cast<std::int64_t>(search::kMaxPoints));
  };
  s.format = [](const CampaignConfig& c) { return std::to_string(*c.search.budget); };
  s.present = [](const CampaignConfig& c) { return c.search.budget.has_value(); };
  return s;
}

std::vector<OptionSpec<CampaignConfig>> campaignOptions() {
  using C = CampaignConfig;
  std::vector<OptionSpec<C>> out;
  for (const auto& o : runTable().options) out.push_back(liftOption<C>(o, HEPSWEEP_FIELD(run)));
  out.push_back(intOption<C>("cv.folds", HEPSWEEP_FIELD(cv.folds), atLeast(1),
                             "k-fold cross-validation: 1 is the plain data.split; k > 1 cuts the rows outside the "
                             "test fraction into k folds, each validated on once"));
  out.push_back(enumOption<C>("search.method", HEPSWEEP_FIELD(search.method),
                              std::vector{SearchMethod::None, SearchMethod::Grid, SearchMethod::Random,
                                          SearchMethod::Bayes},
                              "How the points are chosen: none (the base configuration only), grid (every "
                              "combination of the space), random (search.budget draws), bayes (Gaussian-process "
                              "Bayesian optimisation, search.budget points; docs/search.md)"));
  out.push_back(budgetOption());
  out.push_back(objectiveOption());
  out.push_back(intOption<C>("search.initial_points", HEPSWEEP_FIELD(search.bayes.initialPoints),
                             closed(1, static_cast<double>(search::kMaxPoints)),
                             "bayes: points from the initial design before the Gaussian process is used (part of "
                             "the budget; capped at it)"));
  out.push_back(enumOption<C>("search.initial_design", HEPSWEEP_FIELD(search.bayes.initialDesign),
                                std::vector{search::InitialDesign::Random, search::InitialDesign::Lhs,
                                            search::InitialDesign::Sobol},
                                "bayes: how the initial points are spread: independent draws, a Latin hypercube, or "
                                "a randomly shifted Sobol sequence"));
  out.push_back(enumOption<C>("search.acquisition", HEPSWEEP_FIELD(search.bayes.acquisition),
                                std::vector{search::AcquisitionKind::EI, search::AcquisitionKind::LCB,
                                            search::AcquisitionKind::PI, search::AcquisitionKind::GpHedge},
                                "bayes: expected improvement, lower confidence bound, probability of improvement, or "
                                "scikit-optimize's gp_hedge portfolio choosing among the three"));
  out.push_back(floatOption<C>("search.xi", HEPSWEEP_FIELD(search.bayes.xi), any(),
                               "bayes, EI and PI: the improvement over the best objective that counts, in objective "
                               "units (larger explores more)"));
  out.push_back(floatOption<C>("search.kappa", HEPSWEEP_FIELD(search.bayes.kappa), atLeast(0),
                               "bayes, LCB: mean - kappa * standard deviation (larger explores more)"));
  out.push_back(enumOption<C>("search.liar", HEPSWEEP_FIELD(search.bayes.liar),
                                std::vector{search::Liar::ClMin, search::Liar::ClMean, search::Liar::ClMax,
                                            search::Liar::KrigingBeliever},
                                "bayes: objective assumed for points still running when the next ones are proposed: "
                                "the minimum, mean or maximum of the results so far (constant liar), or kb (kriging "
                                "believer: the Gaussian process's predicted mean there, from the results alone)"));
  for (auto& o : searchModelOptions()) out.push_back(std::move(o));
  out.push_back(enumOption<C>("search.schedule", HEPSWEEP_FIELD(search.schedule),
                                std::vector{BayesSchedule::Asynchronous, BayesSchedule::Rounds},
                                "bayes with several rank groups: propose a point whenever a group runs out of items "
                                "(groups stay busy; proposals depend on the finishing order), or in rounds of one "
                                "point per group (groups wait for the slowest; exactly reproducible)"));
  out.push_back(boolOption<C>("search.racing.enabled", HEPSWEEP_FIELD(search.racing.enabled),
                              "Race points across folds: train fold 0 first and each further fold only while the point "
                              "can still be the best (mean - z * pooled fold spread / sqrt(folds) not worse than the "
                              "best complete point's mean); skipped folds are recorded as raced out (docs/search.md)"));
  out.push_back(floatOption<C>("search.racing.z", HEPSWEEP_FIELD(search.racing.z), atLeast(0),
                               "racing: standard errors between a point's mean and the bound compared with the best "
                               "(1.645: one-sided 95 %; larger races out fewer points)"));
  out.push_back(intOption<C>("search.racing.min_folds", HEPSWEEP_FIELD(search.racing.minFolds), atLeast(1),
                             "racing: folds every point trains before it may be raced out"));
  out.push_back(enumOption<C>("search.early_stopping.rule", HEPSWEEP_FIELD(search.earlyStopping.rule),
                                std::vector{search::StoppingRule::None, search::StoppingRule::Median,
                                            search::StoppingRule::Asha, search::StoppingRule::Hyperband},
                                "Stop poor items while they train: none; the median rule (stop an item after "
                                "epoch e when its best validation value so far is worse than the median of the "
                                "finished items of the same fold at e); asha (asynchronous successive halving: at "
                                "rungs min_epochs x reduction_factor^k an item continues only if its best value is "
                                "among the best 1/reduction_factor of the items of its fold that reached the rung); "
                                "or hyperband (asha in brackets of growing min_epochs, point i in bracket i mod "
                                "brackets). Values: val_loss, or 1 - val_auc for objective val_auc; docs/search.md"));
  out.push_back(intOption<C>("search.early_stopping.grace_epochs", HEPSWEEP_FIELD(search.earlyStopping.graceEpochs),
                             atLeast(1), "median rule: epochs every item trains before it may be stopped"));
  out.push_back(intOption<C>("search.early_stopping.min_completed",
                             HEPSWEEP_FIELD(search.earlyStopping.minCompleted), atLeast(1),
                             "median rule: finished items of the same fold needed before the rule applies"));
  out.push_back(intOption<C>("search.early_stopping.min_epochs", HEPSWEEP_FIELD(search.earlyStopping.minEpochs),
                             atLeast(1),
                             "asha, hyperband: the first rung (epochs); must be below train.epochs"));
  out.push_back(intOption<C>("search.early_stopping.reduction_factor",
                             HEPSWEEP_FIELD(search.earlyStopping.reductionFactor), atLeast(2),
                             "asha, hyperband: rungs are min_epochs x reduction_factor^k epochs apart, and 1 / "
                             "reduction_factor of the items reaching a rung continue"));
  out.push_back(spaceOption());
  out.push_back(intOption<C>("resources.ranks_per_item", HEPSWEEP_FIELD(resources.ranksPerItem), atLeast(1),
                             "MPI ranks that train one item (point x fold) together; must divide the number of "
                             "ranks and train.micro_batches"));
  out.push_back(enumOption<C>("resources.reduction", HEPSWEEP_FIELD(resources.reduction),
                              std::vector{dist::GradientSum::Deterministic, dist::GradientSum::Fast},
                                "Gradient sum across the ranks of an item: fixed-order tree (same weights for 1, 2 "
                                "or 4 ranks) or MPI_Allreduce in the library's order"));
  out.push_back(enumOption<C>("resources.data", HEPSWEEP_FIELD(resources.data),
                              std::vector{DataPlacement::Auto, DataPlacement::Node, DataPlacement::Rows},
                              "Where a job keeps the data while it trains items: node (one copy per node, shared by "
                              "its ranks, read once), rows (each rank reads each item's rows from the file: data "
                              "beyond a node's memory), or auto (node when the copy takes at most half of the "
                              "available memory)"));
  for (auto& o : baselineOptions()) out.push_back(std::move(o));
  return out;
}

std::string divisorsText(int n) {
  std::vector<std::string> d;
  for (int i = 1; i <= n; ++i)
    if (n % i == 0) d.push_back(std::to_string(i));
  if (d.size() == 1) return d[0];
  const std::string last = d.back();
  d.pop_back();
  return str::join(d, ", ") + " or " + last;
}

}  // namespace

void detail::checkResources(const RunConfig& run, const ResourcesConfig& res, const std::string& in) {
  const int g = res.ranksPerItem;
  const int m = run.train.microBatches;
  if (m % g != 0)
    throwConfig("resources.ranks_per_item = " + std::to_string(g) + " must divide train.micro_batches = " +
                std::to_string(m) + " so that every rank gets whole micro-batches; set train.micro_batches = " +
                std::to_string((m / g + 1) * g) + " or ranks_per_item = " + divisorsText(m) + in);
  if (run.model.batchNorm && g > 1)
    throwConfig("batch normalisation with several ranks per item is not supported yet (model.batch_norm = true, "
                "resources.ranks_per_item = " + std::to_string(g) + ")" + in +
                "; set model.batch_norm = false or resources.ranks_per_item = 1");
}

namespace {

// Successive halving judges items at rungs below train.epochs, the same for every point.
void checkHalving(const CampaignConfig& c, const std::string& in) {
  const auto& e = c.search.earlyStopping;
  if (e.rule != search::StoppingRule::Asha && e.rule != search::StoppingRule::Hyperband) return;
  const std::string rule = formatString(toString(e.rule));
  if (e.minEpochs >= c.run.train.epochs)
    throwConfig("search.early_stopping.rule = " + rule + " needs search.early_stopping.min_epochs (" +
                std::to_string(e.minEpochs) + ") below train.epochs (" + std::to_string(c.run.train.epochs) +
                "): no item would reach a rung" + in);
  if (c.search.space.indexOf("train.epochs"))
    throwConfig("search.early_stopping.rule = " + rule + " takes its rungs from train.epochs, which [search.space] "
                "searches" + in + "; remove train.epochs from the space");
}

void validateCampaignImpl(const CampaignConfig& c, const std::string& context) {
  const std::string in = context.empty() ? "" : " (" + context + ")";
  validateRun(c.run, context, c.cv.folds > 1);
  checkResources(c.run, c.resources, in);
  checkBaseline(c, in);
  if (!c.run.data.parameter.empty() && c.resources.data == DataPlacement::Rows)
    throwConfig("data.parameter needs the data in memory (resources.data = \"node\" or \"auto\"), not \"rows\"" + in +
                ": the background's drawn parameter values are written into the job's copy of the table");
  // The draw is made once per job from the base configuration: a point may not change it.
  for (const char* key : {"data.parameter", "data.held_out"})
    if (!c.run.data.parameter.empty() && c.search.space.indexOf(key))
      throwConfig(std::string("search.space may not vary ") + key + " of a parametrised network" + in +
                  ": the background's parameter values are drawn once per job, from the base configuration");
  const auto& s = c.search;
  if (s.method == SearchMethod::None) {
    if (!s.space.empty())
      throwConfig("search.space lists " + std::to_string(s.space.size()) + " key(s) but search.method = \"none\"" + in +
                  "; set search.method = \"grid\" or \"random\", or empty the space (--set search.space={})");
    return;
  }
  if (s.space.empty())
    throwConfig("search.method = " + formatString(toString(s.method)) + " needs at least one key in [search.space]" + in +
                ", e.g. \"model.dropout\" = [0.1, 0.2]");
  if ((s.method == SearchMethod::Random || s.method == SearchMethod::Bayes) && !s.budget)
    throwConfig("search.method = " + formatString(toString(s.method)) + " needs search.budget (the number of points to try), "
                "e.g. budget = 20 in [search]" + in);
  try {
    makeSearcher(c);
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Config) throw;
    throwConfig(std::string(e.what()) + in);
  }
  checkPoints(c, in);
  checkHalving(c, in);
  if (s.racing.enabled && c.cv.folds < 2)
    throwConfig("search.racing races points across their folds but cv.folds = " + std::to_string(c.cv.folds) + in +
                "; set cv.folds >= 2, or racing.enabled = false");
}

}  // namespace

const OptionTable<CampaignConfig>& detail::campaignTable() {
  static const OptionTable<CampaignConfig> table{
      campaignOptions(),
      {[](CampaignConfig& c, const std::set<std::string>& assigned, const Origin& o) {
        resolveLayerAlternatives(c.run, assigned, o);
      }},
      validateCampaignImpl};
  return table;
}

}  // namespace hepsweep::campaign
