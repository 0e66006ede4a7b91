#include "ItemStopping.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <span>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/search/Space.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign {

using rundir::ItemStatus;
using rundir::RunDirectory;

namespace {

bool halving(search::StoppingRule r) { return r == search::StoppingRule::Asha || r == search::StoppingRule::Hyperband; }

// The numeric item directories under RUN/items (the ids), in no particular order.
std::vector<std::int64_t> itemIds(const RunDirectory& dir) {
  std::vector<std::int64_t> out;
  std::error_code ec;
  fs::directory_iterator it(dir.root() / "items", ec);
  if (ec) return out;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    std::int64_t id = -1;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (err == std::errc() && end == name.data() + name.size() && id >= 0) out.push_back(id);
  }
  return out;
}

}  // namespace

std::optional<std::string> stoppedBy(const fs::path& resultFile) {
  return rundir::readResultSummary(resultFile.string()).stoppedBy;
}

ItemStopping::ItemStopping(const CampaignConfig& c, const RunDirectory& dir, const Item& item,
                           dist::Communicator& group, const std::vector<train::EpochRecord>& previous)
    : c_(c), dir_(dir), item_(item), group_(group), rule_(c.search.earlyStopping.rule), median_(c.search.earlyStopping) {
  for (const auto& r : previous) curve_.push_back(c.search.objective.epochValue(r.valLoss, r.valAuc));
  if (!halving(rule_)) {
    // The peers are fixed when the item first starts; a resumed item that had decided to stop at
    // the epoch its checkpoint holds decides so again (the same curve, the same peers) and trains
    // no further.
    std::int64_t ints[2] = {0, 0};
    double reals[2] = {0, 0};
    std::string problem;
    if (group_.rank() == 0) {
      try {
        loadMedianPeers();
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::Input) throw;
        problem = e.what();
      }
      if (problem.empty() && !curve_.empty()) {
        const search::StopDecision d = median_.check(curve_);
        ints[0] = d.stop ? 1 : 0;
        ints[1] = static_cast<std::int64_t>(d.compared);
        reals[0] = d.value;
        reals[1] = d.median;
      }
    }
    group_.broadcast(problem, 0);
    if (!problem.empty()) throwInput(problem);
    group_.broadcast(std::span<std::int64_t>(ints, 2), 0);
    group_.broadcast(std::span<double>(reals, 2), 0);
    if (ints[0] != 0) {
      stoppedBefore_ = true;
      decision_ = ItemStop{static_cast<int>(curve_.size()), reals[0], reals[1], static_cast<std::size_t>(ints[1]), 0};
    }
    return;
  }
  brackets_ = search::haltingBrackets(c.search.earlyStopping, c.run.train.epochs);
  bracket_ = search::bracketOf(item.point, brackets_);
  rungs_ = search::rungEpochs(c.search.earlyStopping, c.run.train.epochs, bracket_);
  // A resumed item keeps the decisions it recorded before the kill. One that had decided to stop
  // at the epoch its checkpoint holds trains no further (its result file was not written yet).
  std::int64_t stopped[2] = {0, 0};
  std::string problem;
  if (group_.rank() == 0) {
    try {
      records_ = rundir::readRungs(dir_.rungFile(item.id));
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::Input) throw;
      problem = e.what();
    }
    for (const auto& r : records_)
      if (r.stopped && r.epoch <= static_cast<int>(previous.size())) {
        stopped[0] = 1;
        stopped[1] = r.epoch;
        decision_ = ItemStop{r.epoch, r.value, r.cutoff, static_cast<std::size_t>(r.compared), r.bracket};
      }
  }
  group_.broadcast(problem, 0);
  if (!problem.empty()) throwInput(problem);
  group_.broadcast(std::span<std::int64_t>(stopped, 2), 0);
  stoppedBefore_ = stopped[0] != 0;
}

