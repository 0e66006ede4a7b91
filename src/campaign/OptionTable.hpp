#pragma once
// The engine behind the campaign file: a table of OptionSpec<Cfg>, one per dotted key, each
// binding a TOML value to one field of a config struct Cfg. Reading a document, --set
// overrides, the resolved dump and the reference docs all walk the same table, so a key cannot
// be parsed without being documented, nor dumped in a form the parser rejects.
// Templated on Cfg so that campaign-level sections ([cv], [search], ...) can get a table of their
// own struct. Private to src/campaign: toml++ types must not reach public headers.
#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::campaign::detail {

// Where values come from: the campaign file (positions are file:line:column) or one --set
// argument (quoted whole, positions inside it would not help).
struct Origin {
  std::string name;          // file name, or the --set argument
  bool isOverride = false;
  std::string at(const toml::source_region& r) const;  // "ship.toml:12:5" / "--set train.epochs=x"
  std::string at(const toml::node& n) const { return at(n.source()); }
};

// A numeric interval; renders itself for the docs (">= 1", "(0, 1]").
struct Bounds {
  std::optional<double> lo, hi;
  bool loOpen = false, hiOpen = false;
  bool contains(double v) const;
  std::string describe() const;     // ">= 1", "[0, 1)"
  std::string requirement() const;  // ">= 1", "in [0, 1)": follows "must be"
};
inline Bounds any() { return {}; }
inline Bounds atLeast(double v) { return {v, std::nullopt, false, false}; }
inline Bounds above(double v) { return {v, std::nullopt, true, false}; }
inline Bounds closed(double a, double b) { return {a, b, false, false}; }
inline Bounds closedOpen(double a, double b) { return {a, b, false, true}; }
inline Bounds openClosed(double a, double b) { return {a, b, true, false}; }

// ---- value text -------------------------------------------------------------------------
std::string formatDouble(double v);  // shortest round-trip form, always a TOML float
std::string formatFloat(float v);
std::string formatString(std::string_view s);  // TOML basic string with escapes
std::string describeNode(const toml::node& n);  // "string 'ten'", "float 0.5", "array [1, 2]"
// Canonical TOML text of any value: the forms above for scalars (floats as search::formatReal), "[a, b]" for arrays and
// "{ k = v, ... }" (keys in file order) for tables. Reading it back and formatting again gives
// the same text, which the campaign dump relies on for values it stores as text.
std::string tomlText(const toml::node& n);

// ---- typed readers: throw Error(Config) naming key, origin and the offending value ----------
[[noreturn]] void throwType(std::string_view key, std::string_view expected, const toml::node& n,
                            const Origin& o);
bool readBool(const toml::node& n, std::string_view key, const Origin& o);
std::int64_t readInt(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b,
                     std::int64_t typeMin, std::int64_t typeMax);
double readDouble(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b);
float readFloat(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b);
std::string readString(const toml::node& n, std::string_view key, const Origin& o);
std::string readChoice(const toml::node& n, std::string_view key, const Origin& o,
                       const std::vector<std::string>& choices);
const toml::array& readArray(const toml::node& n, std::string_view key, const Origin& o,
                             std::string_view elementType);
std::string quotedChoices(const std::vector<std::string>& choices);  // "\"a\", \"b\""

enum class Numeric { No, Integer, Real };

template <class Cfg>
struct OptionSpec {
  std::string key;      // dotted
  std::string type;     // for docs
  std::string allowed;  // for docs; "" when any value of the type is fine
  std::string doc;
  bool bareWordIsString = false;  // --set key=word takes word verbatim even if it looks numeric
  std::function<void(Cfg&, const toml::node&, const Origin&)> assign;
  std::function<std::string(const Cfg&)> format;  // the value as TOML text
  // Optional keys (no default): when set and false, the key is left out of the dump.
  std::function<bool(const Cfg&)> present;
  // The value is a table dumped as its own [key] section: `format` returns its "k = v\n" lines.
  bool asTable = false;
  // What a range { min, max } in [search.space] may give the key: `type` is for people only.
  Numeric numeric = Numeric::No;
};

