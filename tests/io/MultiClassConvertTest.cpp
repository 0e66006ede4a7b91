// io::convert with --class (three or more named classes) and the readers of multi-class files:
// labels are class indices in --class order, /class_names and n_classes say which is which,
// binary files carry none of it, and labels outside the classes are refused with file and row.
#include <gtest/gtest.h>

#include "IoTestUtil.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SHARED_DATA
#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::writeFile;

namespace {

ConvertOptions threeClasses(const TempDir& d) {
  writeFile(d / "a.csv", "x,y,w\n1,2,0.5\n3,4,1.5\n");
  writeFile(d / "b1.csv", "y,x,w\n20,10,2\n");  // other column order
  writeFile(d / "b2.csv", "x,y,w\n11,21,3\n12,22,4\n");
  writeFile(d / "c.csv", "x,y,w\n100,200,-1\n");
  ConvertOptions o;
  o.classes = {{"pi_mu", {d / "a.csv"}}, {"rho_mu", {d / "b1.csv", d / "b2.csv"}}, {"background", {d / "c.csv"}}};
  o.weightColumn = "w";
  o.output = d / "out.h5";
  return o;
}

std::string failure(const ConvertOptions& o) {
  try {
    convert(o);
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "convert succeeded";
  return {};
}

}  // namespace

// Rows get the index of their --class (files in order, columns matched by name); the names,
// per-class rows and weights are recorded and read back; provenance input_class is the index.
TEST(MultiClassConvert, ClassIndicesNamesAndCounts) {
  TempDir d;
  const ConvertOptions o = threeClasses(d);
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.classNames, (std::vector<std::string>{"pi_mu", "rho_mu", "background"}));
  EXPECT_EQ(s.classRows, (std::vector<std::int64_t>{2, 3, 1}));
  EXPECT_EQ(s.classWeights, (std::vector<double>{2.0, 9.0, -1.0}));
  EXPECT_NE(summaryText(s).find("2 pi_mu, 3 rho_mu, 1 background"), std::string::npos) << summaryText(s);
  EXPECT_NE(summaryText(s).find("Sum of weights ('w'): pi_mu 2, rho_mu 9, background -1."), std::string::npos)
      << summaryText(s);

  const data::Dataset ds = readDataset(o.output);
  EXPECT_EQ(ds.classNames, s.classNames);
  EXPECT_TRUE(ds.multiClass());
  ASSERT_EQ(ds.rows(), 6);
  const float labels[6] = {0, 0, 1, 1, 1, 2};
  const float x[6] = {1, 3, 10, 11, 12, 100};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(ds.labels[i], labels[i]) << i;
    EXPECT_EQ(ds.features(i, 0), x[i]) << i;
  }
  EXPECT_EQ(ds.subset(std::vector<data::Index>{5}).classNames, s.classNames);

  const DatasetInfo info = readDatasetInfo(o.output);
  EXPECT_EQ(info.classNames, s.classNames);
  EXPECT_EQ(info.classRows, s.classRows);
  EXPECT_EQ(info.inputClass, (std::vector<std::int8_t>{0, 1, 1, 2}));
  const h5::File f = h5::File::open(o.output);
  EXPECT_EQ(f.attrInt("n_classes"), 3);
  EXPECT_FALSE(f.hasAttr("n_signal"));

  DatasetBlocks blocks(o.output);
  const DatasetBlocks::Block b = blocks.read(0, 6);
  EXPECT_EQ(b.labels[5], 2);
}

// A binary file has no class attributes at all: it is the file it was before multi-class.
TEST(MultiClassConvert, BinaryFilesCarryNoClassNames) {
  TempDir d;
  writeFile(d / "s.csv", "x\n1\n");
  writeFile(d / "b.csv", "x\n2\n");
  ConvertOptions o;
  o.signalFiles = {d / "s.csv"};
  o.backgroundFiles = {d / "b.csv"};
  o.output = d / "out.h5";
  const ConvertSummary s = convert(o);
  EXPECT_TRUE(s.classNames.empty());
  const h5::File f = h5::File::open(o.output);
  EXPECT_FALSE(f.hasAttr("n_classes"));
  EXPECT_FALSE(f.exists("class_names"));
  EXPECT_FALSE(readDataset(o.output).multiClass());
}

