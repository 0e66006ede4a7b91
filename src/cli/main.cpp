// The hepsweep command: dispatches to one subcommand and turns every error into a message on
// stderr and an exit code (see hepsweep::exitCode), never a crash or an uncaught exception.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(const hepsweep::cli::Args&);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"convert", hepsweep::cli::convertCommand, "text/CSV ntuples (.gz too) -> one HDF5 data file"},
    {"train", hepsweep::cli::trainCommand, "train a classifier as described by a campaign file"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hepsweep <command> [options]\n\n"
               "Train signal-vs-background neural networks on HEP ntuples.\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n`hepsweep <command> --help` describes a command; docs/<command>.md has worked examples.\n"
               "  --version  print the version and build information\n");
}

}  // namespace

namespace hepsweep::cli {
namespace {
std::string gInvocation;
}
const std::string& invocation() { return gInvocation; }
void setInvocation(int argc, char** argv) {
  const std::vector<std::string> all(argv, argv + argc);
  gInvocation = str::shellJoin(all);
}
}  // namespace hepsweep::cli

int main(int argc, char** argv) {
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
    return 0;
  }
  const hepsweep::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (cmd != c.name) continue;
    try {
      return c.run(args);
    } catch (const hepsweep::Error& e) {
      std::fprintf(stderr, "hepsweep %s: %s: %s\n", c.name, hepsweep::categoryName(e.category()), e.what());
      return hepsweep::exitCode(e.category());
    } catch (const boost::program_options::error& e) {
      std::fprintf(stderr, "hepsweep %s: %s (see `hepsweep %s --help`)\n", c.name, e.what(), c.name);
      return hepsweep::exitCode(hepsweep::ErrorCategory::Config);
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "hepsweep %s: out of memory\n", c.name);
      return hepsweep::exitCode(hepsweep::ErrorCategory::Io);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hepsweep %s: internal error: %s\n", c.name, e.what());
      return hepsweep::exitCode(hepsweep::ErrorCategory::Internal);
    }
  }
  std::fprintf(stderr, "hepsweep: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 2;
}