// The same option on a struct that holds Inner (e.g. the RunConfig inside a CampaignConfig).
template <class Outer, class Inner, class Ref>
OptionSpec<Outer> liftOption(const OptionSpec<Inner>& s, Ref ref) {
  OptionSpec<Outer> out{s.key, s.type, s.allowed, s.doc, s.bareWordIsString, {}, {}, {}, s.asTable, s.numeric};
  out.assign = [f = s.assign, ref](Outer& c, const toml::node& n, const Origin& o) { f(ref(c), n, o); };
  out.format = [f = s.format, ref](const Outer& c) { return f(ref(c)); };
  if (s.present) out.present = [f = s.present, ref](const Outer& c) { return f(ref(c)); };
  return out;
}

// Runs after each source (the file, then each --set) with the keys that source assigned; used
// for keys that are alternatives to each other.
template <class Cfg>
using AfterSource = std::function<void(Cfg&, const std::set<std::string>&, const Origin&)>;

template <class Cfg>
struct OptionTable {
  std::vector<OptionSpec<Cfg>> options;
  std::vector<AfterSource<Cfg>> afterSource;
  // Constraints between keys; the string names the sources ("in ship.toml with --set ...").
  std::function<void(const Cfg&, const std::string&)> validate;

  const OptionSpec<Cfg>* find(std::string_view key) const {
    for (const auto& o : options)
      if (o.key == key) return &o;
    return nullptr;
  }
  // True when `path` is a table holding keys (e.g. "train", "train.early_stopping").
  bool isSection(std::string_view path) const {
    if (path.empty()) return true;
    for (const auto& o : options)
      if (o.key.size() > path.size() && o.key.compare(0, path.size(), path) == 0 &&
          o.key[path.size()] == '.')
        return true;
    return false;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& o : options) k.push_back(o.key);
    return k;
  }
};

// ---- declaration helpers: `ref` is a generic lambda returning the bound field by reference -----
// e.g. REF(train.batchSize) := [](auto& c) -> auto& { return c.train.batchSize; }

template <class Cfg, class Ref>
using FieldOf = std::remove_cvref_t<decltype(std::declval<Ref>()(std::declval<Cfg&>()))>;

template <class Cfg, class Ref>
OptionSpec<Cfg> boolOption(std::string key, Ref ref, std::string doc) {
  OptionSpec<Cfg> s{key, "boolean", "", std::move(doc), false, {}, {}, {}, false};
  s.assign = [ref, key](Cfg& c, const toml::node& n, const Origin& o) { ref(c) = readBool(n, key, o); };
  s.format = [ref](const Cfg& c) { return std::string(ref(c) ? "true" : "false"); };
  return s;
}

template <class Cfg, class Ref>
OptionSpec<Cfg> intOption(std::string key, Ref ref, Bounds b, std::string doc) {
  using T = FieldOf<Cfg, Ref>;
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  constexpr std::int64_t tmin = std::is_signed_v<T> ? std::int64_t(std::numeric_limits<T>::min()) : 0;
  constexpr std::int64_t tmax = std::numeric_limits<T>::max() > std::uint64_t(std::numeric_limits<std::int64_t>::max())
                                    ? std::numeric_limits<std::int64_t>::max()
                                    : std::int64_t(std::numeric_limits<T>::max());
  OptionSpec<Cfg> s{key, "integer", b.describe(), std::move(doc), false, {}, {}, {}, false, Numeric::Integer};
  s.assign = [ref, key, b](Cfg& c, const toml::node& n, const Origin& o) {
    ref(c) = static_cast<T>(readInt(n, key, o, b, tmin, tmax));
  };
  s.format = [ref](const Cfg& c) { return std::to_string(ref(c)); };
  return s;
}

