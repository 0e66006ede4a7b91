// The job templates (issue 19, point 11): the files of the top-level jobs/, slurm/ and condor/
// directories are what the binary carries; a site's copy replaces them file by file (an extra
// #SBATCH line or +JobFlavour written once); filling follows the documented rules; a site's
// template decides the layout but never the quoting of a value. The command line: TemplatesCliTest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "CondorChecker.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/submit/Condor.hpp"
#include "hepsweep/submit/Slurm.hpp"
#include "hepsweep/submit/Templates.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace fs = std::filesystem;
using namespace hepsweep;
using namespace hepsweep::submit;
namespace cc = hepsweep::test::condor;

namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}
fs::path scratch(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / ("hepsweep_templates_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
std::string configError(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

CampaignJob job() {
  CampaignJob j;
  j.hepsweep = "/opt/hepsweep/bin/hepsweep";
  j.campaignFile = "/home/alice/higgs/campaign.toml";
  j.workDir = "/home/alice/higgs";
  j.runDir = "/home/alice/higgs/runs/grid";
  j.itemCount = 4;
  j.sliceCount = 4;
  j.slices = {0, 1, 2, 3};
  j.dataFile = "/home/alice/higgs/data/higgs.h5";
  return j;
}
campaign::CampaignConfig campaignOf() {
  return campaign::parseCampaign("[data]\nfile = \"/home/alice/higgs/data/higgs.h5\"\n[output]\ndir = \"runs/grid\"\n"
                                 "[cv]\nfolds = 2\n[search]\nmethod = \"grid\"\n[search.space]\n"
                                 "\"model.widths\" = [[16, 8], [8]]\n",
                                 "alice.toml");
}
const GeneratedFile& named(const std::vector<GeneratedFile>& files, const std::string& name) {
  for (const auto& f : files)
    if (f.name == name) return f;
  throw std::runtime_error("no generated " + name);
}

}  // namespace

// Each documented rule, on a small text: would catch a comment line kept, a value scanned again
// for placeholders (a value "@SETUP@" must stay literal), an '@' that is not a placeholder eaten,
// or an empty optional line left as a blank line.
TEST(FillTemplate, FollowsTheDocumentedRules) {
  const std::string text =
      "#!/bin/bash\n#% a note for the site, never written\n@HEAD@\n#SBATCH --mail-user=alice@cern.ch\n"
      "@OPTIONAL@\n  @OPTIONAL@\necho \"${list[@]}\" @A@@A@ x@A@y\n@SETUP@";
  const std::string out = fillTemplate(text, "t.sh", {{"HEAD", "# head"}, {"OPTIONAL", ""}, {"A", "1"}, {"SETUP", "@A@"}});
  EXPECT_EQ(out,
            "#!/bin/bash\n# head\n#SBATCH --mail-user=alice@cern.ch\n  \necho \"${list[@]}\" 11 x1y\n@A@");
}

// A misspelt placeholder in a site's template is named with the file and line, and the known ones.
TEST(FillTemplate, UnknownPlaceholderNamesFileAndLine) {
  const std::string e = configError([] { fillTemplate("a\nb @PARTITON@\n", "site/slurm/train.sh", {{"NAME", "x"}}); });
  EXPECT_HAS(e, "template site/slurm/train.sh:2: unknown placeholder @PARTITON@; this template is filled with @NAME@");
}

// The binary carries exactly the files of the source tree (catches a stale or missing embedding),
// and every built-in template fills without an unknown placeholder for both systems.
TEST(BuiltInTemplates, AreTheFilesOfTheSourceTree) {
  ASSERT_EQ(Templates::names().size(), 13u);
  for (const auto& name : Templates::names()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Templates::builtIn().text(name), readFile(fs::path(HEPSWEEP_SOURCE_DIR) / name));
    EXPECT_EQ(Templates::builtIn().origin(name), "built-in " + name);
  }
  CampaignJob bayes = job();
  bayes.rounds = planRounds(5, 2, 2, 2, 4);
  EXPECT_NO_THROW(slurmFiles(job(), {}, "/j"));
  EXPECT_NO_THROW(slurmFiles(bayes, {}, "/j"));
  EXPECT_NO_THROW(condorFiles(job(), {}, campaignOf(), "/j"));
  EXPECT_NO_THROW(condorFiles(bayes, {}, campaignOf(), "/j"));
}

// A site's copy: an #SBATCH line added to train.sh, and its account in site.sbatch once for every
// script; +JobFlavour once in condor/site.sub reaches every submit description, which the strict
// checker still accepts. Files the site did not copy stay built in.
TEST(SiteTemplates, AddLinesOnceForEveryJob) {
  const fs::path site = scratch("site");
  std::string train = Templates::builtIn().text("slurm/train.sh");
  train.insert(train.find("@SITE_SBATCH@"), "#SBATCH --gres=gpu:1\n");
  writeFile(site / "slurm/train.sh", train);
  writeFile(site / "slurm/site.sbatch", "#% our cluster\n#SBATCH --account=atlas\n#SBATCH --mail-type=FAIL\n");
  writeFile(site / "condor/site.sub", "+JobFlavour = \"workday\"\n");
  writeFile(site / "slurm/README.md", "notes are allowed\n");
  const Templates t = Templates::fromDirectory(site);
  EXPECT_EQ(t.origin("slurm/train.sh"), (site / "slurm/train.sh").string());
  EXPECT_EQ(t.origin("slurm/aggregate.sh"), "built-in slurm/aggregate.sh");

  CampaignJob bayes = job();
  bayes.rounds = planRounds(5, 2, 2, 2, 4);
  const auto slurm = slurmFiles(bayes, {}, "/j", t);
  EXPECT_HAS(named(slurm, "train.sh").text, "#SBATCH --gres=gpu:1\n#SBATCH --account=atlas\n#SBATCH --mail-type=FAIL\nset -u\n");
  for (const char* f : {"propose.sh", "aggregate.sh"}) {
    EXPECT_HAS(named(slurm, f).text, "#SBATCH --account=atlas\n#SBATCH --mail-type=FAIL\nset -u\n");
    EXPECT_EQ(named(slurm, f).text.find("gpu"), std::string::npos) << f;
  }
  for (const auto& f : slurm) EXPECT_EQ(f.text.find("our cluster"), std::string::npos) << f.name;
  // Only the site's lines differ from the built-in files.
  const auto plain = slurmFiles(bayes, {}, "/j");
  std::string withoutSite = named(slurm, "aggregate.sh").text;
  withoutSite.erase(withoutSite.find("#SBATCH --account=atlas\n"), std::string("#SBATCH --account=atlas\n#SBATCH --mail-type=FAIL\n").size());
  EXPECT_EQ(withoutSite, named(plain, "aggregate.sh").text);

  const fs::path dir = scratch("site_condor");
  const auto condor = condorFiles(bayes, {}, campaignOf(), dir, t);
  writeGenerated(dir, condor);
  cc::parseDag(readFile(dir / "campaign.dag"), dir);
  int subs = 0;
  for (const auto& f : condor)
    if (f.name.size() > 4 && f.name.substr(f.name.size() - 4) == ".sub") {
      ++subs;
      EXPECT_EQ(cc::parseSubmit(f.text).attributes.at("JobFlavour"), "\"workday\"") << f.name;
    }
  EXPECT_EQ(subs, 9);  // 3 x (train, propose), observe, aggregate, status
}

// A site's template may put a placeholder anywhere; the value keeps its quoting there. The
// injection values of SubmitTest run through a template that echoes them: printed intact, nothing
// executed.
TEST(SiteTemplates, CannotUnquoteAValue) {
  const fs::path base = scratch("quoting");
  const std::string evil = "we i'rd \"q\" $(touch PWNED1) `touch PWNED2`; touch PWNED3 $HOME";
  const fs::path site = base / "site";
  writeFile(site / "slurm/aggregate.sh", "#!/bin/bash\ncd @WORK_DIR@\nprintf '%s\\n' @WORK_DIR@ @AGGREGATE_ARGUMENTS@ > out.txt\n");
  CampaignJob j = job();
  j.workDir = base / ("work " + evil);
  j.runDir = j.workDir / ("run " + evil);
  j.campaignFile = j.workDir / "c.toml";
  fs::create_directories(j.workDir);
  const auto files = slurmFiles(j, {}, base / "jobs", Templates::fromDirectory(site));
  writeGenerated(base / "jobs", files);
  fs::create_symlink(base / "jobs/aggregate.sh", base / "aggregate.sh");
  ASSERT_EQ(std::system(("cd / && bash '" + (base / "aggregate.sh").string() + "'").c_str()), 0);
  EXPECT_EQ(readFile(j.workDir / "out.txt"), j.workDir.string() + "\naggregate\n" + j.runDir.string() + "\n--report\n" +
                                                 (j.runDir / "report").string() + "\n--allow-incomplete\n");
  for (const auto& e : fs::recursive_directory_iterator(base)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name != "PWNED1" && name != "PWNED2" && name != "PWNED3") << "executed: " << e.path();
  }
}

