// Entries of the selected branches of a flat TTree, basket by basket (one decompressed basket per
// branch in memory), decoded as text, float, double or int64 with the checks of convert.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/RootFile.hpp"

#include "RootImpl.hpp"

namespace hepsweep::io {

using namespace rootfmt;

// ---------------------------------------------------------------------------------------------
// Row reader

namespace {

// One selected branch: its basket list (sharing the embedded baskets' data with the tree) and the
// basket being read. The reader keeps no other part of the tree.
struct BranchCursor {
  std::string name, leafClass;
  std::vector<BasketRef> baskets;
  std::size_t stride = 0;  // bytes per entry
  std::size_t nextBasket = 0;
  std::int64_t begin = 0, end = 0;  // entries of the loaded basket
  const unsigned char* data = nullptr;
  const unsigned char* current = nullptr;
  std::vector<unsigned char> buffer;  // decompressed on-disk basket
};

struct Selected {
  std::size_t cursor = 0;
  std::size_t offset = 0;  // byte offset of the element inside an entry
  RootType type = RootType::Float;
  std::string name;
};

}  // namespace

struct RootRowReader::Impl {
  std::shared_ptr<const RootFile::Impl> file;
  std::string where;  // "ROOT file 'f', tree 'T'"
  std::int64_t entries = 0;
  std::vector<BranchCursor> cursors;
  std::vector<Selected> selected;
  std::int64_t entry = -1;
  std::uint64_t bytesRead = 0;
  double decompressSeconds = 0;