template <class T>
std::string formatReal(T v) {
  if constexpr (std::is_same_v<T, float>) return formatFloat(v);
  else return formatDouble(v);
}
template <class T>
T readReal(const toml::node& n, std::string_view key, const Origin& o, const Bounds& b) {
  if constexpr (std::is_same_v<T, float>) return readFloat(n, key, o, b);
  else return readDouble(n, key, o, b);
}

template <class Cfg, class Ref>
OptionSpec<Cfg> floatOption(std::string key, Ref ref, Bounds b, std::string doc) {
  using T = FieldOf<Cfg, Ref>;
  static_assert(std::is_floating_point_v<T>);
  OptionSpec<Cfg> s{key, "float", b.describe(), std::move(doc), false, {}, {}, {}, false, Numeric::Real};
  s.assign = [ref, key, b](Cfg& c, const toml::node& n, const Origin& o) { ref(c) = readReal<T>(n, key, o, b); };
  s.format = [ref](const Cfg& c) { return formatReal(ref(c)); };
  return s;
}

template <class Cfg, class Ref>
OptionSpec<Cfg> stringOption(std::string key, Ref ref, std::string doc) {
  OptionSpec<Cfg> s{key, "string", "", std::move(doc), true, {}, {}, {}, false};
  s.assign = [ref, key](Cfg& c, const toml::node& n, const Origin& o) { ref(c) = readString(n, key, o); };
  s.format = [ref](const Cfg& c) { return formatString(ref(c)); };
  return s;
}

// Names come from the owning module's toString(E), so they cannot drift from what it prints.
template <class Cfg, class Ref, class E>
OptionSpec<Cfg> enumOption(std::string key, Ref ref, std::vector<E> values, std::string doc) {
  std::vector<std::string> names;
  for (E v : values) names.emplace_back(toString(v));
  OptionSpec<Cfg> s{key, "string", quotedChoices(names), std::move(doc), true, {}, {}, {}, false};
  s.assign = [ref, key, values, names](Cfg& c, const toml::node& n, const Origin& o) {
    const std::string name = readChoice(n, key, o, names);
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) ref(c) = values[i];
  };
  s.format = [ref](const Cfg& c) { return formatString(toString(ref(c))); };
  return s;
}

template <class T>
std::string formatList(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    if constexpr (std::is_same_v<T, std::string>) out += formatString(v[i]);
    else if constexpr (std::is_floating_point_v<T>) out += formatReal(v[i]);
    else out += std::to_string(v[i]);
  }
  return out + "]";
}

std::string elementKey(std::string_view key, std::size_t i);  // "model.widths[1]"

template <class Cfg, class Ref>
OptionSpec<Cfg> intListOption(std::string key, Ref ref, Bounds elem, std::string doc) {
  using T = typename FieldOf<Cfg, Ref>::value_type;
  const std::string allowed = elem.describe().empty() ? "" : "each " + elem.describe();
  OptionSpec<Cfg> s{key, "list of integers", allowed, std::move(doc), false, {}, {}, {}, false};
  s.assign = [ref, key, elem](Cfg& c, const toml::node& n, const Origin& o) {
    std::vector<T> out;
    const toml::array& a = readArray(n, key, o, "integers");
    for (std::size_t i = 0; i < a.size(); ++i)
      out.push_back(static_cast<T>(readInt(a[i], elementKey(key, i), o, elem,
                                           std::numeric_limits<T>::min(), std::numeric_limits<T>::max())));
    ref(c) = std::move(out);
  };
  s.format = [ref](const Cfg& c) { return formatList(ref(c)); };
  return s;
}

