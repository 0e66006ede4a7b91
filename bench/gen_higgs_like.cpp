// A HIGGS-like CSV of any size for bench_convert.sh: the rows of a small HIGGS CSV (read from
// stdin, header first, label in the first column) resampled with replacement, every continuous
// value scaled by a factor in [0.97, 1.03], the discrete b-tag columns (names containing "btag")
// and the label copied as they are. Values are printed with 9 significant digits, as the UCI file
// prints more than float32 needs (about 310 bytes a row, 613 MB for 2M rows).
//
// Reproducible: the random stream is splitmix64 from SEED, the arithmetic is exact IEEE double,
// and std::to_chars prints correctly rounded digits, so the same source, rows and seed give the
// same bytes on any machine (bench_convert.sh prints the sha256).
//
//   zcat examples/higgs/higgs-5k.csv.gz | gen_higgs_like ROWS SEED > higgs-like.csv
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') out.emplace_back();
    else if (c != '\r') out.back() += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ROWS SEED < source.csv > out.csv\n", argv[0]);
    return 2;
  }
  const long long rows = std::atoll(argv[1]);
  std::uint64_t state = std::strtoull(argv[2], nullptr, 10);

  std::string line;
  if (!std::getline(std::cin, line)) return 1;
  const std::vector<std::string> header = split(line);
  std::vector<bool> copy(header.size());
  for (std::size_t j = 0; j < header.size(); ++j) copy[j] = j == 0 || header[j].find("btag") != std::string::npos;
  std::vector<std::vector<std::string>> text;  // copied columns, as written in the source
  std::vector<std::vector<double>> value;      // the others, parsed
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = split(line);
    if (f.size() != header.size()) {
      std::fprintf(stderr, "source row %zu has %zu fields, header %zu\n", text.size() + 2, f.size(), header.size());
      return 1;
    }
    std::vector<double> v(f.size());
    for (std::size_t j = 0; j < f.size(); ++j)
      if (!copy[j]) v[j] = std::strtod(f[j].c_str(), nullptr);
    text.push_back(std::move(f));
    value.push_back(std::move(v));
  }
  if (text.empty()) return 1;

  std::string out = header[0];
  for (std::size_t j = 1; j < header.size(); ++j) out += "," + header[j];
  out += "\n";
  char buf[64];
  for (long long r = 0; r < rows; ++r) {
    const std::size_t src = splitmix64(state) % text.size();
    for (std::size_t j = 0; j < header.size(); ++j) {
      if (j) out += ',';
      if (copy[j]) {
        out += text[src][j];
        continue;
      }
      // 53 random bits -> [0, 1) -> a factor in [0.97, 1.03).
      const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
      const float x = static_cast<float>(value[src][j] * (0.97 + 0.06 * u));
      const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 9);
      out.append(buf, res.ptr);
    }
    out += '\n';
    if (out.size() > (1u << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