  void load(BranchCursor& bc) {
    if (bc.nextBasket >= bc.baskets.size())
      throwInput(where + ": branch " + q(bc.name) + " ends before entry " + std::to_string(entry));
    const BasketRef& b = bc.baskets[bc.nextBasket++];
    const std::string what = where + ", branch " + q(bc.name) + " (" + bc.leafClass + "), basket " +
                             std::to_string(b.index) + (b.embedded ? " (inside the TTree object)" : "");
    // Compared by division: a corrupt entry count must not overflow into a matching size.
    const auto holds = [&](std::size_t bytes) {
      return bytes % bc.stride == 0 && bytes / bc.stride == static_cast<std::uint64_t>(b.entries);
    };
    if (b.embedded) {
      if (!holds(b.data->size()))
        throwInput(what + ": holds " + std::to_string(b.data->size()) + " bytes for " + std::to_string(b.entries) +
                   " entries of " + std::to_string(bc.stride) + " bytes");
      bc.data = b.data->data();
    } else {
      auto raw = file->readAt(b.seek, b.nbytes, what);
      bytesRead += raw.size();
      Cursor c(raw.data(), raw.size(), 0, what);
      const KeyHeader key = readKey(c);
      if (key.nbytes != b.nbytes || key.keyLen > key.nbytes || key.className != "TBasket")
        throwInput(what + ": the key at byte " + std::to_string(b.seek) + " is not this basket (class " +
                   q(key.className) + ", " + std::to_string(key.nbytes) + " bytes, expected TBasket of " +
                   std::to_string(b.nbytes) + ")");
      c.skip(2);  // fVersion
      c.skip(4);  // fBufferSize
      if (c.i32() < 0) c.skip(1);
      const std::int32_t nev = c.i32();
      const std::int32_t last = c.i32();
      if (nev != b.entries)
        throwInput(what + ": holds " + std::to_string(nev) + " entries, the branch index says " +
                   std::to_string(b.entries));
      const std::size_t keyLen = static_cast<std::size_t>(key.keyLen);
      const std::size_t payload = raw.size() - keyLen;
      const std::size_t objLen = static_cast<std::size_t>(key.objLen);
      if (last < key.keyLen || static_cast<std::size_t>(last) - keyLen > objLen)
        throwInput(what + ": corrupt basket header (fLast " + std::to_string(last) + ")");
      const std::size_t dataSize = static_cast<std::size_t>(last) - keyLen;
      if (!holds(dataSize))
        throwInput(what + ": holds " + std::to_string(dataSize) + " bytes for " + std::to_string(nev) +
                   " entries of " + std::to_string(bc.stride) + " bytes");
      if (payload == objLen) {
        bc.buffer.assign(raw.begin() + static_cast<std::ptrdiff_t>(keyLen), raw.end());
      } else {
        const auto t0 = std::chrono::steady_clock::now();
        bc.buffer = rootDecompress(raw.data() + keyLen, payload, objLen, what);
        decompressSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      bc.data = bc.buffer.data();
    }
    bc.begin = b.firstEntry;
    bc.end = b.firstEntry + b.entries;
  }

  const unsigned char* at(std::size_t i) const {
    const Selected& s = selected[i];
    return cursors[s.cursor].current + s.offset;
  }

  template <class T>
  T decode(std::size_t i) const {
    const unsigned char* p = at(i);
    using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                 std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                    std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
    U u = 0;
    for (std::size_t k = 0; k < sizeof(T); ++k) u = static_cast<U>((u << 8) | p[k]);
    return std::bit_cast<T>(u);
  }
};

RootRowReader::RootRowReader(const RootTree& tree, std::vector<std::size_t> columns)
    : impl_(std::make_unique<Impl>()) {
  const RootTree::Impl& t = *tree.impl_;
  impl_->file = t.file;
  impl_->where = t.where();
  impl_->entries = t.entries;
  // Without a column there is nothing to check the entry count against (it may be corrupt).
  if (columns.empty()) throwConfig("reading " + t.where() + ": select at least one column");
  std::map<std::size_t, std::size_t> cursorOf;
  for (std::size_t c : columns) {
    if (c >= t.columns.size()) throwConfig("ROOT column index " + std::to_string(c) + " out of range");
    const RootColumn& col = t.columns[c];
    auto [it, inserted] = cursorOf.emplace(col.branch, impl_->cursors.size());
    if (inserted) {
      const RootBranch& br = t.branches[col.branch];
      BranchCursor bc;
      bc.name = br.name;
      bc.leafClass = br.leafClass;
      bc.baskets = t.baskets[col.branch];
      bc.stride = br.length * rootTypeSize(col.type);
      impl_->cursors.push_back(std::move(bc));
    }
    impl_->selected.push_back({it->second, col.element * rootTypeSize(col.type), col.type, col.name});
  }
}

RootRowReader::~RootRowReader() = default;
RootRowReader::RootRowReader(RootRowReader&&) noexcept = default;
RootRowReader& RootRowReader::operator=(RootRowReader&&) noexcept = default;

bool RootRowReader::next() {
  Impl& r = *impl_;
  if (r.entry + 1 >= r.entries) {
    r.entry = r.entries;
    return false;
  }
  ++r.entry;
  for (auto& bc : r.cursors) {
    while (r.entry >= bc.end) r.load(bc);
    bc.current = bc.data + static_cast<std::size_t>(r.entry - bc.begin) * bc.stride;
  }
  return true;
}

std::int64_t RootRowReader::entry() const { return impl_->entry; }
RootType RootRowReader::type(std::size_t i) const { return impl_->selected[i].type; }
std::uint64_t RootRowReader::bytesRead() const { return impl_->bytesRead; }
double RootRowReader::decompressSeconds() const { return impl_->decompressSeconds; }

double RootRowReader::asDouble(std::size_t i) const {
  const Impl& r = *impl_;
  switch (r.selected[i].type) {
    case RootType::Bool: return r.decode<std::uint8_t>(i) != 0 ? 1.0 : 0.0;
    case RootType::Int8: return r.decode<std::int8_t>(i);
    case RootType::UInt8: return r.decode<std::uint8_t>(i);
    case RootType::Int16: return r.decode<std::int16_t>(i);
    case RootType::UInt16: return r.decode<std::uint16_t>(i);
    case RootType::Int32: return r.decode<std::int32_t>(i);
    case RootType::UInt32: return r.decode<std::uint32_t>(i);
    case RootType::Int64: return static_cast<double>(r.decode<std::int64_t>(i));
    case RootType::UInt64: return static_cast<double>(r.decode<std::uint64_t>(i));
    case RootType::Float: return r.decode<float>(i);
    case RootType::Double: return r.decode<double>(i);
  }
  return 0;
}

float RootRowReader::asFloat(std::size_t i) const {
  const Impl& r = *impl_;
  switch (r.selected[i].type) {
    case RootType::Float: return r.decode<float>(i);
    case RootType::Double: return static_cast<float>(r.decode<double>(i));
    case RootType::Int64: return static_cast<float>(r.decode<std::int64_t>(i));
    case RootType::UInt64: return static_cast<float>(r.decode<std::uint64_t>(i));
    default: return static_cast<float>(asDouble(i));
  }
}

std::int64_t RootRowReader::asInt64(std::size_t i) const {
  const Impl& r = *impl_;
  const Selected& s = r.selected[i];
  const auto where = [&] {
    return r.where + ", entry " + std::to_string(r.entry) + ", column " + q(s.name) + " (" +
           rootTypeName(s.type) + ")";
  };
  switch (s.type) {
    case RootType::Int64: return r.decode<std::int64_t>(i);
    case RootType::UInt64: {
      const std::uint64_t v = r.decode<std::uint64_t>(i);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throwInput(where() + ": value " + std::to_string(v) + " does not fit in int64");
      return static_cast<std::int64_t>(v);
    }
    case RootType::Float:
    case RootType::Double: {
      const double v = asDouble(i);
      if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0) || std::trunc(v) != v)
        throwInput(where() + ": value " + asText(i) + " is not an integer");
      return static_cast<std::int64_t>(v);
    }
    default: return static_cast<std::int64_t>(asDouble(i));
  }
}

std::string RootRowReader::asText(std::size_t i) const {
  const Impl& r = *impl_;
  char buf[64];
  std::to_chars_result res{};
  switch (r.selected[i].type) {
    case RootType::Float: res = std::to_chars(buf, buf + sizeof buf, r.decode<float>(i)); break;
    case RootType::Double: res = std::to_chars(buf, buf + sizeof buf, r.decode<double>(i)); break;
    case RootType::UInt64: res = std::to_chars(buf, buf + sizeof buf, r.decode<std::uint64_t>(i)); break;
    case RootType::Int64: res = std::to_chars(buf, buf + sizeof buf, r.decode<std::int64_t>(i)); break;
    default: res = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(asDouble(i))); break;
  }
  return std::string(buf, res.ptr);
}

}  // namespace hepsweep::io
