#pragma once
// Which instruction-set variant of the training kernels runs: the network's matrix products,
// its activation/dropout pass and the optimiser steps are compiled once per x86-64 level and one
// is chosen when the program starts, so a portable binary uses AVX2/FMA or AVX-512 where the CPU
// has them and still runs on older nodes. HEPSWEEP_KERNEL=portable|v2|v3|v4|auto overrides the
// choice (docs/train.md). Results are bitwise reproducible for one build and one level; see
// docs/train.md for what changes between levels.
#include <string>

namespace hepsweep::nn {

enum class KernelLevel { Portable, V2, V3, V4 };

// "portable", "v2", "v3", "v4".
const char* toString(KernelLevel level);
// Parses those names (and "auto": the best level); throws Error(Config) naming the valid ones.
KernelLevel parseKernelLevel(const std::string& name);

// Whether this build has the level and this CPU and OS can run it.
bool kernelLevelSupported(KernelLevel level);
// The highest supported level.
KernelLevel bestKernelLevel();

// Chooses the level from the environment variable HEPSWEEP_KERNEL (unset or "auto": the best
// level); throws Error(Config) for an unknown name or a level this CPU lacks. Called by main() at
// start; otherwise the first use of the kernels chooses the same way (and then throws from there).
void initKernel();
// Forces a level (tests, benchmarks); throws Error(Config) when the CPU lacks it.
void setKernel(KernelLevel level);
KernelLevel activeKernel();

// One line for --version and logs, e.g.
// "v4 (x86-64-v4: AVX-512, FMA; best this CPU supports: v4; HEPSWEEP_KERNEL unset)".
std::string kernelDescription();

}  // namespace hepsweep::nn