void ItemStopping::loadMedianPeers() {
  const fs::path file = dir_.medianPeersFile(item_.id);
  std::vector<std::int64_t> peers;
  if (fs::exists(file)) {
    const std::vector<std::string> lines = str::split(rundir::readTextFile(file), '\n');
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string line(str::trim(lines[i]));
      if (line.empty() || line[0] == '#') continue;
      std::int64_t id = -1;
      const auto [end, err] = std::from_chars(line.data(), line.data() + line.size(), id);
      if (err != std::errc() || end != line.data() + line.size() || id < 0)
        throwInput(file.string() + " line " + std::to_string(i + 1) + ": " + str::quoted(line) +
                   " is not an item id; delete the file to take the peers finished now");
      peers.push_back(id);
    }
  } else {
    // The result file is renamed into place whole: existing means finished.
    for (const std::int64_t id : itemIds(dir_))
      if (id != item_.id && id % c_.cv.folds == item_.fold && fs::exists(dir_.resultFile(id))) peers.push_back(id);
    std::sort(peers.begin(), peers.end());
    std::string text = "# median rule (search.early_stopping): the items of fold " + std::to_string(item_.fold) +
                       " finished when item " + std::to_string(item_.id) + " started; its decisions use only these\n";
    for (const std::int64_t id : peers) text += std::to_string(id) + "\n";
    fs::create_directories(file.parent_path());
    rundir::writeTextFile(file, text);
  }
  for (const std::int64_t id : peers) {
    const fs::path result = dir_.resultFile(id);
    // Set aside since (an invalid result file, trained again): not a reference any more.
    if (!fs::exists(result)) continue;
    const rundir::ResultSummary r = rundir::readResultSummary(result.string());
    // Items stopped by the rule ended early by construction: their curves are not references.
    if (r.stoppedBy) continue;
    std::vector<double> curve;
    for (std::size_t e = 0; e < r.valLoss.size() && e < r.valAuc.size(); ++e)
      curve.push_back(c_.search.objective.epochValue(r.valLoss[e], r.valAuc[e]));
    median_.addCompleted(curve);
  }
}

std::vector<double> ItemStopping::peerRungValues(int epoch) const {
  std::vector<double> out;
  std::vector<std::int64_t> ids = itemIds(dir_);
  std::sort(ids.begin(), ids.end());  // the same order, hence the same message, whatever the directory's
  for (const std::int64_t id : ids) {
    if (id == item_.id || !search::rungPeers(id, item_.id, c_.cv.folds, brackets_)) continue;
    for (const auto& r : rundir::readRungs(dir_.rungFile(id)))
      if (r.epoch == epoch) out.push_back(r.value);
  }
  return out;
}

train::CallbackResult ItemStopping::medianEpoch() {
  // Files can appear between two ranks' reads: rank 0 decides for the group.
  std::int64_t ints[2] = {0, 0};
  double reals[2] = {0, 0};
  if (group_.rank() == 0) {
    const search::StopDecision d = median_.check(curve_);
    ints[0] = d.stop ? 1 : 0;
    ints[1] = static_cast<std::int64_t>(d.compared);
    reals[0] = d.value;
    reals[1] = d.median;
  }
  group_.broadcast(std::span<std::int64_t>(ints, 2), 0);
  group_.broadcast(std::span<double>(reals, 2), 0);
  if (ints[0] == 0) return train::CallbackResult::Continue;
  decision_ = ItemStop{static_cast<int>(curve_.size()), reals[0], reals[1], static_cast<std::size_t>(ints[1]), 0};
  return train::CallbackResult::Stop;
}

