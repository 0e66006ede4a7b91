#include "hepsweep/nn/Kernel.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "hepsweep/core/Error.hpp"
#include "kernels/KernelTable.hpp"

namespace hepsweep::nn {
namespace {

const char* const kEnv = "HEPSWEEP_KERNEL";

const char* isaOf(KernelLevel level) {
  switch (level) {
    case KernelLevel::Portable: return "baseline x86-64: SSE2";
    case KernelLevel::V2: return "x86-64-v2: SSE4.2";
    case KernelLevel::V3: return "x86-64-v3: AVX2, FMA";
    case KernelLevel::V4: return "x86-64-v4: AVX-512, FMA";
  }
  return "";
}

const kern::Table* tableOf(KernelLevel level) {
  switch (level) {
    case KernelLevel::Portable: return &kern::portable::table();
#if defined(HEPSWEEP_KERNELS_X86)
    case KernelLevel::V2: return &kern::v2::table();
    case KernelLevel::V3: return &kern::v3::table();
    case KernelLevel::V4: return &kern::v4::table();
#else
    default: return nullptr;
#endif
  }
  return nullptr;
}

std::atomic<const kern::Table*> gTable{nullptr};
std::atomic<KernelLevel> gLevel{KernelLevel::Portable};
std::once_flag gInit;

void install(KernelLevel level) {
  gLevel.store(level);
  gTable.store(tableOf(level));
}

std::string supportedList() {
  std::string s;
  for (KernelLevel l : {KernelLevel::Portable, KernelLevel::V2, KernelLevel::V3, KernelLevel::V4})
    if (kernelLevelSupported(l)) s += std::string(s.empty() ? "" : ", ") + toString(l);
  return s;
}

void requireSupported(KernelLevel level, const std::string& who) {
  if (kernelLevelSupported(level)) return;
#if defined(HEPSWEEP_KERNELS_X86)
  throwConfig(who + ": kernel level " + toString(level) + " (" + isaOf(level) +
              ") is not supported by this CPU; it supports " + supportedList());
#else
  throwConfig(who + ": kernel level " + toString(level) +
              " is an x86-64 level; this build has only the portable kernels");
#endif
}

}  // namespace

const char* toString(KernelLevel level) {
  switch (level) {
    case KernelLevel::Portable: return "portable";
    case KernelLevel::V2: return "v2";
    case KernelLevel::V3: return "v3";
    case KernelLevel::V4: return "v4";
  }
  return "?";
}

KernelLevel parseKernelLevel(const std::string& name) {
  if (name == "auto") return bestKernelLevel();
  for (KernelLevel l : {KernelLevel::Portable, KernelLevel::V2, KernelLevel::V3, KernelLevel::V4})
    if (name == toString(l)) return l;
  throwConfig("unknown kernel level '" + name + "': expected portable, v2, v3, v4 or auto");
}

bool kernelLevelSupported(KernelLevel level) {
#if defined(HEPSWEEP_KERNELS_X86)
  // libgcc's CPU model checks the OS's XSAVE state (XCR0) as well as CPUID, so a CPU with AVX-512
  // under an OS or hypervisor that does not save the zmm registers is not taken for v4.
  __builtin_cpu_init();
  switch (level) {
    case KernelLevel::Portable: return true;
    case KernelLevel::V2: return __builtin_cpu_supports("x86-64-v2");
    case KernelLevel::V3: return __builtin_cpu_supports("x86-64-v3");
    case KernelLevel::V4: return __builtin_cpu_supports("x86-64-v4");
  }
  return false;
#else
  return level == KernelLevel::Portable;
#endif
}

KernelLevel bestKernelLevel() {
  for (KernelLevel l : {KernelLevel::V4, KernelLevel::V3, KernelLevel::V2})
    if (kernelLevelSupported(l)) return l;
  return KernelLevel::Portable;
}

void initKernel() {
  std::call_once(gInit, [] {
    const char* env = std::getenv(kEnv);
    KernelLevel level = bestKernelLevel();
    if (env && *env) {
      level = parseKernelLevel(env);
      requireSupported(level, std::string(kEnv) + "=" + env);
    }
    install(level);
  });
}

void setKernel(KernelLevel level) {
  requireSupported(level, "setKernel");
  std::call_once(gInit, [] {});
  install(level);
}

KernelLevel activeKernel() {
  initKernel();
  return gLevel.load();
}

std::string kernelDescription() {
  const KernelLevel level = activeKernel();
  const char* env = std::getenv(kEnv);
  return std::string(toString(level)) + " (" + isaOf(level) + "; best this CPU supports: " +
         toString(bestKernelLevel()) + "; " + kEnv + (env && *env ? std::string("=") + env : std::string(" unset")) +
         ")";
}

namespace kern {
const Table& active() {
  const Table* t = gTable.load(std::memory_order_acquire);
  if (!t) {
    initKernel();
    t = gTable.load(std::memory_order_acquire);
  }
  return *t;
}
}  // namespace kern

}  // namespace hepsweep::nn
