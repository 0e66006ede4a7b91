// The hepsweep command: dispatches to one subcommand and turns every error into a message on
// stderr and an exit code (see hepsweep::exitCode), never a crash or an uncaught exception.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/dist/Environment.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Kernel.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(const hepsweep::cli::Args&, hepsweep::dist::Environment&);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"convert", hepsweep::cli::convertCommand, "text/CSV (.gz too) or ROOT TTree ntuples -> one HDF5 data file"},
    {"inspect", hepsweep::cli::inspectCommand, "features per class: distributions, separation, correlations, leaks"},
    {"train", hepsweep::cli::trainCommand, "train one classifier, or a k-fold x hyperparameter campaign (MPI)"},
    {"status", hepsweep::cli::statusCommand, "items done / running / failed / pending of a campaign run directory"},
    {"aggregate", hepsweep::cli::aggregateCommand, "combine run directories: ranking, best point, ensemble, report"},
    {"apply", hepsweep::cli::applyCommand, "score new ntuples with best-model.h5"},
    {"export", hepsweep::cli::exportCommand, "best-model.h5 -> ONNX or lwtnn JSON for experiment software"},
    {"submit", hepsweep::cli::submitCommand, "Slurm job arrays / HTCondor DAGs that run a campaign"},
    {"search", hepsweep::cli::searchCommand, "Bayesian search between batch rounds: propose the next points"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hepsweep <command> [options]\n\n"
               "Train signal-vs-background neural networks on HEP ntuples.\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n`hepsweep <command> --help` describes a command; docs/<command>.md has worked examples.\n"
               "  --version  print the version, build information, the MPI library (or none) and the kernel level in use\n"
               "environment: HEPSWEEP_KERNEL=portable|v2|v3|v4|auto forces the training kernels' instruction-set\n"
               "  level (default auto: the best this CPU supports; docs/train.md)\n");
}

}  // namespace

namespace hepsweep::cli {
namespace {
std::string gInvocation;
}

bool parseArgs(const Args& args, const boost::program_options::options_description& options,
               std::string& positional, boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  po::options_description hidden;
  hidden.add_options()("positional", po::value(&positional));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description pos;
  pos.add("positional", 1);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}
const std::string& invocation() { return gInvocation; }
void setInvocation(int argc, char** argv) {
  const std::vector<std::string> all(argv, argv + argc);
  gInvocation = str::shellJoin(all);
}
}  // namespace hepsweep::cli

namespace {
int runMain(int argc, char** argv);
}

int main(int argc, char** argv) {
  // HDF5's own exit-time cleanup crashes on a file whose close failed (a full disk): the library
  // is closed here, after the command, and only when that is safe.
  hepsweep::io::h5::startLibrary();
  const int code = runMain(argc, argv);
  hepsweep::io::h5::shutdownLibrary();
  return code;
}

namespace {
int runMain(int argc, char** argv) {
  hepsweep::cli::setInvocation(argc, argv);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("%s\n", hepsweep::versionString().c_str());
    std::printf("mpi: %s\n", hepsweep::dist::Environment::mpiDescription().c_str());
    try {
      std::printf("kernel: %s\n", hepsweep::nn::kernelDescription().c_str());
    } catch (const hepsweep::Error& e) {
      std::fprintf(stderr, "hepsweep: %s\n", e.what());
      return hepsweep::exitCode(e.category());
    }
    return 0;
  }
  const hepsweep::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (cmd != c.name) continue;
    // On failure under MPI with several ranks, the failing rank ends the whole job (MPI_Abort)
    // so that no other rank waits forever in a collective.
    std::unique_ptr<hepsweep::dist::Environment> env;
    const auto fail = [&](int code, const std::string& message) {
      if (env && env->usesMpi() && env->worldSize() > 1) env->abort(code, message);
      std::fprintf(stderr, "%s\n", message.c_str());
      return code;
    };
    try {
      env = std::make_unique<hepsweep::dist::Environment>(argc, argv);
      // Before any work: a HEPSWEEP_KERNEL level this CPU lacks is a configuration error here,
      // not an illegal instruction later.
      hepsweep::nn::initKernel();
      return c.run(args, *env);
    } catch (const hepsweep::Error& e) {
      return fail(hepsweep::exitCode(e.category()),
                  std::string("hepsweep ") + c.name + ": " + hepsweep::categoryName(e.category()) + ": " + e.what());
    } catch (const boost::program_options::error& e) {
      return fail(hepsweep::exitCode(hepsweep::ErrorCategory::Config),
                  std::string("hepsweep ") + c.name + ": " + e.what() + " (see `hepsweep " + c.name + " --help`)");
    } catch (const std::bad_alloc&) {
      return fail(hepsweep::exitCode(hepsweep::ErrorCategory::Io), std::string("hepsweep ") + c.name + ": out of memory");
    } catch (const std::exception& e) {
      return fail(hepsweep::exitCode(hepsweep::ErrorCategory::Internal),
                  std::string("hepsweep ") + c.name + ": internal error: " + e.what());
    }
  }
  std::vector<std::string> names;
  for (const auto& c : kCommands) names.emplace_back(c.name);
  std::fprintf(stderr, "hepsweep: unknown command %s%s\n\n", hepsweep::str::quoted(cmd).c_str(),
               hepsweep::str::didYouMean(cmd, names).c_str());
  usage(stderr);
  return 2;
}
}  // namespace