// A directory that is not one, holds nothing, or holds a misspelt template is refused by name.
TEST(SiteTemplates, RefusesWhatWouldBeIgnoredSilently) {
  const fs::path base = scratch("refused");
  EXPECT_HAS(configError([&] { Templates::fromDirectory(base / "missing"); }), "no such directory");
  EXPECT_HAS(configError([&] { Templates::fromDirectory(base); }), "holds no template");
  writeFile(base / "slurm/trian.sh", "x\n");
  const std::string e = configError([&] { Templates::fromDirectory(base); });
  EXPECT_HAS(e, "slurm/trian.sh' is not a template name; the templates there are slurm/train.sh");
  fs::remove(base / "slurm/trian.sh");
  writeFile(base / "slurm/train.sh", "#!/bin/bash\n@PARTITION@\n");
  const Templates t = Templates::fromDirectory(base);
  EXPECT_HAS(configError([&] { slurmFiles(job(), {}, "/j", t); }),
             "template " + (base / "slurm/train.sh").string() + ":2: unknown placeholder @PARTITION@");
}

// writeBuiltInTemplates gives files that, read back as a site directory, generate the same job
// files; it never overwrites.
TEST(SiteTemplates, WrittenBuiltInsRoundTrip) {
  const fs::path dir = scratch("written");
  EXPECT_EQ(writeBuiltInTemplates(dir).size(), Templates::names().size());
  const Templates t = Templates::fromDirectory(dir);
  const auto a = condorFiles(job(), {}, campaignOf(), "/j");
  const auto b = condorFiles(job(), {}, campaignOf(), "/j", t);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].text, b[i].text) << a[i].name;
  try {
    writeBuiltInTemplates(dir);
    FAIL() << "overwrote the templates";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_HAS(std::string(e.what()), "exists already");
  }
}