TEST(MultiClassConvert, BadClassOptions) {
  TempDir d;
  ConvertOptions o = threeClasses(d);
  o.classes.pop_back();
  EXPECT_NE(failure(o).find("three or more"), std::string::npos);
  o = threeClasses(d);
  o.classes[2].name = "pi_mu";
  EXPECT_NE(failure(o).find("'pi_mu' twice"), std::string::npos);
  o = threeClasses(d);
  o.signalFiles = {d / "a.csv"};
  EXPECT_NE(failure(o).find("cannot be combined"), std::string::npos);
  o = threeClasses(d);
  o.classes[1].files.clear();
  EXPECT_NE(failure(o).find("'rho_mu' has no files"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(d / "out.h5"));
}

// A label beyond n_classes - 1 (a damaged or hand-made file) names the file and the row; a class
// index in a binary file is refused as before; n_classes without matching names is not a dataset.
TEST(MultiClassConvert, LabelsOutsideTheClassesAreRefused) {
  TempDir d;
  const auto make = [&](const std::string& name, std::vector<std::int8_t> labels, std::int64_t classes,
                        std::vector<std::string> names) {
    h5::File f = h5::File::create(d / name);
    f.setAttr("format", std::string(kDatasetFormat));
    f.setAttr("format_version", std::int64_t{1});
    const float x[3] = {1, 2, 3};
    const float w[3] = {1, 1, 1};
    f.write2d<float>("features", x, 3, 1);
    f.write<std::int8_t>("labels", labels);
    f.write<float>("weights", std::span<const float>(w, 3));
    f.writeStrings("feature_names", std::vector<std::string>{"x"});
    if (classes) f.setAttr("n_classes", classes);
    if (!names.empty()) f.writeStrings("class_names", names);
    f.close();
  };
  const auto message = [&](const std::string& name) {
    try {
      readDataset(d / name);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Input);
      return std::string(e.what());
    }
    ADD_FAILURE() << name << " was read";
    return std::string();
  };
  make("ok.h5", {0, 2, 1}, 3, {"a", "b", "c"});
  EXPECT_EQ(readDataset(d / "ok.h5").labels[1], 2.0f);
  make("beyond.h5", {0, 3, 1}, 3, {"a", "b", "c"});
  const std::string beyond = message("beyond.h5");
  EXPECT_NE(beyond.find("beyond.h5"), std::string::npos) << beyond;
  EXPECT_NE(beyond.find("labels[1] is 3, expected a class index from 0 to 2"), std::string::npos) << beyond;
  EXPECT_THROW(DatasetBlocks(d / "beyond.h5").read(0, 3), Error);
  make("binary.h5", {0, 2, 1}, 0, {});
  EXPECT_NE(message("binary.h5").find("labels[1] is 2, expected 0 (background) or 1 (signal)"), std::string::npos);
  make("nonames.h5", {0, 2, 1}, 3, {});
  EXPECT_NE(message("nonames.h5").find("'n_classes' is 3"), std::string::npos);
  make("fewnames.h5", {0, 2, 1}, 3, {"a", "b"});
  EXPECT_NE(message("fewnames.h5").find("'class_names' has 2 entries"), std::string::npos);
}

// The three SHiP mini-school samples of examples/ship/multiclass.md (SOURCE.md: 4257 HNL -> pi mu,
// 3372 HNL -> rho mu, 3639 background rows): classes in --class order, rows class by class.
TEST(MultiClassConvert, ShipMiniSchoolThreeClasses) {
  const std::string dir = std::string(HEPSWEEP_SHARED_DATA) + "/ship_hnl/Mini-school/";
  if (!std::filesystem::exists(dir + "kinematic_variables_HNLtoRhomu.dat.gz"))
    GTEST_SKIP() << "needs ../shared/data/ship_hnl/Mini-school (absent)";
  TempDir d;
  ConvertOptions o;
  o.classes = {{"pi_mu", {dir + "kinematic_variables_HNLtoPimu.dat.gz"}},
               {"rho_mu", {dir + "kinematic_variables_HNLtoRhomu.dat.gz"}},
               {"background", {dir + "kinematic_variables_Back.dat.gz"}}};
  o.drop = {"Good Reco", "Event Type"};
  o.output = d / "ship3.h5";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.classRows, (std::vector<std::int64_t>{4257, 3372, 3639}));
  const data::Dataset ds = readDataset(o.output);
  ASSERT_EQ(ds.cols(), 16);
  EXPECT_EQ(ds.labels[0], 0.0f);
  EXPECT_EQ(ds.labels[4257], 1.0f);
  EXPECT_EQ(ds.labels[4257 + 3372], 2.0f);
  EXPECT_EQ(ds.labels[ds.rows() - 1], 2.0f);
}

