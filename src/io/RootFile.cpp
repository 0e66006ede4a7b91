// ROOT files without the ROOT library: the file header, the directories and their keys (spec
// sections 1-3 of ../shared/formats/root-flat-ttree.md, cross-checked with ROOT's io/doc/TFile
// and uproot5's models), and the input spec "file.root:tree". The TTree object is parsed in
// RootTree.cpp, entries are read in RootRowReader.cpp; every read goes through the bounds-checked
// Cursor (RootCursor.hpp), so a corrupt or truncated file ends in Error(Input), never out of bounds.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "RootImpl.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::io {

using namespace rootfmt;

const char* rootTypeName(RootType t) {
  switch (t) {
    case RootType::Bool: return "bool";
    case RootType::Int8: return "int8";
    case RootType::UInt8: return "uint8";
    case RootType::Int16: return "int16";
    case RootType::UInt16: return "uint16";
    case RootType::Int32: return "int32";
    case RootType::UInt32: return "uint32";
    case RootType::Int64: return "int64";
    case RootType::UInt64: return "uint64";
    case RootType::Float: return "float32";
    case RootType::Double: return "float64";
  }
  return "?";
}

std::size_t rootTypeSize(RootType t) {
  switch (t) {
    case RootType::Bool:
    case RootType::Int8:
    case RootType::UInt8: return 1;
    case RootType::Int16:
    case RootType::UInt16: return 2;
    case RootType::Int32:
    case RootType::UInt32:
    case RootType::Float: return 4;
    case RootType::Int64:
    case RootType::UInt64:
    case RootType::Double: return 8;
  }
  return 0;
}

bool rootTypeIsInteger(RootType t) { return t != RootType::Float && t != RootType::Double; }

// ---------------------------------------------------------------------------------------------
// File

std::vector<unsigned char> RootFile::Impl::readAt(std::int64_t offset, std::int64_t n, const std::string& what) const {
  if (offset < 0 || n < 0 || static_cast<std::uint64_t>(offset) > size ||
      static_cast<std::uint64_t>(n) > size - static_cast<std::uint64_t>(offset))
    throwInput(what + " at byte " + std::to_string(offset) + " (" + std::to_string(n) +
               " bytes) lies past the end of the file (" + std::to_string(size) +
               " bytes): the file is truncated or corrupt");
  std::vector<unsigned char> buf(static_cast<std::size_t>(n));
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t r = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throwIo(where() + ": read failed (" + std::strerror(errno) + ")");
    if (r == 0) throwInput(what + ": the file shrank while being read");
    done += static_cast<std::size_t>(r);
  }
  return buf;
}

// Spec section 2: a directory record and its list of keys.
void RootFile::Impl::readDirectory(std::int64_t recordOffset, const std::string& prefix, int depth) {
  const std::string what = prefix.empty() ? std::string("top directory") : "directory " + q(prefix);
  if (depth > kMaxDirectoryDepth) throwInput(where() + ": directories nested too deeply (corrupt file)");
  if (!visitedDirectories.insert(recordOffset).second) return;
  const std::int64_t avail = static_cast<std::int64_t>(size) - recordOffset;
  const auto rec = readAt(recordOffset, std::min<std::int64_t>(42, std::max<std::int64_t>(avail, 0)), where() + ": " + what);
  const std::string w = where() + ", " + what;
  Cursor c(rec.data(), rec.size(), 0, w);
  const int dversion = c.i16();
  c.skip(8);  // dates
  const std::int32_t nbytesKeys = c.i32();
  c.skip(4);  // nbytesName
  std::int64_t seekKeys = 0;
  if (dversion > 1000) {
    c.skip(16);
    seekKeys = c.i64();
  } else {
    c.skip(8);
    seekKeys = c.i32();
  }
  if (seekKeys == 0) return;
  const auto keys = readAt(seekKeys, nbytesKeys, where() + ": key list of the " + what);
  Cursor k(keys.data(), keys.size(), 0, w + " key list");
  const KeyHeader self = readKey(k);
  k.seek(static_cast<std::size_t>(self.keyLen));
  const std::int32_t n = k.i32();
  k.arrayLength(n, 26, "key count");
  for (std::int32_t i = 0; i < n; ++i) {
    const KeyHeader key = readKey(k);
    const std::string full = prefix.empty() ? key.name : prefix + "/" + key.name;
    if (isDirectoryClass(key.className)) {
      readDirectory(offsetAfter(key.seekKey, key.keyLen, w + ", key of directory " + q(key.name)), full, depth + 1);
    } else if (isTreeClass(key.className)) {
      allTrees.push_back({{full, key.className, key.cycle, key.title}, key.seekKey, key.nbytes});
    } else if (isRNTupleClass(key.className)) {
      rntuples.push_back(full);
    }
  }
}

