#include "OptionTable.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "hepsweep/core/Strings.hpp"
#include "hepsweep/search/Space.hpp"

namespace hepsweep::campaign::detail {

std::string Origin::at(const toml::source_region& r) const {
  if (isOverride || r.begin.line == 0) return name;
  return name + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

namespace {

std::string shortest(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string numberText(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return shortest(v);
}

bool isBareKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// A word the shell user plainly meant as text: elu, ship.h5, runs/x, mean+indicator.
bool isBareWord(std::string_view s) {
  if (s.empty()) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '=' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == ',' || c == '#' || static_cast<unsigned char>(c) < 0x20;
  });
}

std::string leafOf(std::string_view key) {
  const auto dot = key.rfind('.');
  return std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
}

std::string nodeText(const toml::node& n) {
  std::ostringstream os;
  n.visit([&](const auto& x) { os << x; });
  return os.str();
}

}  // namespace

bool Bounds::contains(double v) const {
  if (lo && (loOpen ? !(v > *lo) : !(v >= *lo))) return false;
  if (hi && (hiOpen ? !(v < *hi) : !(v <= *hi))) return false;
  return true;
}

std::string Bounds::describe() const {
  if (lo && hi)
    return std::string(loOpen ? "(" : "[") + numberText(*lo) + ", " + numberText(*hi) + (hiOpen ? ")" : "]");
  if (lo) return std::string(loOpen ? "> " : ">= ") + numberText(*lo);
  if (hi) return std::string(hiOpen ? "< " : "<= ") + numberText(*hi);
  return "";
}

std::string Bounds::requirement() const {
  const std::string d = describe();
  return !d.empty() && (d.front() == '[' || d.front() == '(') ? "in " + d : d;
}

std::string formatDouble(double v) {
  std::string s = shortest(v);
  if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
  return s;
}

std::string formatFloat(float v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
  return s;
}

std::string formatString(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string describeNode(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "string " + str::quoted(*n.value<std::string_view>());
    case toml::node_type::integer: return "integer " + std::to_string(*n.value<std::int64_t>());
    case toml::node_type::floating_point: return "float " + formatDouble(*n.value<double>());
    case toml::node_type::boolean: return std::string("boolean ") + (*n.value<bool>() ? "true" : "false");
    case toml::node_type::array: return "list " + str::quoted(nodeText(n));
    case toml::node_type::table: return "table " + str::quoted(nodeText(n));
    case toml::node_type::date: return "date " + nodeText(n);
    case toml::node_type::time: return "time " + nodeText(n);
    case toml::node_type::date_time: return "date-time " + nodeText(n);
    case toml::node_type::none: break;
  }
  return "nothing";
}

namespace {

bool isBareKey(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), isBareKeyChar);
}

}  // namespace

std::string tomlText(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return formatString(*n.value<std::string_view>());
    case toml::node_type::integer: return std::to_string(*n.value<std::int64_t>());
    // As the search module writes the values of ranges ("0.0001" rather than "1e-04").
    case toml::node_type::floating_point: return search::formatReal(*n.value<double>());
    case toml::node_type::boolean: return *n.value<bool>() ? "true" : "false";
    case toml::node_type::array: {
      std::string out = "[";
      const toml::array& a = *n.as_array();
      for (std::size_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + tomlText(a[i]);
      return out + "]";
    }
    case toml::node_type::table: {
      const auto children = inFileOrder(*n.as_table());
      if (children.empty()) return "{}";
      std::string out = "{ ";
      for (std::size_t i = 0; i < children.size(); ++i) {
        const std::string_view k = children[i].first->str();
        out += (i ? ", " : "") + (isBareKey(k) ? std::string(k) : formatString(k)) + " = " +
               tomlText(*children[i].second);
      }
      return out + " }";
    }
    default: return nodeText(n);
  }
}

void throwType(std::string_view key, std::string_view expected, const toml::node& n, const Origin& o) {
  throwConfig(std::string(key) + " must be " + std::string(expected) + ", got " + describeNode(n) + " (" +
              o.at(n) + ")");
}

bool readBool(const toml::node& n, std::string_view key, const Origin& o) {
  if (!n.is_boolean()) throwType(key, "true or false", n, o);
  return *n.value<bool>();
}