// --multi-class: the --label column's class indices become the labels; the names are the indices
// unless --class-names gives them, and then the column may also hold the names.
TEST(MultiClassConvert, LabelColumnWithClassIndicesOrNames) {
  TempDir d;
  writeFile(d / "mixed.csv", "x,cls,w\n1,2,1\n2,0,1\n3,1.0,2\n4, 1 ,1\n5,0,3\n");
  ConvertOptions o;
  o.labelledFiles = {d / "mixed.csv"};
  o.labelColumn = "cls";
  o.weightColumn = "w";
  o.multiClassLabels = true;
  o.output = d / "idx.h5";
  ConvertSummary s = convert(o);
  EXPECT_EQ(s.classNames, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(s.classRows, (std::vector<std::int64_t>{2, 2, 1}));
  EXPECT_EQ(s.classWeights, (std::vector<double>{4.0, 3.0, 1.0}));
  const std::string text = summaryText(s);
  EXPECT_NE(text.find("2 0, 2 1, 1 2"), std::string::npos) << text;
  EXPECT_NE(text.find("5 rows (labelled"), std::string::npos) << text;
  data::Dataset ds = readDataset(o.output);
  EXPECT_EQ(ds.classNames, s.classNames);
  const float labels[5] = {2, 0, 1, 1, 0};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ds.labels[i], labels[i]) << i;
  EXPECT_FALSE(h5::File::open(o.output).hasAttr("signal_value", "labels"));

  writeFile(d / "named.csv", "x,cls\n1,bkg\n2,0\n3,rho\n4,pi\n");
  o.labelledFiles = {d / "named.csv"};
  o.weightColumn.clear();
  o.multiClassLabels = false;
  o.classNames = {"pi", "rho", "bkg"};
  o.output = d / "named.h5";
  s = convert(o);
  EXPECT_EQ(s.classRows, (std::vector<std::int64_t>{2, 1, 1}));
  ds = readDataset(o.output);
  EXPECT_EQ(ds.classNames, o.classNames);
  const float named[4] = {2, 0, 1, 0};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ds.labels[i], named[i]) << i;
}

// Errors name the file, the row and the value; a class without rows (a gap) and fewer than three
// classes are refused, and no output is left behind.
TEST(MultiClassConvert, LabelColumnErrors) {
  TempDir d;
  const auto inputError = [&](const std::string& csv, std::vector<std::string> names = {}) {
    writeFile(d / "in.csv", csv);
    ConvertOptions o;
    o.labelledFiles = {d / "in.csv"};
    o.labelColumn = "cls";
    o.multiClassLabels = true;
    o.classNames = std::move(names);
    o.output = d / "out.h5";
    try {
      convert(o);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Input) << e.what();
      EXPECT_FALSE(std::filesystem::exists(o.output));
      return std::string(e.what());
    }
    ADD_FAILURE() << "convert succeeded on " << csv;
    return std::string();
  };
  std::string e = inputError("x,cls\n1,0\n2,1\n3,1.5\n");
  EXPECT_NE(e.find("in.csv"), std::string::npos) << e;
  EXPECT_NE(e.find("row 3"), std::string::npos) << e;
  EXPECT_NE(e.find("'1.5'"), std::string::npos) << e;
  e = inputError("x,cls\n1,0\n2,-1\n");
  EXPECT_NE(e.find("'-1'"), std::string::npos) << e;
  e = inputError("x,cls\n1,0\n2,signal\n");
  EXPECT_NE(e.find("--class-names"), std::string::npos) << e;
  e = inputError("x,cls\n1,0\n2,1\n3,3\n");  // no class 2
  EXPECT_NE(e.find("no row of class 2"), std::string::npos) << e;
  EXPECT_NE(e.find("0 x1, 1 x1, 3 x1"), std::string::npos) << e;
  e = inputError("x,cls\n1,0\n2,1\n");
  EXPECT_NE(e.find("fewer than three classes"), std::string::npos) << e;
  e = inputError("x,cls\n1,a\n2,b\n3,3\n", {"a", "b", "c"});  // 3 is not an index of three classes
  EXPECT_NE(e.find("neither a class index 0-2 nor a class name"), std::string::npos) << e;
  e = inputError("x,cls\n1,a\n2,b\n", {"a", "b", "c"});
  EXPECT_NE(e.find("no row of class 2 ('c')"), std::string::npos) << e;

  ConvertOptions o;
  o.labelledFiles = {d / "in.csv"};
  o.output = d / "out.h5";
  o.multiClassLabels = true;
  EXPECT_NE(failure(o).find("needs --label"), std::string::npos);
  o.labelColumn = "cls";
  o.classNames = {"a", "b"};
  EXPECT_NE(failure(o).find("three or more"), std::string::npos);
  o.classNames = {"a", "b", "a"};
  EXPECT_NE(failure(o).find("twice"), std::string::npos);
}
