#pragma once
// What `hepsweep submit` hands to a batch system: the campaign cut into N slices (the items with
// id % N == I form slice I, exactly what `hepsweep train --items I/N` runs), which of those slices
// to run, and how. The run directory on the shared file system is the whole state: the generated
// jobs only call `hepsweep train` and `hepsweep aggregate`, so a slice that is run again skips
// what is done and resumes what has a checkpoint.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/campaign/CampaignConfig.hpp"

namespace hepsweep::submit {

// One round of a Bayesian search run as a chain of batch jobs: `hepsweep search propose --total
// totalPoints`, then the slices holding the round's new items train them.
struct SearchRound {
  std::int64_t totalPoints = 0;  // points proposed in all once this round's propose step ran
  std::vector<int> slices;       // the slices (--items I/N) holding this round's new items, ascending
};

struct CampaignJob {
  std::filesystem::path hepsweep;      // the binary the jobs run (absolute)
  std::filesystem::path campaignFile;  // absolute
  std::filesystem::path workDir;       // jobs run `train` here, so a relative output.dir means what it meant to submit
  std::filesystem::path runDir;        // absolute
  std::vector<std::string> sets;       // --set KEY=VALUE given to submit, passed on to train
  std::int64_t itemCount = 0;
  int sliceCount = 1;                  // N of --items I/N
  std::vector<int> slices;             // the slice indices to run, ascending
  int ranksPerTask = 1;                // MPI ranks of one slice's job
  int cpusPerTask = 1;                 // cores per rank (train --threads)
  std::string memory;                  // per train job, normalised "<digits><K|M|G|T>", empty: the site default
  // The light jobs ask for little: a Bayesian search's propose/observe steps and HTCondor's status
  // node, and the aggregation (which reads the best point's test scores, not the training data).
  std::string proposeMemory = "2G";
  std::string aggregateMemory = "4G";
  bool retryFailed = false;            // resubmission: items recorded as failed run again
  std::vector<std::string> setup;      // shell lines run before hepsweep (module load, source ...)
  // For HTCondor's file-transfer mode: the data file the campaign reads (absolute).
  std::filesystem::path dataFile;
  // A Bayesian search: the rounds of propose -> train array, then aggregate (empty: every item is
  // planned up front and `slices` are trained at once).
  std::vector<SearchRound> rounds;
};

// The rounds of a Bayesian search of `budget` points: the first proposes the initial design
// (min(initialPoints, budget) points), each next one `pointsPerRound` more until the budget is
// reached. Point p's items are p * folds + f; round r's slices are those items' ids % sliceCount.
// Error(Config) for pointsPerRound < 1.
std::vector<SearchRound> planRounds(std::int64_t budget, std::int64_t initialPoints, std::int64_t pointsPerRound,
                                    int folds, int sliceCount);

// The argv of `hepsweep search propose` for a chain step, without the binary:
// search propose RUN_DIR --total K --campaign CAMPAIGN [--set ...]; `totalExpr` gives K.
std::vector<std::string> proposeArguments(const CampaignJob& job, const std::string& campaignArg,
                                          const std::string& totalExpr);

// A generated file: `name` relative to the jobs directory.
struct GeneratedFile {
  std::string name;
  std::string text;
  bool executable = false;
};

// The slices that hold at least one item not done (pending, running, failed or never started),
// judged from the run directory's files as `hepsweep status` does.
std::vector<int> unfinishedSlices(const std::filesystem::path& runDir, std::int64_t itemCount, int sliceCount);

// Refuses (Error Config) a run directory that already holds a different campaign, naming the
// differing keys, as `hepsweep train` would once the jobs start.
void checkRunDirectory(const std::filesystem::path& runDir, const campaign::CampaignConfig& campaign);

// Writes every file into `dir` (created if missing) under a temporary name, then renames it, so a
// job never starts from a half-written script.
void writeGenerated(const std::filesystem::path& dir, const std::vector<GeneratedFile>& files);

// "2G", "2GB", "512M", "2048" (megabytes) -> "2G", "2G", "512M", "2048M". Throws Error(Config)
// naming `option` for anything else.
std::string normaliseMemory(std::string_view option, std::string_view value);

// Refuses (Error Config) a value holding a line break or NUL: one line of a generated file
// must stay one line.
void checkOneLine(std::string_view what, std::string_view value);

// The argv of `hepsweep status RUN_DIR` and of `hepsweep aggregate RUN_DIR --report RUN_DIR/report
// --allow-incomplete`, without the binary.
std::vector<std::string> statusArguments(const CampaignJob& job);
std::vector<std::string> aggregateArguments(const CampaignJob& job);

// The argv of `hepsweep train` for slice `sliceExpr` (a shell or HTCondor expression giving I),
// without the binary: train CAMPAIGN [--set ...] --items I/N --threads C [--retry-failed].
std::vector<std::string> trainArguments(const CampaignJob& job, const std::string& campaignArg,
                                        const std::string& sliceExpr);

}  // namespace hepsweep::submit