std::int64_t readInt(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b,
                     std::int64_t typeMin, std::int64_t typeMax) {
  if (!n.is_integer()) throwType(key, "an integer", n, o);
  const std::int64_t v = *n.value<std::int64_t>();
  if (!b.contains(static_cast<double>(v)))
    throwConfig(std::string(key) + " must be " + b.requirement() + ", got " + std::to_string(v) + " (" + o.at(n) + ")");
  if (v < typeMin || v > typeMax)
    throwConfig(std::string(key) + " = " + std::to_string(v) + " is out of range [" + std::to_string(typeMin) +
                ", " + std::to_string(typeMax) + "] (" + o.at(n) + ")");
  return v;
}

double readDouble(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b) {
  if (!n.is_number()) throwType(key, "a number", n, o);
  const double v = *n.value<double>();
  if (!std::isfinite(v)) throwType(key, "a finite number", n, o);
  if (!b.contains(v))
    throwConfig(std::string(key) + " must be " + b.requirement() + ", got " + shortest(v) + " (" + o.at(n) + ")");
  return v;
}

float readFloat(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b) {
  const double d = readDouble(n, key, o, Bounds{});
  const float f = static_cast<float>(d);
  if (!std::isfinite(f))
    throwConfig(std::string(key) + " = " + shortest(d) + " does not fit in single precision (" + o.at(n) + ")");
  // Checked after rounding so that e.g. 1e-50 for a "> 0" key is rejected rather than stored as 0.
  if (!b.contains(static_cast<double>(f)))
    throwConfig(std::string(key) + " must be " + b.requirement() + ", got " + shortest(d) +
                (static_cast<double>(f) != d ? " (" + formatFloat(f) + " in single precision)" : std::string()) +
                " (" + o.at(n) + ")");
  return f;
}

std::string readString(const toml::node& n, std::string_view key, const Origin& o) {
  if (!n.is_string()) throwType(key, "a string", n, o);
  return std::string(*n.value<std::string_view>());
}

std::string quotedChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + formatString(choices[i]);
  return out;
}

std::string readChoice(const toml::node& n, std::string_view key, const Origin& o,
                       const std::vector<std::string>& choices) {
  if (!n.is_string()) throwType(key, "one of " + quotedChoices(choices), n, o);
  const std::string v = readString(n, key, o);
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  throwConfig(std::string(key) + " must be one of " + quotedChoices(choices) + "; got " + str::quoted(v) + " (" +
              o.at(n) + ")" + str::didYouMean(v, choices));
}

const toml::array& readArray(const toml::node& n, std::string_view key, const Origin& o,
                             std::string_view elementType) {
  if (!n.is_array()) throwType(key, "a list of " + std::string(elementType), n, o);
  return *n.as_array();
}

std::string elementKey(std::string_view key, std::size_t i) { return std::string(key) + "[" + std::to_string(i) + "]"; }

std::vector<std::string> readNameList(const toml::node& n, std::string_view key, const Origin& o) {
  const toml::array& a = readArray(n, key, o, "strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string s = readString(a[i], elementKey(key, i), o);
    if (s.empty()) throwConfig(elementKey(key, i) + " is an empty string (" + o.at(a[i]) + ")");
    if (std::find(out.begin(), out.end(), s) != out.end())
      throwConfig(std::string(key) + " lists " + str::quoted(s) + " twice (" + o.at(a[i]) + ")");
    out.push_back(std::move(s));
  }
  return out;
}

void throwUnknownKey(std::string_view key, const std::string& where, const std::vector<std::string>& known) {
  std::vector<std::string> candidates = known;
  for (const auto& k : known)
    for (auto dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1))
      if (std::find(candidates.begin(), candidates.end(), k.substr(0, dot)) == candidates.end())
        candidates.push_back(k.substr(0, dot));
  const std::string hint = str::didYouMean(key, candidates);
  throwConfig("unknown key " + str::quoted(key) + " (" + where + ")" +
              (hint.empty() ? "; the valid keys are listed in docs/campaign.md" : hint));
}

void throwNotATable(std::string_view path, const toml::node& n, const Origin& o,
                    const std::vector<std::string>& children) {
  throwConfig(std::string(path) + " must be a table with keys " + str::join(children, ", ") + " (e.g. [" +
              std::string(path) + "] or " + leafOf(path) + " = { " + children.front() + " = ... }), got " +
              describeNode(n) + " (" + o.at(n) + ")");
}

std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (const auto& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& ra = a.first->source().begin;
    const auto& rb = b.first->source().begin;
    return ra.line != rb.line ? ra.line < rb.line : ra.column < rb.column;
  });
  return out;
}

