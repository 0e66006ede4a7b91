#include "hepsweep/data/LabelCopy.hpp"

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::data {

LabelCopyFinder::LabelCopyFinder(std::size_t features) : state_(features) {}

void LabelCopyFinder::add(std::span<const float> row, float label) {
  if (row.size() != state_.size())
    throw Error(ErrorCategory::Internal, "LabelCopyFinder: a row of " + std::to_string(row.size()) + " values for " +
                                             std::to_string(state_.size()) + " features");
  const bool signal = label == 1.0f;
  bool& seen = signal ? seenSignal_ : seenBackground_;
  for (std::size_t j = 0; j < row.size(); ++j) {
    State& s = state_[j];
    float& first = signal ? s.signal : s.background;
    bool& constant = signal ? s.signalConstant : s.backgroundConstant;
    if (!seen) {
      first = row[j];
      constant = row[j] == row[j];  // NaN: never constant
    } else if (constant && row[j] != first) {
      constant = false;
    }
  }
  seen = true;
}

std::vector<LabelCopy> LabelCopyFinder::copies() const {
  std::vector<LabelCopy> out;
  if (!seenSignal_ || !seenBackground_) return out;
  for (std::size_t j = 0; j < state_.size(); ++j) {
    const State& s = state_[j];
    if (s.signalConstant && s.backgroundConstant && s.signal != s.background)
      out.push_back({j, s.signal, s.background});
  }
  return out;
}

std::string labelCopyMessage(const std::string& name, const LabelCopy& c) {
  return name + " is a copy of the label (" + str::formatDouble(c.signalValue, "%.7g") + " for every signal, " +
         str::formatDouble(c.backgroundValue, "%.7g") + " for every background event): a leaked label";
}

}  // namespace hepsweep::data