RootFile::RootFile(const std::string& path) : impl_(std::make_shared<Impl>()) {
  Impl& f = *impl_;
  f.path = path;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throwIo("cannot open ROOT file '" + path + "': " + std::strerror(errno));
  const off_t end = ::lseek(f.fd, 0, SEEK_END);
  if (end < 0) throwIo("cannot read ROOT file '" + path + "': " + std::strerror(errno));
  f.size = static_cast<std::uint64_t>(end);
  if (f.size < 4) throwInput(f.where() + ": too short to be a ROOT file (" + std::to_string(f.size) + " bytes)");
  const auto head = f.readAt(0, std::min<std::int64_t>(64, static_cast<std::int64_t>(f.size)), f.where() + ": file header");
  const std::string w = f.where() + ", file header";
  Cursor c(head.data(), head.size(), 0, w);
  if (std::memcmp(c.bytes(4), "root", 4) != 0) throwInput(f.where() + ": not a ROOT file (no 'root' magic)");
  f.version = c.i32();
  const bool big = f.version >= 1000000;
  const std::int32_t begin = c.i32();
  const std::int64_t fend = big ? c.i64() : c.i32();
  if (big) c.skip(8);
  else c.skip(4);              // fSeekFree
  c.skip(8);                   // fNbytesFree, nfree
  const std::int32_t nbytesName = c.i32();
  if (fend < 0 || static_cast<std::uint64_t>(fend) > f.size)
    throwInput(f.where() + ": truncated: the header says the file ends at byte " + std::to_string(fend) +
               " but it has " + std::to_string(f.size) + " bytes");
  if (begin <= 0 || nbytesName <= 0) throwInput(w + ": corrupt (fBEGIN " + std::to_string(begin) + ")");
  f.readDirectory(std::int64_t{begin} + nbytesName, "", 0);

  std::map<std::string, std::size_t> best;
  for (std::size_t i = 0; i < f.allTrees.size(); ++i) {
    const auto& k = f.allTrees[i].key;
    auto [it, inserted] = best.emplace(k.path, i);
    if (!inserted && f.allTrees[it->second].key.cycle < k.cycle) it->second = i;
  }
  for (std::size_t i = 0; i < f.allTrees.size(); ++i)
    if (best[f.allTrees[i].key.path] == i) f.trees.push_back(f.allTrees[i].key);
}

RootFile::~RootFile() = default;
RootFile::RootFile(RootFile&&) noexcept = default;
RootFile& RootFile::operator=(RootFile&&) noexcept = default;
const std::string& RootFile::path() const { return impl_->path; }
std::uint64_t RootFile::size() const { return impl_->size; }
std::string RootFile::rootVersionText() const { return versionText(impl_->version); }
const std::vector<RootTreeKey>& RootFile::trees() const { return impl_->trees; }

// ---------------------------------------------------------------------------------------------

bool isRootFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[4] = {};
  const ssize_t n = ::pread(fd, magic, 4, 0);
  ::close(fd);
  return n == 4 && std::memcmp(magic, "root", 4) == 0;
}

std::optional<RootInputSpec> parseRootInputSpec(const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(text, ec)) {
    if (isRootFile(text)) return RootInputSpec{text, {}};
    return std::nullopt;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  const std::string file = text.substr(0, colon);
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  if (!isRootFile(file))
    throwInput("'" + file + "' is not a ROOT file, so the tree selector " + q(text.substr(colon + 1)) +
               " in '" + text + "' does not apply");
  return RootInputSpec{file, text.substr(colon + 1)};
}

}  // namespace hepsweep::io