template <class Cfg, class Ref>
OptionSpec<Cfg> floatListOption(std::string key, Ref ref, Bounds elem, std::string doc) {
  using T = typename FieldOf<Cfg, Ref>::value_type;
  const std::string allowed = elem.describe().empty() ? "" : "each " + elem.describe();
  OptionSpec<Cfg> s{key, "list of floats", allowed, std::move(doc), false, {}, {}, {}, false};
  s.assign = [ref, key, elem](Cfg& c, const toml::node& n, const Origin& o) {
    std::vector<T> out;
    const toml::array& a = readArray(n, key, o, "floats");
    for (std::size_t i = 0; i < a.size(); ++i) out.push_back(readReal<T>(a[i], elementKey(key, i), o, elem));
    ref(c) = std::move(out);
  };
  s.format = [ref](const Cfg& c) { return formatList(ref(c)); };
  return s;
}

// Elements must be non-empty and distinct (they name things, e.g. features).
std::vector<std::string> readNameList(const toml::node& n, std::string_view key, const Origin& o);

template <class Cfg, class Ref>
OptionSpec<Cfg> nameListOption(std::string key, Ref ref, std::string doc) {
  OptionSpec<Cfg> s{key, "list of strings", "distinct, non-empty", std::move(doc), false, {}, {}, {}, false};
  s.assign = [ref, key](Cfg& c, const toml::node& n, const Origin& o) { ref(c) = readNameList(n, key, o); };
  s.format = [ref](const Cfg& c) { return formatList(ref(c)); };
  return s;
}

// A number applying to every element, or a non-empty list; a one-element list is dumped as the number.
template <class Cfg, class Ref>
OptionSpec<Cfg> floatOrListOption(std::string key, Ref ref, Bounds elem, std::string doc) {
  using T = typename FieldOf<Cfg, Ref>::value_type;
  OptionSpec<Cfg> s{key, "float or list of floats", elem.describe().empty() ? "" : "each " + elem.describe(),
                    std::move(doc), false, {}, {}, {}, false, Numeric::Real};
  s.assign = [ref, key, elem](Cfg& c, const toml::node& n, const Origin& o) {
    std::vector<T> out;
    if (n.is_array()) {
      const toml::array& a = *n.as_array();
      if (a.empty()) throwType(key, "a number or a non-empty list of numbers", n, o);
      for (std::size_t i = 0; i < a.size(); ++i) out.push_back(readReal<T>(a[i], elementKey(key, i), o, elem));
    } else if (n.is_number()) {
      out.push_back(readReal<T>(n, key, o, elem));
    } else {
      throwType(key, "a number or a list of numbers", n, o);
    }
    ref(c) = std::move(out);
  };
  s.format = [ref](const Cfg& c) {
    const auto& v = ref(c);
    return v.size() == 1 ? formatReal(v[0]) : formatList(v);
  };
  return s;
}

// ---- the engine ---------------------------------------------------------------------------

[[noreturn]] void throwUnknownKey(std::string_view key, const std::string& where,
                                  const std::vector<std::string>& known);
[[noreturn]] void throwNotATable(std::string_view path, const toml::node& n, const Origin& o,
                                 const std::vector<std::string>& children);
// Children of a table in the order they were written (toml++ keeps them sorted by name), so
// that the first error reported is the first one in the file.
std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& t);

template <class Cfg>
void applyNode(const OptionTable<Cfg>& table, Cfg& cfg, const std::string& path, const toml::node& node,
               const std::string& where, const Origin& origin, std::set<std::string>& assigned) {
  if (const OptionSpec<Cfg>* spec = table.find(path)) {
    spec->assign(cfg, node, origin);
    assigned.insert(path);
    return;
  }
  if (!table.isSection(path)) throwUnknownKey(path, where, table.keys());
  if (!node.is_table()) {
    std::vector<std::string> children;
    for (const auto& o : table.options)
      if (o.key.size() > path.size() && o.key.compare(0, path.size(), path) == 0 && o.key[path.size()] == '.')
        children.push_back(o.key.substr(path.size() + 1));
    throwNotATable(path, node, origin, children);
  }
  for (const auto& [k, child] : inFileOrder(*node.as_table())) {
    const std::string childPath = path.empty() ? std::string(k->str()) : path + "." + std::string(k->str());
    applyNode(table, cfg, childPath, *child, origin.at(k->source()), origin, assigned);
  }
}

