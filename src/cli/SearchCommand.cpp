// `hepsweep search propose RUN_DIR --n N`: the next points of a Bayesian search, for batch
// systems that run the campaign as arrays of `hepsweep train --items I/N` between proposals.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/SearchFile.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hepsweep::cli {

int searchCommand(const Args& args, dist::Environment&) {
  po::options_description opts(
      "usage: hepsweep search propose RUN_DIR --n N|--total K [options]\n\n"
      "For a campaign with [search] method = \"bayes\" run as batch arrays: observe the points whose\n"
      "folds have all finished (RUN_DIR/items), propose the next N points with the Gaussian process\n"
      "(points still running count through search.liar), and save RUN_DIR/search.h5. The next\n"
      "`hepsweep train CAMPAIGN --items I/M` array trains their items (ids point * folds + fold).\n"
      "With --total K it proposes up to K points in all, so a batch chain step run twice proposes once.\n"
      "docs/search.md\n\noptions");
  opts.add_options()("help,h", "print this help and exit")(
      "n", po::value<std::int64_t>(), "number of points to propose (fewer when the budget is reached)")(
      "total", po::value<std::int64_t>(),
      "instead of --n: propose until K points are proposed in all (nothing when there already are K)")(
      "campaign", po::value<std::string>()->value_name("CAMPAIGN.toml"),
      "the campaign file: sets up RUN_DIR when it has no campaign.toml yet (refused when RUN_DIR holds "
      "a different campaign)")(
      "set", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"),
      "with --campaign: override a campaign key, as for `hepsweep train` (repeatable)")(
      "threads", po::value<int>()->default_value(1)->value_name("N"),
      "threads for the Gaussian process fit (OpenMP/Eigen); one by default, so a proposal step does not "
      "compete with training jobs on the node")(
      "json", "print one JSON object: proposed points with their items, observed count, best point");
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << opts << "\n";
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "propose")
    throwConfig("unknown search action " + str::quoted(args[0]) + " (usage: hepsweep search propose RUN_DIR --n N)");
  std::string runDir;
  po::variables_map vm;
  if (!parseArgs(Args(args.begin() + 1, args.end()), opts, runDir, vm)) return 0;
  if (runDir.empty()) throwConfig("no run directory given (usage: hepsweep search propose RUN_DIR --n N)");
  if (vm.count("n") == vm.count("total"))
    throwConfig("give one of --n (the number of points to propose, e.g. --n 8) or --total (the points proposed in all)");
  setLinearAlgebraThreads(vm["threads"].as<int>());
  const bool byTotal = vm.count("total") > 0;
  const std::int64_t n = byTotal ? vm["total"].as<std::int64_t>() : vm["n"].as<std::int64_t>();
  if (n < 1) throwConfig(std::string(byTotal ? "--total" : "--n") + " must be >= 1 (got " + std::to_string(n) + ")");

  const rundir::RunDirectory dir(runDir);
  if (vm.count("set") && !vm.count("campaign")) throwConfig("--set needs --campaign (the file it overrides)");
  if (vm.count("campaign")) {
    const std::vector<std::string> sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const std::string campaignFile = vm["campaign"].as<std::string>();
    const campaign::CampaignConfig given = campaign::loadCampaign(campaignFile, sets);
    if (fs::exists(dir.campaignFile())) {
      const auto diffs = campaign::diffCampaigns(
          campaign::parseCampaign(rundir::readTextFile(dir.campaignFile()), dir.campaignFile().string()), given);
      if (!diffs.empty())
        throwConfig("run directory '" + runDir + "' holds a different campaign than " + campaignFile +
                    "; differing keys:\n  " + str::join(diffs, "\n  "));
    } else {
      fs::create_directories(dir.root());
      rundir::writeTextFile(dir.campaignFile(), campaign::toToml(given));
    }
  }
  if (!fs::exists(dir.campaignFile()))
    throwIo("'" + runDir + "' is not a campaign run directory (no campaign.toml); give the campaign file "
            "with --campaign CAMPAIGN.toml to set it up");
  const campaign::CampaignConfig c =
      campaign::parseCampaign(rundir::readTextFile(dir.campaignFile()), dir.campaignFile().string());
  if (c.search.method != campaign::SearchMethod::Bayes)
    throwConfig("search propose needs a campaign with search.method = \"bayes\"; " + dir.campaignFile().string() +
                " has search.method = \"" + toString(c.search.method) + "\" (its points are all planned up front)");
  const fs::path file = search::searchFilePath(dir.root());
  auto searcher = campaign::loadSearch(c, dir);
  const std::int64_t wanted =
      byTotal ? std::max<std::int64_t>(0, n - static_cast<std::int64_t>(searcher->proposedCount())) : n;
  const std::vector<search::Point> points = searcher->propose(static_cast<std::size_t>(wanted));
  search::writeSearchFile(file, *searcher, c.search.budget.value_or(0));

  const auto best = searcher->recommended();  // search.recommend chooses observed or model
  if (vm.count("json")) {
    nlohmann::ordered_json j;
    j["run_dir"] = runDir;
    j["search_file"] = file.string();
    nlohmann::ordered_json proposed = nlohmann::ordered_json::array();
    for (const auto& p : points) {
      std::vector<std::int64_t> items;
      for (int f = 0; f < c.cv.folds; ++f) items.push_back(p.id * c.cv.folds + f);
      proposed.push_back({{"point", p.id}, {"items", items}, {"overrides", p.toOverrides()}});
    }
    j["proposed"] = proposed;
    j["proposed_total"] = searcher->proposedCount();
    j["observed"] = searcher->observations().size();
    j["pending"] = searcher->pending().size();
    j["budget"] = searcher->totalPoints();
    j["item_count"] = static_cast<std::int64_t>(searcher->proposedCount()) * c.cv.folds;
    if (best) {
      const metrics::ObjectiveDisplay shown = c.search.objective.display();
      j["best"] = {{"point", best->id}, {"objective", *best->objective}, {"quantity", shown.quantity},
                   {"value", shown.shown(*best->objective)}, {"overrides", searcher->point(best->id).toOverrides()}};
    }
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::printf("%s: proposed %zu point(s); %zu of %zu proposed; %s\n", runDir.c_str(), points.size(),
              searcher->proposedCount(), searcher->totalPoints(), campaign::searchProgress(*searcher, c).c_str());
  for (const auto& p : points)
    std::printf("  point %lld (items %lld-%lld): %s\n", static_cast<long long>(p.id),
                static_cast<long long>(p.id * c.cv.folds), static_cast<long long>(p.id * c.cv.folds + c.cv.folds - 1),
                p.describe().c_str());
  if (best) std::printf("best so far: point %lld: %s\n", static_cast<long long>(best->id), searcher->point(best->id).describe().c_str());
  if (points.empty() && wanted == 0)
    std::printf("%lld point(s) already proposed: nothing to do\n", static_cast<long long>(n));
  else if (points.empty())
    std::printf("the budget is spent: nothing more to propose\n");
  return 0;
}

}  // namespace hepsweep::cli
