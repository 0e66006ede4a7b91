// The object files of the kernel variants (src/nn/kernels) keep to the rules that let them live in
// one static binary: each defines exactly one external symbol, its own table(), and nothing weak
// (an inline function or template instantiated there would be a weak symbol the linker may keep
// for the whole program, AVX-512 code included); and the portable and v2 objects contain no
// instruction that needs AVX (no ymm/zmm register, no VEX/EVEX-only mnemonic). Inspects the
// objects with nm and objdump (binutils).
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  if (std::FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) out += "\n<command failed: " + cmd + ">";
  }
  return out;
}

std::vector<std::string> objects() {
  std::vector<std::string> out;
  std::stringstream all(HEPSWEEP_KERNEL_OBJECTS);
  for (std::string item; std::getline(all, item, '|');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string levelOf(const std::string& path) {
  for (const char* l : {"Portable", "V2", "V3", "V4"})
    if (path.find(std::string("Kernels") + l + ".cpp") != std::string::npos) {
      std::string s = l;
      return s == "Portable" ? "portable" : std::string(1, static_cast<char>(s[0] + 32)) + s.substr(1);
    }
  return "";
}

TEST(KernelObjects, EachVariantExportsOnlyItsTable) {
  const auto objs = objects();
  ASSERT_FALSE(objs.empty());
  for (const std::string& o : objs) {
    const std::string level = levelOf(o);
    ASSERT_FALSE(level.empty()) << "unexpected kernel object " << o;
    const std::string nm = run("nm -C --defined-only --extern-only '" + o + "'");
    ASSERT_EQ(nm.find("<command failed"), std::string::npos) << nm;
    int tables = 0;
    std::stringstream lines(nm);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      // "<address> <class> <name>"
      const std::string name = line.size() > 19 ? line.substr(19) : line;
      if (name == "hepsweep::nn::kern::" + level + "::table()") {
        ++tables;
        continue;
      }
      // The pointer to the C++ personality routine (data, the same in every object) and the
      // sanitizers' own bookkeeping are not code of ours.
      if (name == "DW.ref.__gxx_personality_v0" || name.rfind("__asan", 0) == 0 || name.rfind("__odr_asan", 0) == 0 ||
          name.rfind("__ubsan", 0) == 0)
        continue;
      ADD_FAILURE() << o << " exports '" << line << "': only kern::" << level
                    << "::table() may be visible outside a variant (see Kernels.inc)";
    }
    EXPECT_EQ(tables, 1) << o << ":\n" << nm;
  }
}

TEST(KernelObjects, PortableAndV2UseNoAvxInstruction) {
  int checked = 0;
  const std::regex avx(R"(%[yz]mm[0-9]|%k[0-7]\b|\tv[a-z0-9]+ )");
  for (const std::string& o : objects()) {
    const std::string level = levelOf(o);
    if (level != "portable" && level != "v2") continue;
    const std::string dis = run("objdump -d --no-show-raw-insn '" + o + "'");
    ASSERT_EQ(dis.find("<command failed"), std::string::npos) << dis;
    ASSERT_NE(dis.find("table"), std::string::npos) << "no disassembly of " << o;
    std::smatch m;
    EXPECT_FALSE(std::regex_search(dis, m, avx)) << o << " contains an AVX instruction: '" << m.str() << "'";
    // The same check finds AVX in the v3 object, so the pattern works.
    ++checked;
  }
  for (const std::string& o : objects())
    if (levelOf(o) == "v3") {
      const std::string dis = run("objdump -d --no-show-raw-insn '" + o + "'");
      EXPECT_TRUE(std::regex_search(dis, avx)) << "the pattern misses AVX code in " << o;
    }
#if defined(HEPSWEEP_KERNELS_X86)
  EXPECT_EQ(checked, 2);
#else
  EXPECT_EQ(checked, 1);
#endif
}

}  // namespace
