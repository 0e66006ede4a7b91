#pragma once
// HTCondor job files for a campaign (RUN_DIR/jobs/condor/), written against the HTCondor manual
// (condor_submit, DAGMan reference; see docs/cluster.md for the sections):
//   job.sh         the executable of every node: the set-up lines, then hepsweep (under
//                  `mpirun -n R` inside one whole slot when a slice has R > 1 ranks)
//   train.sub      one job per slice (`queue Slice from (...)`), max_retries, per-job output/error
//   aggregate.sub  hepsweep aggregate RUN --report RUN/report --allow-incomplete
//   status.sub     hepsweep status RUN (the DAG's FINAL node: runs even when a node failed)
//   campaign.dag   JOB train / JOB aggregate, RETRY, PARENT train CHILD aggregate, FINAL status
//   campaign.toml  file-transfer mode only: the campaign as the execute node sees it
// Every value is one line; `arguments` and `environment` use the new (double-quoted) syntax and a
// literal `$` becomes $(DOLLAR), so nothing in a path is expanded or split.
#include <span>
#include <string>
#include <vector>

#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/submit/Job.hpp"
#include "hepsweep/submit/Templates.hpp"

namespace hepsweep::submit {

struct CondorOptions {
  std::string jobFlavour;              // CERN +JobFlavour: espresso ... nextweek; empty: none
  std::string requirements;            // a ClassAd expression
  std::string accountingGroup;
  std::string disk = "2G";             // request_disk
  int maxRetries = 3;                  // per job, in train.sub
  int dagRetry = 1;                    // RETRY of the DAG's nodes
  bool transferFiles = false;          // file-transfer mode instead of a shared file system
  // The propose, observe, aggregate and status nodes in the local universe (on the access point,
  // without waiting for a slot); always so in file-transfer mode, where the results come back there.
  bool localUniverse = false;
  std::vector<std::string> extraLines; // "key = value" lines added to every submit description
};

// One argument in the new `arguments` syntax, ready to be joined with spaces inside the outer
// double quotes: '' for an empty one, '...' when it holds whitespace or quotes, "" for each ",
// '' for each ' inside single quotes, $(DOLLAR) for each $. Throws Error(Config) on a line break.
std::string condorArgument(std::string_view arg);
// The whole value: "a b 'c d'" from {a, b, c d}. Each element is a literal argument.
std::string condorArguments(std::span<const std::string> args);
// A literal value of a plain submit command (paths): $ -> $(DOLLAR); refuses line breaks and
// leading/trailing blanks (HTCondor trims them).
std::string condorValue(std::string_view what, std::string_view value);

// Validates the options and returns the files above for `job` written into `jobsDir`, filled from
// `templates` (condor/*, jobs/job.sh). `campaign` is the resolved campaign (file-transfer mode
// writes the execute node's view of it).
std::vector<GeneratedFile> condorFiles(const CampaignJob& job, const CondorOptions& options,
                                       const campaign::CampaignConfig& campaign,
                                       const std::filesystem::path& jobsDir,
                                       const Templates& templates = Templates::builtIn());

}  // namespace hepsweep::submit
