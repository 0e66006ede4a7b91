#include "hepsweep/rundir/Overrides.hpp"

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::rundir {

std::string joinOverrides(const Overrides& o) {
  std::string s;
  for (const auto& [k, v] : o) {
    if (!s.empty()) s += ' ';
    s += k;
    s += '=';
    s += v;
  }
  return s;
}

Overrides parseJoinedOverrides(const std::string& joined) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  char quote = 0;
  bool escaped = false;
  for (char c : joined) {
    if (quote) {
      current += c;
      if (escaped) escaped = false;
      else if (c == '\\' && quote == '"') escaped = true;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') --depth;
    if (c == ' ' && depth <= 0) {
      if (!current.empty()) parts.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!current.empty()) parts.push_back(std::move(current));
  Overrides out;
  for (const auto& p : parts) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throwInput("parameter " + str::quoted(p) + " in " + str::quoted(joined) + " is not of the form key=value");
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> toAssignments(const Overrides& o) {
  std::vector<std::string> out;
  out.reserve(o.size());
  for (const auto& [k, v] : o) out.push_back(k + "=" + v);
  return out;
}

Overrides fromAssignments(const std::vector<std::string>& assignments) {
  Overrides out;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) throwInput("override " + str::quoted(a) + " is not of the form key=value");
    out.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  return out;
}

std::string describeParameters(const Overrides& o) {
  return o.empty() ? std::string("(base configuration)") : joinOverrides(o);
}

void writeOverrides(const io::h5::Group& g, const Overrides& o) {
  std::vector<std::string> keys, values;
  for (const auto& [k, v] : o) {
    keys.push_back(k);
    values.push_back(v);
  }
  g.writeStrings("override_keys", keys);
  g.writeStrings("override_values", values);
}

bool hasStructuredOverrides(const io::h5::Group& g) { return g.exists("override_keys") && g.exists("override_values"); }

Overrides readOverrides(const io::h5::Group& g) {
  const auto keys = g.readStrings("override_keys");
  const auto values = g.readStrings("override_values");
  if (keys.size() != values.size())
    throwInput(g.where("override_keys") + " has " + std::to_string(keys.size()) + " entries but override_values has " +
               std::to_string(values.size()));
  Overrides out;
  for (std::size_t i = 0; i < keys.size(); ++i) out.emplace_back(keys[i], values[i]);
  return out;
}

}  // namespace hepsweep::rundir
