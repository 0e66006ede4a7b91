// The train.lr_schedule keys: Keras' ReduceLROnPlateau defaults, every key searchable like any
// other, and the combinations that cannot train refused at load with the key named.
#include <gtest/gtest.h>

#include "CampaignTestUtil.hpp"
#include "hepsweep/search/Space.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;
using train::LrScheduleKind;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// Would catch a default that drifted from Keras' (factor 0.1, patience 10, min_delta 1e-4,
// cooldown 0, min_lr 0, monitoring the validation loss) or a schedule on by default.
TEST(LrScheduleOptions, DefaultsAreConstantAndPlateauIsKeras) {
  const auto base = parse(kMinimalCampaign);
  EXPECT_EQ(base.train.lrSchedule.kind, LrScheduleKind::Constant);
  EXPECT_EQ(base.train.lrSchedule.warmupEpochs, 0);
  const auto c = parse(std::string(kMinimalCampaign) + "[train.lr_schedule]\nkind = \"plateau\"\n");
  const auto& s = c.train.lrSchedule;
  EXPECT_EQ(s.kind, LrScheduleKind::Plateau);
  EXPECT_EQ(s.factor, 0.1);
  EXPECT_EQ(s.patience, 10);
  EXPECT_EQ(s.minDelta, 1e-4);
  EXPECT_EQ(s.cooldown, 0);
  EXPECT_EQ(s.minLr, 0.0);
  EXPECT_EQ(s.monitor, train::Monitor::ValLoss);
}

TEST(LrScheduleOptions, EveryKeyParsesFromFileAndSet) {
  const auto c = parse(std::string(kMinimalCampaign) +
                           "[train]\nepochs = 40\nlr_schedule = { kind = \"step\", step_size = 5, gamma = 0.5, "
                           "warmup_epochs = 3 }\n",
                       {"train.lr_schedule.min_lr=1e-6", "train.lr_schedule.monitor=val_auc",
                        "train.lr_schedule.factor=0.2", "train.lr_schedule.patience=4",
                        "train.lr_schedule.min_delta=0.001", "train.lr_schedule.cooldown=2"});
  const auto& s = c.train.lrSchedule;
  EXPECT_EQ(s.kind, LrScheduleKind::Step);
  EXPECT_EQ(s.stepSize, 5);
  EXPECT_EQ(s.gamma, 0.5);
  EXPECT_EQ(s.warmupEpochs, 3);
  EXPECT_EQ(s.minLr, 1e-6);
  EXPECT_EQ(s.monitor, train::Monitor::ValAuc);
  EXPECT_EQ(s.factor, 0.2);
  EXPECT_EQ(s.patience, 4);
  EXPECT_EQ(s.minDelta, 0.001);
  EXPECT_EQ(s.cooldown, 2);
  // The resolved file written into result files reads back to the same schedule.
  expectSameConfig(c, parse(toToml(c)));
}

// The schedule's kind (a choice) and its numbers (ranges) can be searched; each grid point sets
// them. Would catch a key missing from the searchable set.
TEST(LrScheduleOptions, KeysAreSearchable) {
  const std::string text = std::string(kMinimalCampaign) +
                           "[search]\nmethod = \"grid\"\n[search.space]\n"
                           "\"train.lr_schedule.kind\" = [\"constant\", \"cosine\", \"plateau\"]\n"
                           "\"train.lr_schedule.warmup_epochs\" = { min = 0, max = 2 }\n";
  const CampaignConfig c = parseCampaign(text, "nb.toml");
  ASSERT_EQ(c.search.space.size(), 2u);
  ASSERT_EQ(c.search.space.cardinality(), 9u);
  for (std::uint64_t rank = 0; rank < 9; ++rank) {
    search::Point p;
    p.values = c.search.space.valuesAt(rank);
    CampaignConfig item = c;
    applyOverrides(item, p.toOverrides());
    const std::vector<LrScheduleKind> kinds{LrScheduleKind::Constant, LrScheduleKind::Cosine, LrScheduleKind::Plateau};
    EXPECT_EQ(item.run.train.lrSchedule.kind, kinds[rank / 3]);
    EXPECT_EQ(static_cast<std::uint64_t>(item.run.train.lrSchedule.warmupEpochs), rank % 3);
  }
  const std::string ranges = std::string(kMinimalCampaign) +
                             "[search]\nmethod = \"random\"\nbudget = 4\n[search.space]\n"
                             "\"train.lr_schedule.gamma\" = { min = 0.5, max = 0.99 }\n"
                             "\"train.lr_schedule.patience\" = { min = 2, max = 8 }\n";
  EXPECT_NO_THROW(parseCampaign(ranges, "nb.toml"));
}

TEST(LrScheduleOptions, ImpossibleSchedulesAreRefusedNamingTheKey) {
  const std::string m(kMinimalCampaign);
  std::string e = configError([&] { parse(m + "[train]\nepochs = 5\nlr_schedule.warmup_epochs = 5\n"); });
  EXPECT_HAS(e, "train.lr_schedule.warmup_epochs = 5 must be < train.epochs = 5");
  e = configError([&] {
    parse(m + "[data.split]\ntrain = 0.8\nval = 0.0\ntest = 0.2\n[train]\nearly_stopping.enabled = false\n"
              "lr_schedule.kind = \"plateau\"\n");
  });
  EXPECT_HAS(e, "train.lr_schedule.kind = \"plateau\" watches the validation rows but data.split.val = 0");
  e = configError([&] { parse(m + "[train]\nlearning_rate = 0.001\nlr_schedule = { kind = \"cosine\", min_lr = 0.01 }\n"); });
  EXPECT_HAS(e, "train.lr_schedule.min_lr = 0.01 must be below train.learning_rate = 0.001");
  e = configError([&] { parse(m + "[train.lr_schedule]\nkind = \"cosin\"\n"); });
  EXPECT_HAS(e, "cosine");
  e = configError([&] { parse(m + "[train.lr_schedule]\nfactor = 1.0\n"); });
  EXPECT_HAS(e, "train.lr_schedule.factor");
  e = configError([&] { parse(m + "[train.lr_schedule]\nstep_size = 0\n"); });
  EXPECT_HAS(e, "train.lr_schedule.step_size");
}

}  // namespace
}  // namespace hepsweep::campaign
