#pragma once
// Each subcommand parses its own options (Boost.Program_options: the one declaration that
// --help and docs/<command>.md are made from) and returns the process exit code. Errors are
// thrown as hepsweep::Error and turned into a message and exit code by main().
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace hepsweep::aggregate {
struct CollectOptions;
}

namespace hepsweep::cli {

using Args = std::vector<std::string>;  // the arguments after the subcommand name

// The whole command line of this process, shell-quoted (recorded in output files).
const std::string& invocation();
void setInvocation(int argc, char** argv);

}  // namespace hepsweep::cli
namespace hepsweep::dist { class Environment; }
namespace hepsweep::cli {

// Parses `args` against `options` plus one positional argument stored in `positional`.
// Returns false when --help was given (the options were printed): the command then exits 0.
bool parseArgs(const Args& args, const boost::program_options::options_description& options,
               std::string& positional, boost::program_options::variables_map& vm);

// The threads one process uses for its linear algebra (OpenMP and Eigen): the --threads option of
// the commands that fit or train. One by default: campaigns run one process per core.
void setLinearAlgebraThreads(int threads);

// Every command gets the process's MPI environment (made by main(), one per process); only the
// ones that run on several ranks use it.
int convertCommand(const Args& args, dist::Environment& env);
int trainCommand(const Args& args, dist::Environment& env);
int statusCommand(const Args& args, dist::Environment& env);
int aggregateCommand(const Args& args, dist::Environment& env);
// aggregate --compare: each run directory aggregated on its own, the comparison page in reportDir.
int compareRuns(const std::vector<std::string>& runDirs, const aggregate::CollectOptions& options,
                const std::string& reportDir, bool json);
int applyCommand(const Args& args, dist::Environment& env);
int exportCommand(const Args& args, dist::Environment& env);
int submitCommand(const Args& args, dist::Environment& env);
int searchCommand(const Args& args, dist::Environment& env);
int inspectCommand(const Args& args, dist::Environment& env);

}  // namespace hepsweep::cli
