#pragma once
// A strict reader of HTCondor submit descriptions and DAG files, written from the manual
// (condor_submit "Submit Description File Commands" and "Submit Description File Syntax", the
// DAGMan reference) and sharing no code with the emitter in src/submit. HTCondor itself is not
// installable here, so this is what stands between the generated files and a pool: it throws
// CheckError (with the line) on anything HTCondor would reject or read differently from what the
// emitter meant.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hepsweep::test::condor {

struct CheckError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
inline std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

// Commands of condor_submit(1) that generated files may use (a whitelist: a typo is an error,
// where condor_submit would silently turn it into a custom attribute or ignore it).
inline const std::set<std::string>& knownCommands() {
  static const std::set<std::string> k = {
      "universe", "executable", "arguments", "environment", "getenv", "initialdir", "input", "output", "error", "log",
      "should_transfer_files", "when_to_transfer_output", "transfer_input_files", "transfer_output_files",
      "transfer_output_remaps", "transfer_executable", "request_cpus", "request_memory", "request_disk", "request_gpus",
      "max_retries", "retry_until", "success_exit_code", "checkpoint_exit_code", "requirements", "rank",
      "accounting_group", "accounting_group_user", "notification", "notify_user", "machine_count", "priority",
      "batch_name", "job_max_vacate_time", "max_idle", "max_materialize", "stream_output", "stream_error",
      "on_exit_hold", "on_exit_remove", "periodic_hold", "periodic_release", "periodic_remove", "concurrency_limits",
      "container_image", "docker_image", "job_batch_name", "leave_in_queue", "coresize", "nice_user"};
  return k;
}

// Automatic submit-time macros (condor_submit, "Pre-defined macros").
inline const std::set<std::string>& automaticMacros() {
  static const std::set<std::string> k = {"dollar", "cluster", "clusterid", "process", "procid", "jobid", "step",
                                          "item", "itemindex", "row", "node", "retry"};
  return k;
}

struct Submit {
  std::map<std::string, std::string> commands;  // lower-case key -> value as written
  std::map<std::string, std::string> attributes; // +Attr / MY.Attr -> value
  std::vector<std::string> queueVars;
  std::vector<std::string> queueItems;  // one per job; empty list + count for plain `queue [N]`
  int queueCount = 1;
};

// Expands $(DOLLAR) to '$' and checks every other macro reference names `defined`; $$(...) is a
// match-time reference and stays. Any other '$' is an error.
inline std::string expandMacros(const std::string& value, const std::set<std::string>& defined, int line) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$') {
      out += value[i];
      continue;
    }
    if (value.compare(i, 3, "$$(") == 0) {
      const auto close = value.find(')', i);
      if (close == std::string::npos) throw CheckError("line " + std::to_string(line) + ": unterminated $$(");
      out += value.substr(i, close - i + 1);
      i = close;
      continue;
    }
    if (i + 1 >= value.size() || value[i + 1] != '(')
      throw CheckError("line " + std::to_string(line) + ": a bare '$' (write $(DOLLAR)) in " + value);
    const auto close = value.find(')', i);
    if (close == std::string::npos) throw CheckError("line " + std::to_string(line) + ": unterminated $( in " + value);
    std::string name = value.substr(i + 2, close - i - 2);
    const auto colon = name.find(':');
    if (colon != std::string::npos) name = name.substr(0, colon);
    if (name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") != std::string::npos)
      throw CheckError("line " + std::to_string(line) + ": bad macro name '" + name + "'");
    const std::string key = lower(name);
    if (!automaticMacros().count(key) && !defined.count(key))
      throw CheckError("line " + std::to_string(line) + ": undefined macro $(" + name + ")");
    out += key == "dollar" ? std::string("$") : value.substr(i, close - i + 1);
    i = close;
  }
  return out;
}