toml::table parseDocument(std::string_view text, std::string_view sourceName) {
  try {
    return toml::parse(text, sourceName);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throwConfig(std::string(sourceName) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                ": TOML syntax error: " + std::string(e.description()));
  }
}

Assignment parseAssignment(std::string_view text, const std::function<bool(std::string_view)>& bareWordIsString) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos)
    throwConfig("bad --set " + str::quoted(text) + ": expected key=value, e.g. --set train.epochs=30");
  Assignment a;
  a.key = std::string(str::trim(text.substr(0, eq)));
  const std::string_view value = str::trim(text.substr(eq + 1));
  bool keyOk = !a.key.empty() && a.key.front() != '.' && a.key.back() != '.' && a.key.find("..") == std::string::npos;
  for (const char c : a.key) keyOk = keyOk && (isBareKeyChar(c) || c == '.');
  if (!keyOk)
    throwConfig("bad --set " + str::quoted(text) + ": " + str::quoted(a.key) +
                " is not a dotted key such as train.learning_rate");
  if (value.empty())
    throwConfig("bad --set " + str::quoted(text) + ": no value after '=' (strings may be written bare: " + a.key +
                "=word, or quoted: " + a.key + "=\"two words\")");

  if (bareWordIsString(a.key) && value.front() != '"' && value.front() != '\'') {
    a.holder.insert("v", std::string(value));
    return a;
  }
  std::string why;
  try {
    const std::string doc = "v = " + std::string(value);
    toml::table t = toml::parse(std::string_view(doc), std::string_view("--set"));
    if (t.size() == 1 && t.contains("v")) {
      a.holder = std::move(t);
      return a;
    }
    why = "the value is more than one TOML value";
  } catch (const toml::parse_error& e) {
    why = std::string(e.description());
  }
  if (isBareWord(value)) {
    a.holder.insert("v", std::string(value));
    return a;
  }
  // [pt, eta]: a list of bare words, as physicists type feature lists on a shell.
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
    toml::array arr;
    bool allBare = true;
    for (const auto& item : str::split(value.substr(1, value.size() - 2), ',')) {
      allBare = allBare && isBareWord(item);
      arr.push_back(item);
    }
    if (allBare) {
      a.holder.insert("v", std::move(arr));
      return a;
    }
  }
  throwConfig("bad --set " + str::quoted(text) + ": the value is not valid TOML (" + why +
              "); write it as in the campaign file: lists in [ ], tables in { }, text with spaces in quotes");
}

namespace {

std::string sectionOf(const std::string& key) {
  const auto dot = key.find('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

std::string cell(const std::string& s, bool code) {
  if (s.empty()) return "";
  std::string out;
  for (const char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return code ? "`" + out + "`" : out;
}

}  // namespace

std::string markdownTables(const std::vector<OptionInfo>& options) {
  std::vector<std::string> sections;
  for (const auto& o : options)
    if (std::find(sections.begin(), sections.end(), sectionOf(o.key)) == sections.end())
      sections.push_back(sectionOf(o.key));
  std::string out;
  for (const auto& sec : sections) {
    out += sec.empty() ? "### Top level\n\n" : "### `[" + sec + "]`\n\n";
    out += "| Key | Type | Default | Allowed | Description |\n|---|---|---|---|---|\n";
    for (const auto& o : options) {
      if (sectionOf(o.key) != sec) continue;
      out += "| " + cell(o.key, true) + " | " + cell(o.type, false) + " | " + cell(o.defaultValue, true) + " | " +
             cell(o.allowed, !o.allowed.empty() && o.allowed.front() == '"') + " | " + cell(o.description, false) + " |\n";
    }
    out += "\n";
  }
  return out;
}

std::string helpText(const std::vector<OptionInfo>& options) {
  std::string out;
  std::string lastSection = "\x01";
  for (const auto& o : options) {
    const std::string sec = sectionOf(o.key);
    if (sec != lastSection) {
      out += sec.empty() ? "Top level:\n" : "\n[" + sec + "]\n";
      lastSection = sec;
    }
    out += "  " + o.key + " = " + (o.defaultValue.empty() ? "(no default)" : o.defaultValue) + "    (" + o.type + (o.allowed.empty() ? "" : "; " + o.allowed) +
           ")\n      " + o.description + "\n";
  }
  return out;
}

}  // namespace hepsweep::campaign::detail
