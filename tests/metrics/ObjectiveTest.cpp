// metrics::Objective: the one decoding of search.objective that the option reader, the result
// file, the per-epoch stopping rule and the reports share.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Objective.hpp"

using hepsweep::metrics::Objective;

namespace {

Objective parsed(const char* name) {
  const auto o = Objective::parse(name);
  EXPECT_TRUE(o.has_value()) << name;
  return o.value_or(Objective{});
}

}  // namespace

// Catches a spelling being normalised (files and dumps must keep what the user wrote) or a
// malformed name being accepted.
TEST(Objective, ParseKeepsTheNameAsWrittenAndRefusesOthers) {
  EXPECT_EQ(Objective{}.name(), "val_loss");
  EXPECT_EQ(parsed("val_auc").kind(), Objective::Kind::ValAuc);
  EXPECT_EQ(parsed("ams").kind(), Objective::Kind::Ams);
  const Objective b = parsed("bkg_eff@sig_eff=.5");
  EXPECT_EQ(b.kind(), Objective::Kind::BkgEffAtSigEff);
  EXPECT_EQ(b.name(), "bkg_eff@sig_eff=.5");
  EXPECT_EQ(b.signalEfficiency(), 0.5);
  for (const char* bad : {"auc", "val_acc", "", "bkg_eff@sig_eff=1", "bkg_eff@sig_eff= 0.5", "AMS"})
    EXPECT_FALSE(Objective::parse(bad).has_value()) << bad;
}

// Catches a wrong sign or offset: every stored objective is smaller-is-better.
TEST(Objective, ComputeStoresSmallerIsBetter) {
  const auto bkg = [](double eff) { return eff * 0.1; };
  EXPECT_DOUBLE_EQ(parsed("val_loss").compute(0.3, 0.9, 2.0, bkg), 0.3);
  EXPECT_DOUBLE_EQ(parsed("val_auc").compute(0.3, 0.9, 2.0, bkg), 1.0 - 0.9);
  EXPECT_DOUBLE_EQ(parsed("ams").compute(0.3, 0.9, 2.0, bkg), -2.0);
  EXPECT_DOUBLE_EQ(parsed("bkg_eff@sig_eff=0.8").compute(0.3, 0.9, 2.0, bkg), 0.08);
}

// Catches the per-epoch curve of the median rule following the wrong quantity.
TEST(Objective, EpochValueIsValLossUnlessTheObjectiveIsAuc) {
  EXPECT_DOUBLE_EQ(parsed("val_auc").epochValue(0.3, 0.9), 1.0 - 0.9);
  EXPECT_STREQ(parsed("val_auc").epochQuantity(), "1 - val_auc");
  for (const char* n : {"val_loss", "ams", "bkg_eff@sig_eff=0.8"}) {
    EXPECT_DOUBLE_EQ(parsed(n).epochValue(0.3, 0.9), 0.3) << n;
    EXPECT_STREQ(parsed(n).epochQuantity(), "val_loss") << n;
  }
}

// Catches a display that shows the stored (negated) value or the wrong direction.
TEST(Objective, DisplayTurnsStoredValuesBackIntoTheQuantity) {
  EXPECT_TRUE(parsed("ams").higherIsBetter());
  EXPECT_DOUBLE_EQ(parsed("ams").display().shown(-1.93), 1.93);
  EXPECT_TRUE(parsed("val_auc").higherIsBetter());
  EXPECT_DOUBLE_EQ(parsed("val_auc").display().shown(0.09), 0.91);
  EXPECT_FALSE(parsed("val_loss").higherIsBetter());
  EXPECT_EQ(parsed("ams").describe(-1.93), "validation AMS 1.93");
  EXPECT_EQ(parsed("bkg_eff@sig_eff=0.8").describe(0.0123),
            "validation background efficiency 0.0123 at signal efficiency 0.8");
  EXPECT_EQ(hepsweep::metrics::displayObjective("future_thing").quantity, "objective future_thing");
}

// Catches files written before metrics/objective existed being refused for the objectives that
// can be recomputed from them, or accepted for those that cannot.
TEST(Objective, StoredFallsBackToOldMetricsWhereItCan) {
  const auto old = [](const std::string& name) -> std::optional<double> {
    if (name == "val_auc") return 0.75;
    if (name == "val_loss") return 0.4;
    return std::nullopt;
  };
  EXPECT_DOUBLE_EQ(parsed("val_auc").stored(old), 0.25);
  EXPECT_DOUBLE_EQ(parsed("val_loss").stored(old), 0.4);
  EXPECT_THROW(parsed("ams").stored(old), hepsweep::Error);
  const auto stored = [](const std::string& name) -> std::optional<double> {
    return name == "objective" ? std::optional<double>(-3.0) : std::nullopt;
  };
  EXPECT_DOUBLE_EQ(parsed("ams").stored(stored), -3.0);
}
