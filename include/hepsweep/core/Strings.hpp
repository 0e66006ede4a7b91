#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hepsweep::str {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);  // fields are trimmed
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
std::string join(std::span<const std::string> parts, std::string_view sep);
// Levenshtein distance, for "did you mean" suggestions.
std::size_t editDistance(std::string_view a, std::string_view b);
// The candidate a user most likely meant by `word`, or empty when none is near enough to be worth
// suggesting. Case is compared last ("ID" finds "id"), so the score is the edit distance of the
// lower-cased names, ties broken by the exact one, then by candidate order; for dotted names the
// last components are compared too at the cost of one edit, so that a key typed in the wrong
// section ("learning_rate") finds "train.learning_rate". Near enough: at most max(2, n/3) edits,
// n the length of the word's last component, and fewer edits than the word has characters.
std::string nearest(std::string_view word, std::span<const std::string> candidates);
// The one wording of a suggestion, appended to the message that names the unknown word:
// "; did you mean 'NAME'?" for nearest(word, candidates), or "" when nothing is near.
std::string didYouMean(std::string_view word, std::span<const std::string> candidates);
// Quote for a POSIX shell: the result, pasted into sh, is exactly one word equal to `s`.
std::string shellQuote(std::string_view s);
// A command line as it could be pasted back into a shell.
std::string shellJoin(std::span<const std::string> argv);
// `v` printed by snprintf with `printfFormat`, one conversion of a double such as "%.4g" or
// "%+.3f", for tables and messages; NaN and infinities as "nan", "inf", "-inf" whatever the format.
std::string formatDouble(double v, const char* printfFormat = "%.4g");
// Quote a string for messages: 'text', with control characters escaped and long text cut.
std::string quoted(std::string_view s, std::size_t maxLen = 60);

}  // namespace hepsweep::str