template <class Cfg>
void finishSource(const OptionTable<Cfg>& table, Cfg& cfg, const std::set<std::string>& assigned,
                  const Origin& origin) {
  for (const auto& hook : table.afterSource) hook(cfg, assigned, origin);
}

// Parses a whole document; throws Error(Config) with file:line:column on syntax errors.
toml::table parseDocument(std::string_view text, std::string_view sourceName);

template <class Cfg>
void applyDocument(const OptionTable<Cfg>& table, Cfg& cfg, const toml::table& doc, std::string_view sourceName) {
  const Origin origin{std::string(sourceName), false};
  std::set<std::string> assigned;
  applyNode(table, cfg, "", doc, origin.name, origin, assigned);
  finishSource(table, cfg, assigned, origin);
}

// A parsed --set argument: the dotted key and its value.
struct Assignment {
  std::string key;
  toml::table holder;  // holds the value under "v"
  const toml::node& value() const { return *holder.get("v"); }
};
// `bareWordIsString(key)` tells whether the key takes a bare word verbatim (string options).
Assignment parseAssignment(std::string_view text, const std::function<bool(std::string_view)>& bareWordIsString);

template <class Cfg>
void applyOverride(const OptionTable<Cfg>& table, Cfg& cfg, std::string_view text) {
  const Assignment a = parseAssignment(text, [&](std::string_view key) {
    const OptionSpec<Cfg>* s = table.find(key);
    return s && s->bareWordIsString;
  });
  const Origin origin{"--set " + std::string(text), true};
  std::set<std::string> assigned;
  applyNode(table, cfg, a.key, a.value(), origin.name, origin, assigned);
  finishSource(table, cfg, assigned, origin);
}

// Sections in order of first declaration, top-level keys first; keys in declaration order.
template <class Cfg>
std::string dumpToml(const OptionTable<Cfg>& table, const Cfg& cfg, std::string_view headerComment) {
  std::vector<std::string> sections{""};
  for (const auto& o : table.options) {
    const auto dot = o.key.rfind('.');
    const std::string sec = dot == std::string::npos ? "" : o.key.substr(0, dot);
    bool seen = false;
    for (const auto& s : sections) seen = seen || s == sec;
    if (!seen) sections.push_back(sec);
  }
  std::string out(headerComment);
  for (const auto& sec : sections) {
    std::string body, subTables;
    for (const auto& o : table.options) {
      const auto dot = o.key.rfind('.');
      const std::string oSec = dot == std::string::npos ? "" : o.key.substr(0, dot);
      if (oSec != sec || (o.present && !o.present(cfg))) continue;
      // After the section's own keys: TOML puts every key below a [header] into that table.
      if (o.asTable) subTables += "\n[" + o.key + "]\n" + o.format(cfg);
      else body += (dot == std::string::npos ? o.key : o.key.substr(dot + 1)) + " = " + o.format(cfg) + "\n";
    }
    if (body.empty() && subTables.empty()) continue;
    if (!sec.empty()) out += "\n[" + sec + "]\n";
    out += body + subTables;
  }
  return out;
}

template <class Cfg>
std::vector<OptionInfo> describeOptions(const OptionTable<Cfg>& table) {
  const Cfg defaults{};
  std::vector<OptionInfo> out;
  for (const auto& o : table.options) {
    std::string def = o.present && !o.present(defaults) ? std::string() : o.format(defaults);
    if (o.asTable && def.empty()) def = "{}";
    out.push_back({o.key, o.type, def, o.allowed, o.doc});
  }
  return out;
}

std::string markdownTables(const std::vector<OptionInfo>& options);
std::string helpText(const std::vector<OptionInfo>& options);

}  // namespace hepsweep::campaign::detail