// The new syntax of `arguments` and `environment` (condor_submit, "arguments"): the value is
// in double quotes, "" is a literal ", blanks separate arguments, '...' groups, '' inside a group
// is a literal '. Backslashes are ordinary characters.
inline std::vector<std::string> splitNewSyntax(const std::string& quoted, int line) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"')
    throw CheckError("line " + std::to_string(line) + ": not the new (double-quoted) syntax: " + quoted);
  const std::string s = quoted.substr(1, quoted.size() - 2);
  std::vector<std::string> args;
  std::string cur;
  bool have = false, single = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      if (i + 1 < s.size() && s[i + 1] == '"') {
        cur += '"';
        have = true;
        ++i;
        continue;
      }
      throw CheckError("line " + std::to_string(line) + ": lone double quote inside arguments");
    }
    if (single) {
      if (c == '\'') {
        if (i + 1 < s.size() && s[i + 1] == '\'') {
          cur += '\'';
          ++i;
        } else {
          single = false;
        }
      } else {
        cur += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (have) args.push_back(cur);
      cur.clear();
      have = false;
    } else if (c == '\'') {
      single = true;
      have = true;
    } else {
      cur += c;
      have = true;
    }
  }
  if (single) throw CheckError("line " + std::to_string(line) + ": unterminated single quote in arguments");
  if (have) args.push_back(cur);
  return args;
}

inline bool hasUnit(const std::string& v) {
  return !v.empty() && std::isdigit(static_cast<unsigned char>(v.front())) &&
         std::string("KMGTkmgt").find(v.back()) != std::string::npos &&
         v.substr(0, v.size() - 1).find_first_not_of("0123456789") == std::string::npos;
}

