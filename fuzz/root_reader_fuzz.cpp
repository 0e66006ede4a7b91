// libFuzzer target for the ROOT reader; the work is in root_reader_entry.hpp, which the unit test
// replaying fuzz/regression/ shares. Built and run by scripts/fuzz.sh (clang,
// -fsanitize=fuzzer,address,undefined).
#include "root_reader_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hepsweep::fuzz::readRootBytes(data, size);
  return 0;
}
