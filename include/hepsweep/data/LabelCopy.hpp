#pragma once
// Features that reproduce the label: one value for every signal event and another for every
// background event (a "class" or "sample" column left among the features). A classifier given
// such a column is perfect on paper and useless. One check, fed row by row, so that every command
// that sees the events can run it as they pass: `convert` while it writes them, `train` on its
// training events, `inspect` on the whole file.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace hepsweep::data {

struct LabelCopy {
  std::size_t feature = 0;                  // column index
  float signalValue = 0, backgroundValue = 0;
};

class LabelCopyFinder {
 public:
  explicit LabelCopyFinder(std::size_t features);
  // One event: its feature values (size = features) and label (1 signal, else background).
  // Values are compared as they are: the missing-value marker is a value like any other (a
  // column that is the marker for one class and a constant for the other is a leak too); NaN
  // never equals anything, so a column holding NaN is not a copy.
  void add(std::span<const float> row, float label);
  // The columns constant within each class, with different constants, when both classes were seen.
  std::vector<LabelCopy> copies() const;

 private:
  struct State {
    float signal = 0, background = 0;
    bool signalConstant = true, backgroundConstant = true;
  };
  std::vector<State> state_;
  bool seenSignal_ = false, seenBackground_ = false;
};

// "NAME is a copy of the label (X for every signal, Y for every background event): a leaked
// label" — the callers add what to do about it in their own terms.
std::string labelCopyMessage(const std::string& name, const LabelCopy& c);

}  // namespace hepsweep::data