inline Submit parseSubmit(const std::string& text, const std::set<std::string>& dagVars = {}) {
  if (text.empty() || text.back() != '\n') throw CheckError("the file must end with a newline");
  for (unsigned char c : text)
    if (c == '\r' || c == 0 || c >= 0x80) throw CheckError("CR, NUL or non-ASCII byte in a submit file");
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  Submit s;
  std::set<std::string> defined = dagVars;
  bool queued = false;
  while (std::getline(in, raw)) {
    ++n;
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (raw[0] != '#') throw CheckError("line " + std::to_string(n) + ": indented comment");
      continue;
    }
    if (queued) throw CheckError("line " + std::to_string(n) + ": statement after the queue statement");
    if (line.back() == '\\') throw CheckError("line " + std::to_string(n) + ": line continuation");
    if (lower(line.substr(0, 5)) == "queue" && (line.size() == 5 || line[5] == ' ')) {
      queued = true;
      std::istringstream q(line.substr(5));
      std::vector<std::string> words;
      for (std::string w; q >> w;) words.push_back(w);
      std::size_t w = 0;
      if (w < words.size() && std::all_of(words[w].begin(), words[w].end(), ::isdigit)) s.queueCount = std::stoi(words[w++]);
      if (w == words.size()) continue;
      // queue [N] var[,var] from|in (
      std::string vars = words[w++];
      for (std::size_t a = 0, b; a <= vars.size(); a = b + 1) {
        b = vars.find(',', a);
        if (b == std::string::npos) b = vars.size();
        const std::string v = vars.substr(a, b - a);
        if (v.empty() || !std::isalpha(static_cast<unsigned char>(v[0])) ||
            v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
          throw CheckError("line " + std::to_string(n) + ": bad queue variable '" + v + "'");
        s.queueVars.push_back(v);
        defined.insert(lower(v));
      }
      if (w >= words.size() || (lower(words[w]) != "from" && lower(words[w]) != "in"))
        throw CheckError("line " + std::to_string(n) + ": queue form not understood: " + line);
      if (w + 1 != words.size() - 1 || words.back() != "(")
        throw CheckError("line " + std::to_string(n) + ": expected a '(' list opening the item lines: " + line);
      bool closed = false;
      while (std::getline(in, raw)) {
        ++n;
        const std::string item = trim(raw);
        if (item == ")") {
          closed = true;
          break;
        }
        if (item.empty()) throw CheckError("line " + std::to_string(n) + ": empty queue item");
        if (s.queueVars.size() == 1 && item.find_first_of(", \t") != std::string::npos)
          throw CheckError("line " + std::to_string(n) + ": queue item with a separator for one variable");
        s.queueItems.push_back(item);
      }
      if (!closed) throw CheckError("queue item list without its closing ')'");
      if (s.queueItems.empty()) throw CheckError("empty queue item list");
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw CheckError("line " + std::to_string(n) + ": not 'key = value': " + line);
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    if (key.empty()) throw CheckError("line " + std::to_string(n) + ": empty key");
    if (key[0] == '+' || lower(key.substr(0, 3)) == "my.") {
      const std::string attr = key[0] == '+' ? key.substr(1) : key.substr(3);
      if (attr.empty() || s.attributes.count(attr)) throw CheckError("line " + std::to_string(n) + ": bad or repeated " + key);
      if (attr == "JobFlavour") {
        static const std::set<std::string> flavours = {"\"espresso\"", "\"microcentury\"", "\"longlunch\"", "\"workday\"",
                                                       "\"tomorrow\"", "\"testmatch\"", "\"nextweek\""};
        if (!flavours.count(value)) throw CheckError("line " + std::to_string(n) + ": +JobFlavour must be a quoted flavour: " + value);
      }
      s.attributes[attr] = value;
      continue;
    }
    const std::string k = lower(key);
    if (!knownCommands().count(k)) throw CheckError("line " + std::to_string(n) + ": unknown command '" + key + "'");
    if (s.commands.count(k)) throw CheckError("line " + std::to_string(n) + ": '" + key + "' given twice");
    if (value.empty()) throw CheckError("line " + std::to_string(n) + ": empty value for " + key);
    s.commands[k] = value;
    defined.insert(k);
  }
  if (!queued) throw CheckError("no queue statement");
  if (!s.commands.count("executable")) throw CheckError("no executable");
  // Macro references are checked once the queue variables are known.
  for (const auto& [k, v] : s.commands) {
    const std::string expanded = expandMacros(v, defined, 0);
    if (k == "arguments" || k == "environment") splitNewSyntax(v, 0);
    (void)expanded;
  }
  const auto oneOf = [&](const std::string& k, std::set<std::string> allowed) {
    if (s.commands.count(k) && !allowed.count(s.commands.at(k))) throw CheckError(k + " = " + s.commands.at(k) + " is not allowed");
  };
  oneOf("universe", {"vanilla", "local", "scheduler", "parallel", "docker", "container"});
  oneOf("should_transfer_files", {"YES", "NO", "IF_NEEDED"});
  oneOf("when_to_transfer_output", {"ON_EXIT", "ON_EXIT_OR_EVICT", "ON_SUCCESS"});
  if (s.commands.count("when_to_transfer_output") && s.commands.at("when_to_transfer_output") == "ON_SUCCESS" &&
      !s.commands.count("success_exit_code"))
    throw CheckError("ON_SUCCESS needs success_exit_code");
  if (s.commands.count("universe") && s.commands.at("universe") == "parallel" && !s.commands.count("machine_count"))
    throw CheckError("the parallel universe needs machine_count");
  for (const char* k : {"request_memory", "request_disk"})
    if (s.commands.count(k) && !hasUnit(s.commands.at(k)))
      throw CheckError(std::string(k) + " without an explicit unit: " + s.commands.at(k));
  if (s.commands.count("transfer_input_files") && (!s.commands.count("should_transfer_files") ||
                                                   s.commands.at("should_transfer_files") == "NO"))
    throw CheckError("transfer_input_files with should_transfer_files = NO");
  for (const char* k : {"request_cpus", "max_retries"})
    if (s.commands.count(k) && s.commands.at(k).find_first_not_of("0123456789") != std::string::npos)
      throw CheckError(std::string(k) + " must be a number: " + s.commands.at(k));
  return s;
}

// argv of one job of `s`: the arguments with $(DOLLAR) and the queue variables substituted.
inline std::vector<std::string> jobArguments(const Submit& s, const std::map<std::string, std::string>& vars) {
  std::string v = s.commands.at("arguments");
  for (const auto& [name, value] : vars) {
    const std::string ref = "$(" + name + ")";
    for (std::size_t at; (at = v.find(ref)) != std::string::npos;) v.replace(at, ref.size(), value);
  }
  std::string expanded;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v.compare(i, 9, "$(DOLLAR)") == 0) {
      expanded += '$';
      i += 8;
    } else {
      expanded += v[i];
    }
  }
  return splitNewSyntax(expanded, 0);
}

