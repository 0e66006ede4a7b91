#pragma once
// A search point's values as the run directory records them: the keys the search sets and the
// TOML text of each value, in the search space's order. Stored structured (two string datasets,
// `override_keys` and `override_values`) and, for people and older readers, joined into one
// "key=value key=value" text.
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::rundir {

using Overrides = std::vector<std::pair<std::string, std::string>>;  // (dotted key, TOML value text)

// "model.dropout=0.25 model.widths=[64, 64]"; "" for none.
std::string joinOverrides(const Overrides& o);
// The joined text back into pairs. A space inside a TOML value ("[25, 20]", "\"a b\"",
// "{ signal = 2.0 }") does not split it. Error(Input) when a part has no '='.
Overrides parseJoinedOverrides(const std::string& joined);

// "key=toml" assignments (what --set and the campaign's items take) and back. Error(Input) when an
// assignment has no '=' or no key.
std::vector<std::string> toAssignments(const Overrides& o);
Overrides fromAssignments(const std::vector<std::string>& assignments);

// "model.dropout=0.25 train.learning_rate=0.001", or "(base configuration)" when empty.
std::string describeParameters(const Overrides& o);

// `g`/override_keys and `g`/override_values (written even when empty, so a reader can tell "no
// overrides" from "an older file"); readOverrides returns nullopt-like empty + false when absent.
void writeOverrides(const io::h5::Group& g, const Overrides& o);
bool hasStructuredOverrides(const io::h5::Group& g);
Overrides readOverrides(const io::h5::Group& g);  // Error(Input) when the two lists differ in length

}  // namespace hepsweep::rundir
