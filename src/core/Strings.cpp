#include "hepsweep/core/Strings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hepsweep::str {

std::string_view trim(std::string_view s) {
  const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t b = 0, e = s.size();
  while (b < e && isSpace(s[b])) ++b;
  while (e > b && isSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    out.emplace_back(trim(s.substr(start, pos == std::string_view::npos ? pos : pos - start)));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool endsWith(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}

std::string join(std::span<const std::string> parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {
std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view lastComponent(std::string_view s) {
  const auto dot = s.rfind('.');
  return dot == std::string_view::npos ? s : s.substr(dot + 1);
}
}  // namespace

std::string nearest(std::string_view word, std::span<const std::string> candidates) {
  const std::string lower = lowerCase(word);
  const std::string_view leaf = lastComponent(lower);
  const bool dotted = leaf.size() != lower.size();
  const std::size_t limit = std::min(std::max<std::size_t>(2, leaf.size() / 3), word.empty() ? 0 : word.size() - 1);
  const std::string* best = nullptr;
  std::pair<std::size_t, std::size_t> bestScore{std::numeric_limits<std::size_t>::max(), 0};
  for (const auto& c : candidates) {
    const std::string cl = lowerCase(c);
    std::size_t d = editDistance(lower, cl);
    if (dotted || lastComponent(cl).size() != cl.size()) d = std::min(d, editDistance(leaf, lastComponent(cl)) + 1);
    const std::pair<std::size_t, std::size_t> score{d, editDistance(word, c)};
    if (score < bestScore) {
      bestScore = score;
      best = &c;
    }
  }
  return best && bestScore.first <= limit ? *best : std::string();
}

std::string didYouMean(std::string_view word, std::span<const std::string> candidates) {
  const std::string best = nearest(word, candidates);
  return best.empty() ? std::string() : "; did you mean " + quoted(best) + "?";
}

std::string shellQuote(std::string_view s) {
  const bool plain = !s.empty() && s.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=./:,@%") == std::string_view::npos;
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += "'";
  return out;
}

std::string shellJoin(std::span<const std::string> argv) {
  std::string out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i) out += ' ';
    out += shellQuote(argv[i]);
  }
  return out;
}

std::string quoted(std::string_view s, std::size_t maxLen) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < maxLen; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  if (s.size() > maxLen) out += "...";
  out += "'";
  return out;
}

std::string formatDouble(double v, const char* printfFormat) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, printfFormat, v);
  return buf;
}

}  // namespace hepsweep::str