struct Dag {
  std::map<std::string, std::string> jobs;  // node -> submit file
  std::string finalNode, finalFile;
  std::map<std::string, int> retries;
  std::vector<std::pair<std::string, std::string>> edges;  // parent, child
};

// Reads a DAG file and every submit file it names (relative to `dir`), checking node names,
// references, one cluster per node, a single FINAL node without edges, and acyclicity.
inline Dag parseDag(const std::string& text, const std::filesystem::path& dir) {
  if (text.empty() || text.back() != '\n') throw CheckError("the DAG must end with a newline");
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  Dag d;
  const auto checkName = [&](const std::string& name) {
    if (name.empty() || name.find_first_of(".+ \t") != std::string::npos || lower(name) == "parent" || lower(name) == "child")
      throw CheckError("line " + std::to_string(n) + ": bad node name '" + name + "'");
  };
  const auto defined = [&](const std::string& name) {
    if (!d.jobs.count(name)) throw CheckError("line " + std::to_string(n) + ": undefined node '" + name + "'");
  };
  const auto readSubmit = [&](const std::string& file) {
    std::ifstream f(dir / file, std::ios::binary);
    if (!f) throw CheckError("line " + std::to_string(n) + ": submit file '" + file + "' missing");
    std::stringstream ss;
    ss << f.rdbuf();
    parseSubmit(ss.str());  // one executable => one cluster (parseSubmit refuses a repeated one)
  };
  while (std::getline(in, raw)) {
    ++n;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    std::istringstream w(line);
    std::vector<std::string> words;
    for (std::string x; w >> x;) words.push_back(x);
    const std::string kw = lower(words[0]);
    if (kw == "job" || kw == "final") {
      if (words.size() != 3) throw CheckError("line " + std::to_string(n) + ": JOB/FINAL name file");
      checkName(words[1]);
      if (d.jobs.count(words[1]) || d.finalNode == words[1]) throw CheckError("line " + std::to_string(n) + ": node defined twice");
      readSubmit(words[2]);
      if (kw == "job") {
        d.jobs[words[1]] = words[2];
      } else {
        if (!d.finalNode.empty()) throw CheckError("line " + std::to_string(n) + ": a second FINAL node");
        d.finalNode = words[1];
        d.finalFile = words[2];
      }
    } else if (kw == "retry") {
      if (words.size() != 3 || words[2].find_first_not_of("0123456789") != std::string::npos)
        throw CheckError("line " + std::to_string(n) + ": RETRY name N");
      defined(words[1]);
      d.retries[words[1]] = std::stoi(words[2]);
    } else if (kw == "parent") {
      const auto child = std::find_if(words.begin(), words.end(), [](const std::string& x) { return lower(x) == "child"; });
      if (child == words.end() || child == words.begin() + 1 || child + 1 == words.end())
        throw CheckError("line " + std::to_string(n) + ": PARENT a... CHILD b...");
      for (auto p = words.begin() + 1; p != child; ++p)
        for (auto c = child + 1; c != words.end(); ++c) {
          defined(*p);
          defined(*c);
          d.edges.emplace_back(*p, *c);
        }
    } else {
      throw CheckError("line " + std::to_string(n) + ": unknown DAG command '" + words[0] + "'");
    }
  }
  if (d.jobs.empty()) throw CheckError("a DAG without nodes");
  // Acyclic: repeatedly remove nodes without incoming edges.
  std::set<std::string> left;
  for (const auto& [name, file] : d.jobs) left.insert(name);
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    for (auto it = left.begin(); it != left.end();) {
      const bool hasParent = std::any_of(d.edges.begin(), d.edges.end(), [&](const auto& e) {
        return e.second == *it && left.count(e.first);
      });
      if (!hasParent) {
        it = left.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  if (!left.empty()) throw CheckError("the DAG has a cycle");
  return d;
}

}  // namespace hepsweep::test::condor
