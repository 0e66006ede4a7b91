#include "hepsweep/submit/Job.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace fs = std::filesystem;

namespace hepsweep::submit {

std::vector<int> unfinishedSlices(const fs::path& runDir, std::int64_t itemCount, int sliceCount) {
  if (sliceCount < 1) throwConfig("the number of slices must be at least 1, got " + std::to_string(sliceCount));
  const rundir::RunDirectory dir(runDir);
  std::vector<bool> unfinished(static_cast<std::size_t>(sliceCount), false);
  for (std::int64_t id = 0; id < itemCount; ++id)
    if (dir.status(id) != rundir::ItemStatus::Done) unfinished[static_cast<std::size_t>(id % sliceCount)] = true;
  std::vector<int> out;
  for (int s = 0; s < sliceCount; ++s)
    if (unfinished[static_cast<std::size_t>(s)]) out.push_back(s);
  return out;
}

void checkRunDirectory(const fs::path& runDir, const campaign::CampaignConfig& c) {
  const rundir::RunDirectory dir(runDir);
  if (!fs::exists(dir.campaignFile())) return;
  const campaign::CampaignConfig previous =
      campaign::parseCampaign(rundir::readTextFile(dir.campaignFile()), dir.campaignFile().string());
  const auto diffs = campaign::diffCampaigns(previous, c);
  if (!diffs.empty())
    throwConfig("run directory '" + runDir.string() + "' holds a different campaign; differing keys:\n  " +
                str::join(diffs, "\n  ") + "\nuse another output.dir (--set output.dir=...), or remove that directory");
}

void writeGenerated(const fs::path& dir, const std::vector<GeneratedFile>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throwIo("cannot create directory '" + dir.string() + "': " + ec.message());
  for (const auto& f : files) {
    AtomicOutput out(dir / f.name);
    {
      std::ofstream o(out.temporary(), std::ios::binary | std::ios::trunc);
      o << f.text;
      o.flush();
      if (!o) throwIo("cannot write '" + out.temporary().string() + "': " + std::strerror(errno));
    }
    fs::permissions(out.temporary(), f.executable ? fs::perms(0755) : fs::perms(0644), ec);
    if (ec) throwIo("cannot set the permissions of '" + out.temporary().string() + "': " + ec.message());
    out.commit();
  }
}

std::string normaliseMemory(std::string_view option, std::string_view value) {
  std::size_t digits = 0;
  while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
  std::string unit(value.substr(digits));
  for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (unit.size() == 2 && unit[1] == 'B') unit.resize(1);
  if (unit.empty()) unit = "M";
  if (digits == 0 || digits > 12 || unit.size() != 1 || std::string_view("KMGT").find(unit[0]) == std::string_view::npos ||
      value.substr(0, digits).find_first_not_of('0') == std::string_view::npos)
    throwConfig(std::string(option) + " expects a positive amount with an optional unit K, M, G or T (megabytes "
                "without one), e.g. 2G or 4000, got " + str::quoted(value));
  return std::string(value.substr(0, digits)) + unit;
}

void checkOneLine(std::string_view what, std::string_view value) {
  if (value.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos)
    throwConfig(std::string(what) + " must be one line without control characters, got " + str::quoted(value));
}

std::vector<std::string> trainArguments(const CampaignJob& job, const std::string& campaignArg,
                                        const std::string& sliceExpr) {
  std::vector<std::string> a{"train", campaignArg};
  for (const auto& s : job.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  a.push_back("--items");
  a.push_back(sliceExpr + "/" + std::to_string(job.sliceCount));
  a.push_back("--threads");
  a.push_back(std::to_string(job.cpusPerTask));
  if (job.retryFailed) a.push_back("--retry-failed");
  return a;
}

std::vector<std::string> statusArguments(const CampaignJob& job) { return {"status", job.runDir.string()}; }

std::vector<std::string> aggregateArguments(const CampaignJob& job) {
  return {"aggregate", job.runDir.string(), "--report", (job.runDir / "report").string(), "--allow-incomplete"};
}

std::vector<SearchRound> planRounds(std::int64_t budget, std::int64_t initialPoints, std::int64_t pointsPerRound,
                                    int folds, int sliceCount) {
  if (pointsPerRound < 1) throwConfig("--points-per-round must be at least 1, got " + std::to_string(pointsPerRound));
  if (budget < 1 || folds < 1 || sliceCount < 1)
    throw Error(ErrorCategory::Internal, "planRounds: budget, folds and slice count must be positive");
  std::vector<SearchRound> rounds;
  std::int64_t proposed = 0;
  while (proposed < budget) {
    const std::int64_t step = rounds.empty() ? std::max<std::int64_t>(1, initialPoints) : pointsPerRound;
    SearchRound r;
    r.totalPoints = std::min(budget, proposed + step);
    std::set<int> slices;
    for (std::int64_t id = proposed * folds; id < r.totalPoints * folds; ++id)
      slices.insert(static_cast<int>(id % sliceCount));
    r.slices.assign(slices.begin(), slices.end());
    proposed = r.totalPoints;
    rounds.push_back(std::move(r));
  }
  return rounds;
}

std::vector<std::string> proposeArguments(const CampaignJob& job, const std::string& campaignArg,
                                          const std::string& totalExpr) {
  std::vector<std::string> a{"search", "propose", job.runDir.string(), "--total", totalExpr, "--campaign", campaignArg};
  for (const auto& s : job.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

}  // namespace hepsweep::submit