train::CallbackResult ItemStopping::rungEpoch(int epoch) {
  std::int64_t ints[2] = {0, 0};
  double reals[2] = {0, 0};
  std::string problem;
  if (group_.rank() == 0) {
    const auto recorded = std::find_if(records_.begin(), records_.end(), [&](const auto& r) { return r.epoch == epoch; });
    rundir::RungRecord r;
    if (recorded != records_.end()) {
      r = *recorded;  // decided before a kill: the same decision again, whatever the peers hold now
    } else {
      try {
        const search::RungDecision d =
            search::rungDecision(epoch, search::runningBest(curve_).back(), peerRungValues(epoch),
                                 c_.search.earlyStopping.reductionFactor);
        r = rundir::RungRecord{epoch, bracket_, d.value, d.cutoff, static_cast<std::int64_t>(d.compared), d.stop};
        records_.push_back(r);
        // Written before the decision takes effect: peers see the value, a resume sees the decision.
        rundir::writeRungs(dir_.rungFile(item_.id), records_);
      } catch (const Error& e) {
        // Another item's malformed rungs.txt: this item fails, naming the file (not a hang of the group).
        if (e.category() != ErrorCategory::Input) throw;
        problem = e.what();
      }
    }
    ints[0] = r.stopped ? 1 : 0;
    ints[1] = r.compared;
    reals[0] = r.value;
    reals[1] = r.cutoff;
  }
  group_.broadcast(problem, 0);
  if (!problem.empty()) throwInput(problem);
  group_.broadcast(std::span<std::int64_t>(ints, 2), 0);
  group_.broadcast(std::span<double>(reals, 2), 0);
  if (ints[0] == 0) return train::CallbackResult::Continue;
  decision_ = ItemStop{epoch, reals[0], reals[1], static_cast<std::size_t>(ints[1]), bracket_};
  return train::CallbackResult::Stop;
}

train::CallbackResult ItemStopping::onEpochEnd(const train::EpochRecord& rec, nn::Network&) {
  curve_.push_back(c_.search.objective.epochValue(rec.valLoss, rec.valAuc));
  if (!halving(rule_)) return medianEpoch();
  if (std::find(rungs_.begin(), rungs_.end(), rec.epoch) == rungs_.end()) return train::CallbackResult::Continue;
  return rungEpoch(rec.epoch);
}

void ItemStopping::record(train::RunRecord& rec) const {
  if (!decision_) return;
  const bool median = !halving(rule_);
  rec.textAttrs.emplace_back(kStoppedByAttr, median ? kMedianRuleName
                                             : rule_ == search::StoppingRule::Asha ? kAshaName : kHyperbandName);
  rec.intAttrs.emplace_back("stopped_epoch", decision_->epoch);
  rec.intAttrs.emplace_back("stopped_compared", static_cast<std::int64_t>(decision_->compared));
  rec.realAttrs.emplace_back("stopped_value", decision_->value);
  if (median) {
    rec.realAttrs.emplace_back("stopped_median", decision_->reference);
    return;
  }
  rec.realAttrs.emplace_back("stopped_cutoff", decision_->reference);
  rec.intAttrs.emplace_back("stopped_bracket", decision_->bracket);
}

std::string ItemStopping::describe() const {
  if (!decision_) return "";
  const std::string value = "best " + std::string(c_.search.objective.epochQuantity()) + " " +
                            search::formatReal(decision_->value);
  if (!halving(rule_))
    return "stopped by the median rule after epoch " + std::to_string(decision_->epoch) + ": " + value +
           " > median " + search::formatReal(decision_->reference) + " of " + std::to_string(decision_->compared) +
           " finished item(s) of fold " + std::to_string(item_.fold);
  const std::size_t keep =
      std::max<std::size_t>(1, decision_->compared / static_cast<std::size_t>(c_.search.earlyStopping.reductionFactor));
  return std::string("stopped by ") + (rule_ == search::StoppingRule::Asha ? "asha" : "hyperband") + " at the rung of epoch " +
         std::to_string(decision_->epoch) + (rule_ == search::StoppingRule::Hyperband ? " (bracket " + std::to_string(decision_->bracket) + ")" : "") +
         ": " + value + " > cutoff " + search::formatReal(decision_->reference) + " (the best " + std::to_string(keep) +
         " of " + std::to_string(decision_->compared) + " value(s) at the rung in fold " + std::to_string(item_.fold) +
         " continue)";
}

std::unique_ptr<ItemStopping> makeItemStopping(const CampaignConfig& c, const RunDirectory& dir, const Item& item,
                                               dist::Communicator& group,
                                               const std::vector<train::EpochRecord>& previous) {
  if (c.search.earlyStopping.rule == search::StoppingRule::None) return nullptr;
  return std::make_unique<ItemStopping>(c, dir, item, group, previous);
}

}  // namespace hepsweep::campaign
