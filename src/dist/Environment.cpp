#include "hepsweep/dist/Environment.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "hepsweep/core/Error.hpp"

#if HEPSWEEP_WITH_MPI
#include "Mpi.hpp"
#endif

namespace hepsweep::dist {

namespace {

// MPI can be initialised once per process, so one Environment at a time.
bool environmentAlive = false;

bool has(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* value = getenv(name);
  return value != nullptr && value[0] != '\0';
}

long numberOr(const std::function<const char*(const char*)>& getenv, const char* name, long fallback) {
  const char* value = getenv(name);
  if (value == nullptr) return fallback;
  char* end = nullptr;
  const long number = std::strtol(value, &end, 10);
  return (end != value && *end == '\0') ? number : fallback;
}

}  // namespace

Launcher Environment::detectLauncher(const std::function<const char*(const char*)>& getenv) {
  // Open MPI's mpirun (also when it runs inside an sbatch allocation, where SLURM_* is set too).
  if (has(getenv, "OMPI_COMM_WORLD_SIZE")) return Launcher::Mpiexec;
  const bool pmi = has(getenv, "PMIX_RANK") || has(getenv, "PMI_RANK") || has(getenv, "PMI_SIZE");
  const bool slurmStep = has(getenv, "SLURM_STEP_ID");
  if (pmi) return slurmStep ? Launcher::Srun : Launcher::Mpiexec;
  // SLURM_STEP_NUM_TASKS, not SLURM_NTASKS: a batch script run on its own is one process even in
  // an allocation of many tasks.
  if (slurmStep && numberOr(getenv, "SLURM_STEP_NUM_TASKS", 1) > 1) return Launcher::SrunWithoutPmi;
  return Launcher::None;
}

bool Environment::mpiBuiltIn() noexcept { return HEPSWEEP_WITH_MPI != 0; }

std::string Environment::mpiDescription() {
#if HEPSWEEP_WITH_MPI
  // Allowed before MPI_Init. Open MPI says "Open MPI v4.1.4, package: ..., ident: ...": the
  // first field names it; MPICH's text is several lines, of which the first does.
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "built in";
  std::string name(text, static_cast<std::size_t>(length));
  name = name.substr(0, name.find_first_of(",\n"));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  return name.empty() ? "built in" : name;
#else
  return "none (built with HEPSWEEP_WITH_MPI=OFF: one process, no mpiexec or srun)";
#endif
}

const char* launcherName(Launcher launcher) noexcept {
  switch (launcher) {
    case Launcher::None: return "no launcher";
    case Launcher::Mpiexec: return "mpiexec";
    case Launcher::Srun: return "srun";
    case Launcher::SrunWithoutPmi: return "srun";
  }
  return "a launcher";
}

Launcher Environment::detectLauncher() {
  return detectLauncher([](const char* name) { return std::getenv(name); });
}

Environment::Environment(int& argc, char**& argv, MpiMode mode) { start(&argc, &argv, mode); }

Environment::Environment(MpiMode mode) { start(nullptr, nullptr, mode); }

void Environment::start(int* argc, char*** argv, MpiMode mode) {
  if (environmentAlive) {
    throw Error(ErrorCategory::Internal, "a second dist::Environment was created; make one, in main()");
  }
  launcher_ = detectLauncher();
  const bool wantMpi = mode == MpiMode::Always || (mode == MpiMode::Auto && launcher_ != Launcher::None);
  if (wantMpi && !mpiBuiltIn()) {
    // Refused rather than run: under a launcher every rank would run the whole campaign on its
    // own, all writing the same run directory.
    throwConfig(std::string("this hepsweep was built without MPI (HEPSWEEP_WITH_MPI=OFF) ") +
                (launcher_ == Launcher::None ? "but MPI was asked for"
                                             : "but was started by " + std::string(launcherName(launcher_))) +
                "; run it as one process, without mpiexec or srun, or use a build with MPI "
                "(`hepsweep --version` says whether MPI is built in)");
  }
  if (launcher_ == Launcher::SrunWithoutPmi && mode != MpiMode::Never) {
    throwConfig("started by srun with " + std::string(std::getenv("SLURM_STEP_NUM_TASKS")) +
                " tasks but without an MPI plugin, so every task would run the whole campaign on its "
                "own; use 'srun --mpi=pmix' (or mpirun inside the allocation)");
  }
#if HEPSWEEP_WITH_MPI
  if (wantMpi) {
    int initialised = 0;
    int finalised = 0;
    MPI_Initialized(&initialised);
    MPI_Finalized(&finalised);
    if (finalised != 0) {
      throw Error(ErrorCategory::Internal, "MPI was already finalised in this process; it cannot restart");
    }
    if (initialised == 0) {
      // FUNNELED: OpenMP threads compute, only the main thread calls MPI.
      int provided = 0;
      mpi::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      ownsMpi_ = true;
    }
    usesMpi_ = true;
    mpi::check(MPI_Comm_rank(MPI_COMM_WORLD, &worldRank_), "MPI_Comm_rank");
    mpi::check(MPI_Comm_size(MPI_COMM_WORLD, &worldSize_), "MPI_Comm_size");
  }
#else
  (void)argc;
  (void)argv;
  (void)wantMpi;  // always false here: refused above
#endif
  environmentAlive = true;
}

Environment::~Environment() {
#if HEPSWEEP_WITH_MPI
  if (ownsMpi_ && mpi::isActive()) MPI_Finalize();
#endif
  environmentAlive = false;
}

std::string Environment::rankLabel() const {
  if (worldSize_ <= 1) return {};
  return "rank " + std::to_string(worldRank_) + "/" + std::to_string(worldSize_);
}

void Environment::abort(int exitCode, std::string_view message) const noexcept {
  // fprintf rather than iostreams: no allocation, one write per line even when ranks interleave.
  if (worldSize_ > 1) {
    std::fprintf(stderr, "hepsweep [rank %d/%d]: %.*s\n", worldRank_, worldSize_, static_cast<int>(message.size()),
                 message.data());
  } else {
    std::fprintf(stderr, "hepsweep: %.*s\n", static_cast<int>(message.size()), message.data());
  }
  std::fflush(stderr);
#if HEPSWEEP_WITH_MPI
  if (usesMpi_ && mpi::isActive()) MPI_Abort(MPI_COMM_WORLD, exitCode);
#endif
  std::exit(exitCode);
}

}  // namespace hepsweep::dist
