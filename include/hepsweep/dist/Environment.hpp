#pragma once
// The process-wide MPI environment: MPI_Init_thread in the constructor, MPI_Finalize in the
// destructor, built once in main() (LightGBM style) and never inside library code. No MPI header
// appears here: everything above the dist module sees only this class and dist::Communicator.
#include <functional>
#include <string>
#include <string_view>

namespace hepsweep::dist {

// How the process was started, as far as the environment variables of the launchers tell.
enum class Launcher {
  None,            // started directly: a serial run
  Mpiexec,         // Open MPI mpirun/mpiexec, MPICH/Hydra mpiexec, or another PMI(x) launcher
  Srun,            // Slurm srun with an MPI plugin (srun --mpi=pmix)
  SrunWithoutPmi   // srun with several tasks but no MPI plugin: each task would run alone
};

// "mpiexec", "srun", "no launcher": for messages.
const char* launcherName(Launcher launcher) noexcept;

enum class MpiMode {
  Auto,    // initialise MPI when a launcher started us; a direct start runs without MPI (Local)
  Always,  // always initialise MPI (a direct start becomes an MPI singleton of size 1)
  Never    // never touch MPI: Local communicators only
};

class Environment {
 public:
  // Throws hepsweep::Error (Config) for srun without an MPI plugin in Auto mode, in a build without
  // MPI (HEPSWEEP_WITH_MPI=OFF) when a launcher started us or MpiMode::Always asks for MPI, and (Internal)
  // when a second Environment is created in one process or MPI was already finalised.
  Environment(int& argc, char**& argv, MpiMode mode = MpiMode::Auto);
  explicit Environment(MpiMode mode = MpiMode::Auto);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  bool usesMpi() const noexcept { return usesMpi_; }
  Launcher launcher() const noexcept { return launcher_; }
  int worldRank() const noexcept { return worldRank_; }
  int worldSize() const noexcept { return worldSize_; }
  // "rank 2/4" under MPI with more than one rank, empty otherwise (for log prefixes).
  std::string rankLabel() const;

  // Prints `message` (prefixed with the rank) to stderr and ends the whole job: MPI_Abort under
  // MPI, so a failing rank never leaves the others waiting in a collective; std::exit otherwise.
  [[noreturn]] void abort(int exitCode, std::string_view message) const noexcept;

  // Reads the launchers' variables through `getenv` (injectable for tests).
  static Launcher detectLauncher(const std::function<const char*(const char*)>& getenv);
  static Launcher detectLauncher();

  // Whether this build has MPI (CMake option HEPSWEEP_WITH_MPI); without it every communicator
  // is a LocalCommunicator and runs under a launcher are refused.
  static bool mpiBuiltIn() noexcept;
  // The MPI library's name and version ("Open MPI v4.1.4"), or a note that there is none.
  static std::string mpiDescription();

 private:
  void start(int* argc, char*** argv, MpiMode mode);

  bool usesMpi_ = false;
  bool ownsMpi_ = false;  // false when MPI was initialised before us: then we do not finalise it
  Launcher launcher_ = Launcher::None;
  int worldRank_ = 0;
  int worldSize_ = 1;
};

}  // namespace hepsweep::dist
