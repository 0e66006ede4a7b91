// docs/campaign.md carries the generated option reference between markers; this fails when the
// declarations change without the docs being regenerated. Regenerate with:
//   HEPSWEEP_UPDATE_DOCS=1 ctest --test-dir <build> -R CampaignDocs
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hepsweep/campaign/Options.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace hepsweep::campaign {
namespace {

const std::string kBegin = "<!-- BEGIN OPTIONS -->\n";
const std::string kEnd = "<!-- END OPTIONS -->";

TEST(CampaignDocs, ReferenceSectionMatchesDeclarations) {
  const std::string path = std::string(HEPSWEEP_SOURCE_DIR) + "/docs/campaign.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const auto b = doc.find(kBegin);
  const auto e = doc.find(kEnd);
  ASSERT_NE(b, std::string::npos) << path << " lacks the marker " << kBegin;
  ASSERT_NE(e, std::string::npos) << path << " lacks the marker " << kEnd;
  ASSERT_LT(b, e);
  const std::string current = doc.substr(b + kBegin.size(), e - b - kBegin.size());
  const std::string generated = optionsMarkdown();
  const char* update = std::getenv("HEPSWEEP_UPDATE_DOCS");
  if (current != generated && update && std::string(update) == "1") {
    doc.replace(b + kBegin.size(), e - b - kBegin.size(), generated);
    std::ofstream(path) << doc;
    std::cout << "rewrote the option reference in " << path << "\n";
    return;
  }
  EXPECT_EQ(current, generated) << "the option reference in " << path
                                << " is out of date; regenerate it with\n"
                                   "  HEPSWEEP_UPDATE_DOCS=1 ctest --test-dir <build dir> -R CampaignDocs";
}

}  // namespace
}  // namespace hepsweep::campaign
