// Flat-TTree reader. Layouts: ../shared/formats/root-flat-ttree.md (section numbers below refer
// to it), cross-checked with ROOT's io/doc/TFile and uproot5's models. Every read goes through a
// bounds-checked Cursor so a corrupt or truncated file ends in Error(Input), never out of bounds.
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

namespace hepsweep::io {

namespace {

// Nested directories deeper than this are treated as corrupt (a cycle of directory records).
constexpr int kMaxDirectoryDepth = 32;
// A fixed-size array per entry with more elements than this would make more columns than any
// classifier input; refusing it also bounds memory for a corrupt fLen.
constexpr std::size_t kMaxArrayLength = 4096;

std::string q(std::string_view s) { return str::quoted(s); }

// Bounds-checked big-endian reader over one buffer. `origin` is the buffer's offset inside ROOT's
// own object buffer (the key length), which object references count from.
class Cursor {
 public:
  Cursor(const unsigned char* data, std::size_t size, std::size_t origin, std::string where)
      : data_(data), size_(size), origin_(origin), where_(std::move(where)) {}

  std::size_t pos() const { return pos_; }
  std::size_t origin() const { return origin_; }
  std::size_t remaining() const { return size_ - pos_; }
  const std::string& where() const { return where_; }

  void need(std::size_t n) const {
    if (n > size_ - pos_)
      throwInput(where_ + ": truncated or corrupt object (needs " + std::to_string(n) + " bytes at offset " +
                 std::to_string(pos_) + " of " + std::to_string(size_) + ")");
  }
  void seek(std::size_t p) {
    if (p > size_)
      throwInput(where_ + ": corrupt object (byte count points to offset " + std::to_string(p) + ", past its end " +
                 std::to_string(size_) + ")");
    pos_ = p;
  }
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  const unsigned char* bytes(std::size_t n) {
    need(n);
    const unsigned char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::uint64_t uint(int n) {
    const unsigned char* p = bytes(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  std::int16_t i16() { return static_cast<std::int16_t>(u16()); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::int64_t i64() { return static_cast<std::int64_t>(uint(8)); }
  std::uint32_t peekU32() const {
    need(4);
    const unsigned char* p = data_ + pos_;
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  }
  std::string tstring() {
    std::size_t n = u8();
    if (n == 255) {
      const std::int32_t big = i32();
      if (big < 0) throwInput(where_ + ": corrupt string length " + std::to_string(big));
      n = static_cast<std::size_t>(big);
    }
    const unsigned char* p = bytes(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string cstring() {
    const unsigned char* begin = data_ + pos_;
    const void* nul = std::memchr(begin, 0, size_ - pos_);
    if (!nul) throwInput(where_ + ": corrupt object (unterminated class name)");
    const std::size_t n = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - begin);
    pos_ += n + 1;
    return std::string(reinterpret_cast<const char*>(begin), n);
  }
  // An array of n elements of `width` bytes, checked against the remaining bytes before anyone
  // allocates for it.
  std::size_t arrayLength(std::int64_t n, std::size_t width, const char* what) const {
    if (n < 0 || static_cast<std::uint64_t>(n) > remaining() / width)
      throwInput(where_ + ": corrupt " + what + " length " + std::to_string(n));
    return static_cast<std::size_t>(n);
  }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::size_t origin_;
  std::string where_;
  std::size_t pos_ = 0;
};

// Spec section 0: byte count + class version.
struct Versioned {
  int version = 0;
  std::size_t end = 0;
  bool hasEnd = false;
};

Versioned readVersion(Cursor& c, const char* cls) {
  Versioned v;
  const std::uint32_t bc = c.peekU32();
  if (bc & 0x40000000u) {
    c.skip(4);
    const std::size_t len = bc & 0x3FFFFFFFu;
    if (len < 2 || len > c.remaining())
      throwInput(c.where() + ": corrupt " + cls + " (byte count " + std::to_string(len) + " exceeds the " +
                 std::to_string(c.remaining()) + " bytes left)");
    v.end = c.pos() + len;
    v.hasEnd = true;
  }
  v.version = c.u16();
  if (v.version & 0x4000)
    throwInput(c.where() + ": " + cls + " is streamed member-wise (kStreamedMemberWise), which is not supported");
  return v;
}

void skipToEnd(Cursor& c, const Versioned& v, const char* cls) {
  if (!v.hasEnd) throwInput(c.where() + ": " + cls + " without a byte count cannot be skipped (very old file?)");
  c.seek(v.end);
}

void readTObject(Cursor& c) {
  const std::uint16_t v = c.u16();
  if (v & 0x4000) c.skip(4);
  c.skip(4);  // fUniqueID
  const std::uint32_t bits = c.u32();
  if (bits & 0x10) c.skip(2);  // kIsReferenced: process id
}

struct Named {
  std::string name, title;
};

Named readTNamed(Cursor& c) {
  const Versioned v = readVersion(c, "TNamed");
  readTObject(c);
  Named n;
  n.name = c.tstring();
  n.title = c.tstring();
  if (v.hasEnd) c.seek(v.end);
  return n;
}

// TAttLine/TAttFill/TAttMarker: skipped, by byte count or by their fixed sizes in old files.
void skipAttribute(Cursor& c, const char* cls, std::size_t fixedSize) {
  const Versioned v = readVersion(c, cls);
  if (v.hasEnd) c.seek(v.end);
  else c.skip(fixedSize);
}

// Spec section 5: a pointer member (ReadObjectAny) and the class map it builds.
struct ObjectRef {
  enum Kind { Null, Reference, Object } kind = Null;
  std::string className;
  std::size_t end = 0;  // valid when hasEnd
  bool hasEnd = false;
};

using ClassMap = std::map<std::uint64_t, std::string>;

ObjectRef readObjectAny(Cursor& c, ClassMap& classes) {
  ObjectRef r;
  std::size_t tagPos = c.pos();
  const std::uint32_t w = c.u32();
  if (w == 0) return r;
  std::uint32_t tag = w;
  if ((w & 0x40000000u) && w != 0xFFFFFFFFu) {
    const std::size_t len = w & 0x3FFFFFFFu;
    if (len < 4 || len > c.remaining())
      throwInput(c.where() + ": corrupt object byte count " + std::to_string(len));
    r.end = c.pos() + len;
    r.hasEnd = true;
    tagPos = c.pos();
    tag = c.u32();
  }
  if (tag == 0xFFFFFFFFu) {
    r.className = c.cstring();
    classes[tagPos + c.origin() + 2] = r.className;
  } else if (tag & 0x80000000u) {
    const auto it = classes.find(tag & 0x7FFFFFFFu);
    if (it == classes.end())
      throwInput(c.where() + ": corrupt object (reference to an unknown class at offset " +
                 std::to_string(tag & 0x7FFFFFFFu) + ")");
    r.className = it->second;
  } else {
    r.kind = ObjectRef::Reference;
    if (r.hasEnd) c.seek(r.end);
    return r;
  }
  r.kind = ObjectRef::Object;
  return r;
}

void skipObject(Cursor& c, const ObjectRef& r) {
  if (r.kind != ObjectRef::Object) return;
  if (!r.hasEnd) throwInput(c.where() + ": object of class " + q(r.className) + " has no byte count to skip it");
  c.seek(r.end);
}

// TObjArray header; returns the number of slots that follow.
std::size_t readObjArrayHeader(Cursor& c) {
  readVersion(c, "TObjArray");
  readTObject(c);
  c.tstring();
  const std::int32_t n = c.i32();
  c.skip(4);  // lower bound
  return c.arrayLength(n, 4, "TObjArray");
}

// Spec section 3.
struct KeyHeader {
  std::int32_t nbytes = 0;
  int version = 0;
  std::int32_t objLen = 0;
  std::int16_t keyLen = 0;
  std::int16_t cycle = 0;
  std::int64_t seekKey = 0;
  std::string className, name, title;
};

KeyHeader readKey(Cursor& c) {
  KeyHeader k;
  k.nbytes = c.i32();
  k.version = c.i16();
  k.objLen = c.i32();
  c.skip(4);  // datime
  k.keyLen = c.i16();
  k.cycle = c.i16();
  if (k.version > 1000) {
    k.seekKey = c.i64();
    c.skip(8);
  } else {
    k.seekKey = c.i32();
    c.skip(4);
  }
  k.className = c.tstring();
  k.name = c.tstring();
  k.title = c.tstring();
  if (k.nbytes < 0 || k.objLen < 0 || k.keyLen < 0 || k.seekKey < 0)
    throwInput(c.where() + ": corrupt key header for " + q(k.name) + " (negative size or position)");
  return k;
}

std::string versionText(int v) {
  if (v >= 1000000) v -= 1000000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d.%02d/%02d", v / 10000, (v / 100) % 100, v % 100);
  return buf;
}

// seek + length for a position in the file. Both come from the file, and a crafted 64-bit seek near
// INT64_MAX must end in Error(Input), not in a signed overflow (undefined behaviour).
std::int64_t offsetAfter(std::int64_t seek, std::int64_t length, const std::string& what) {
  if (seek < 0 || length < 0 || seek > std::numeric_limits<std::int64_t>::max() - length)
    throwInput(what + ": corrupt position (byte " + std::to_string(seek) + " + " + std::to_string(length) +
               " is not a file offset)");
  return seek + length;
}

bool isTreeClass(const std::string& c) { return c == "TTree" || c == "TNtuple" || c == "TNtupleD"; }
bool isDirectoryClass(const std::string& c) { return c == "TDirectory" || c == "TDirectoryFile"; }
bool isRNTupleClass(const std::string& c) { return c == "ROOT::RNTuple" || c == "ROOT::Experimental::RNTuple"; }

struct LeafKind {
  bool ok = false;
  RootType type = RootType::Float;
  std::size_t size = 0;
  std::string refusal;
};

LeafKind leafKind(const std::string& cls, bool isUnsigned) {
  const auto sized = [](RootType t) { return LeafKind{true, t, rootTypeSize(t), {}}; };
  if (cls == "TLeafO") return sized(RootType::Bool);
  if (cls == "TLeafB") return sized(isUnsigned ? RootType::UInt8 : RootType::Int8);
  if (cls == "TLeafS") return sized(isUnsigned ? RootType::UInt16 : RootType::Int16);
  if (cls == "TLeafI") return sized(isUnsigned ? RootType::UInt32 : RootType::Int32);
  if (cls == "TLeafL" || cls == "TLeafG") return sized(isUnsigned ? RootType::UInt64 : RootType::Int64);
  if (cls == "TLeafF") return sized(RootType::Float);
  if (cls == "TLeafD") return sized(RootType::Double);
  LeafKind k;
  if (cls == "TLeafF16") k.refusal = "Float16_t (TLeafF16) is stored truncated and is not supported";
  else if (cls == "TLeafD32") k.refusal = "Double32_t (TLeafD32) is stored truncated and is not supported";
  else if (cls == "TLeafC") k.refusal = "character strings (TLeafC) are not numbers";
  else if (cls == "TLeafElement" || cls == "TLeafObject") k.refusal = "object leaves (" + cls + ") are not supported";
  else k.refusal = "leaf class " + q(cls) + " is not supported";
  return k;
}

// "x[2][3]/F" -> {2, 3}; empty when the title has no dimensions.
std::vector<std::size_t> titleDimensions(const std::string& title) {
  std::vector<std::size_t> dims;
  const std::string head = title.substr(0, title.find('/'));
  std::size_t p = head.find('[');
  while (p != std::string::npos) {
    const std::size_t close = head.find(']', p);
    if (close == std::string::npos) return {};
    std::size_t d = 0;
    const auto [ptr, ec] = std::from_chars(head.data() + p + 1, head.data() + close, d);
    if (ec != std::errc() || ptr != head.data() + close || d == 0) return {};
    dims.push_back(d);
    p = head.find('[', close);
  }
  return dims;
}

std::vector<std::string> elementNames(const std::string& branch, const std::string& title, std::size_t length) {
  std::vector<std::size_t> dims = titleDimensions(title);
  std::size_t product = 1;
  for (std::size_t d : dims) product *= d;
  if (dims.empty() || product != length) dims = {length};
  std::vector<std::string> names;
  names.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    std::string suffix;
    std::size_t rest = i;
    for (std::size_t k = dims.size(); k-- > 0;) {
      suffix = "[" + std::to_string(rest % dims[k]) + "]" + suffix;
      rest /= dims[k];
    }
    names.push_back(branch + suffix);
  }
  return names;
}

}  // namespace

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

struct TreeLocation {
  RootTreeKey key;
  std::int64_t seekKey = 0;
  std::int32_t nbytes = 0;
};

struct RootFile::Impl {
  std::string path;
  int fd = -1;
  std::uint64_t size = 0;
  int version = 0;
  std::vector<TreeLocation> allTrees;  // every cycle
  std::vector<RootTreeKey> trees;      // highest cycles
  std::vector<std::string> rntuples;
  std::set<std::int64_t> visitedDirectories;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
  std::string where() const { return "ROOT file '" + path + "'"; }
  std::string writtenBy() const { return "written by ROOT " + versionText(version); }

  std::vector<unsigned char> readAt(std::int64_t offset, std::int64_t n, const std::string& what) const {
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
  void readDirectory(std::int64_t recordOffset, const std::string& prefix, int depth) {
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
};

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
// Tree

namespace {

struct BasketRef {
  bool embedded = false;
  std::int64_t firstEntry = 0;
  std::int64_t entries = 0;
  std::int64_t seek = 0;         // on disk
  std::int32_t nbytes = 0;       // on disk
  // Embedded: the basket's data, copied out of the TTree object so that the object itself is not
  // kept, and shared (not copied again) by the row readers of the branch.
  std::shared_ptr<const std::vector<unsigned char>> data;
  std::size_t index = 0;         // position in fBaskets, for messages
};

}  // namespace

struct RootTree::Impl {
  std::shared_ptr<const RootFile::Impl> file;
  std::string name, className;
  int cycle = 0;
  std::int64_t entries = 0;
  std::string friendWarning;  // empty: no friend trees
  std::vector<RootBranch> branches;
  std::vector<std::vector<BasketRef>> baskets;  // per branch
  std::vector<RootColumn> columns;
  std::vector<RootUnsupportedBranch> unsupported;

  std::string where() const { return "ROOT file '" + file->path + "', tree " + q(name); }
};

namespace {

class TreeParser {
 public:
  TreeParser(RootTree::Impl& t, Cursor& c) : t_(t), c_(c) {}

  // Spec section 6.
  void parseTree() {
    if (t_.className != "TTree") {
      readVersion(c_, t_.className.c_str());  // TNtuple(D): a TTree base, then fNvar
    }
    const Versioned tv = readVersion(c_, "TTree");
    if (tv.version < 16 || tv.version > 20)
      throwInput(t_.where() + ": TTree class version " + std::to_string(tv.version) + " (" + t_.file->writtenBy() +
                 ") is not supported (versions 16-20, ROOT 5.26 and later, are)");
    readTNamed(c_);
    skipAttribute(c_, "TAttLine", 6);
    skipAttribute(c_, "TAttFill", 4);
    skipAttribute(c_, "TAttMarker", 8);
    t_.entries = c_.i64();
    c_.skip(tv.version >= 18 ? 32 : 24);  // TotBytes, ZipBytes, SavedBytes (, FlushedBytes)
    c_.skip(8);                           // fWeight
    c_.skip(12);                          // TimerInterval, ScanField, Update
    if (tv.version >= 17) c_.skip(4);     // DefaultEntryOffsetLen
    std::uint32_t nClusterRange = 0;
    if (tv.version >= 19) nClusterRange = c_.u32();
    c_.skip(tv.version >= 18 ? 48 : 40);  // MaxEntries ... (AutoFlush,) Estimate
    if (tv.version >= 19) {
      for (int k = 0; k < 2; ++k)
        if (c_.u8() != 0) c_.skip(c_.arrayLength(nClusterRange, 8, "cluster range") * 8);
    }
    if (tv.version >= 20) skipAttribute(c_, "TIOFeatures", 1);
    if (t_.entries < 0) throwInput(t_.where() + ": corrupt entry count " + std::to_string(t_.entries));

    const std::size_t n = readObjArrayHeader(c_);
    for (std::size_t i = 0; i < n; ++i) {
      const ObjectRef r = readObjectAny(c_, classes_);
      if (r.kind != ObjectRef::Object) continue;
      if (r.className == "TBranch") parseBranch(r);
      else refuseBranchObject(r);
    }
    // The remaining members only tell whether there are friend trees; a problem there must not
    // stop reading the branches, which are complete at this point, but it must not pass for "no
    // friends" either.
    try {
      if (readFriends())
        t_.friendWarning = t_.where() + " has friend trees; they are not followed, only the tree's own branches are read";
    } catch (const Error& e) {
      t_.friendWarning = "ROOT file '" + t_.file->path + "': could not determine whether tree " + q(t_.name) +
                         " has friend trees (" + e.what() + "); friend trees, if any, are not followed";
    }
  }

 private:
  bool readFriends() {
    const std::size_t nLeaves = readObjArrayHeader(c_);
    for (std::size_t i = 0; i < nLeaves; ++i) skipObject(c_, readObjectAny(c_, classes_));
    skipObject(c_, readObjectAny(c_, classes_));  // fAliases
    c_.skip(c_.arrayLength(c_.i32(), 8, "fIndexValues") * 8);
    c_.skip(c_.arrayLength(c_.i32(), 4, "fIndex") * 4);
    skipObject(c_, readObjectAny(c_, classes_));  // fTreeIndex
    const ObjectRef friends = readObjectAny(c_, classes_);
    if (friends.kind != ObjectRef::Object) return false;
    if (friends.className != "TList") return true;
    readVersion(c_, "TList");
    readTObject(c_);
    c_.tstring();
    return c_.i32() > 0;
  }

  void refuse(const std::string& name, const std::string& cls, const std::string& reason) {
    t_.unsupported.push_back({name, cls, reason});
  }

  // Branch classes other than TBranch: name them (their first member is a TBranch) and skip.
  void refuseBranchObject(const ObjectRef& r) {
    std::string name = "?";
    try {
      readVersion(c_, r.className.c_str());
      readVersion(c_, "TBranch");
      name = readTNamed(c_).name;
    } catch (const Error&) {
      name = "?";
    }
    std::string reason = r.className + " branches (objects, STL containers such as std::vector, RVec columns "
                         "written by RDataFrame::Snapshot) are not supported; only flat numeric branches are";
    refuse(name, r.className, reason);
    skipObject(c_, r);
  }

  // Spec sections 7-9.
  void parseBranch(const ObjectRef& r) {
    const Versioned bv = readVersion(c_, "TBranch");
    const Named named = readTNamed(c_);
    if (bv.version < 10 || bv.version > 13) {
      refuse(named.name, "TBranch",
             "TBranch class version " + std::to_string(bv.version) + " (" + t_.file->writtenBy() +
                 ") is not supported (versions 10-13 are)");
      skipObject(c_, r);
      return;
    }
    skipAttribute(c_, "TAttFill", 4);
    c_.skip(8);  // fCompress, fBasketSize
    c_.skip(4);  // fEntryOffsetLen
    const std::int32_t writeBasket = c_.i32();
    c_.skip(8);  // fEntryNumber
    if (bv.version >= 13) skipAttribute(c_, "TIOFeatures", 1);
    c_.skip(4);  // fOffset
    const std::int32_t maxBaskets = c_.i32();
    c_.skip(4);  // fSplitLevel
    const std::int64_t entries = c_.i64();
    if (bv.version >= 11) c_.skip(8);  // fFirstEntry
    c_.skip(16);                       // fTotBytes, fZipBytes

    const std::size_t nSub = readObjArrayHeader(c_);
    if (nSub > 0) {
      refuse(named.name, "TBranch", "has " + std::to_string(nSub) + " sub-branches (a split object)");
      skipObject(c_, r);
      return;
    }
    const std::size_t nLeaves = readObjArrayHeader(c_);
    if (nLeaves != 1) {
      refuse(named.name, "TBranch",
             nLeaves == 0 ? std::string("has no leaf")
                          : "is a leaf list " + q(named.title) + " (" + std::to_string(nLeaves) +
                                " leaves in one branch); write one branch per variable");
      skipObject(c_, r);
      return;
    }
    RootBranch branch;
    branch.name = named.name;
    branch.title = named.title;
    std::string refusal;
    {
      const ObjectRef leaf = readObjectAny(c_, classes_);
      if (leaf.kind != ObjectRef::Object) throwInput(t_.where() + ": branch " + q(named.name) + " has a corrupt leaf");
      branch.leafClass = leaf.className;
      const Versioned lv = readVersion(c_, leaf.className.c_str());
      readVersion(c_, "TLeaf");
      readTNamed(c_);
      const std::int32_t len = c_.i32();
      const std::int32_t lenType = c_.i32();
      c_.skip(4);  // fOffset
      c_.skip(1);  // fIsRange
      const bool isUnsigned = c_.u8() != 0;
      const ObjectRef count = readObjectAny(c_, classes_);
      const LeafKind kind = leafKind(leaf.className, isUnsigned);
      if (count.kind != ObjectRef::Null)
        refusal = "is a jagged array " + q(named.title) + " (its length varies per entry); only fixed-size arrays "
                  "like x[3]/F are supported";
      else if (!kind.ok)
        refusal = kind.refusal;
      else if (len <= 0 || static_cast<std::size_t>(len) > kMaxArrayLength)
        refusal = "has " + std::to_string(len) + " values per entry (supported: 1 to " +
                  std::to_string(kMaxArrayLength) + ")";
      else if (lenType != static_cast<std::int32_t>(kind.size))
        refusal = "leaf " + leaf.className + " declares " + std::to_string(lenType) + "-byte values (expected " +
                  std::to_string(kind.size) + ")";
      branch.type = kind.type;
      branch.length = len > 0 ? static_cast<std::size_t>(len) : 1;
      skipToEnd(c_, lv, leaf.className.c_str());
    }

    std::vector<BasketRef> baskets;
    const std::size_t nSlots = readObjArrayHeader(c_);
    std::vector<BasketRef> embedded;
    for (std::size_t i = 0; i < nSlots; ++i) {
      const ObjectRef b = readObjectAny(c_, classes_);
      if (b.kind != ObjectRef::Object) continue;
      if (b.className != "TBasket") throwInput(t_.where() + ": branch " + q(named.name) + " has a corrupt basket list");
      embedded.push_back(readEmbeddedBasket(b, named.name, i));
    }
    if (maxBaskets < 0 || writeBasket < 0 || writeBasket > maxBaskets)
      throwInput(t_.where() + ": branch " + q(named.name) + " has a corrupt basket count (fWriteBasket " +
                 std::to_string(writeBasket) + ", fMaxBaskets " + std::to_string(maxBaskets) + ")");
    const std::size_t nMax = static_cast<std::size_t>(maxBaskets);
    // Sized only once the bytes are known to be there: a corrupt fMaxBaskets must not allocate.
    std::vector<std::int32_t> basketBytes;
    std::vector<std::int64_t> basketEntry, basketSeek;
    if (c_.u8() != 0) {
      basketBytes.resize(c_.arrayLength(maxBaskets, 4, "fBasketBytes"));
      for (auto& v : basketBytes) v = c_.i32();
    }
    if (c_.u8() != 0) {
      basketEntry.resize(c_.arrayLength(maxBaskets, 8, "fBasketEntry"));
      for (auto& v : basketEntry) v = c_.i64();
    }
    if (c_.u8() != 0) {
      basketSeek.resize(c_.arrayLength(maxBaskets, 8, "fBasketSeek"));
      for (auto& v : basketSeek) v = c_.i64();
    }
    const std::string fileName = c_.tstring();
    skipObject(c_, r);
    if (writeBasket > 0 && (basketBytes.size() != nMax || basketEntry.size() != nMax || basketSeek.size() != nMax))
      throwInput(t_.where() + ": branch " + q(named.name) + " has baskets on disk but no basket index");

    if (!refusal.empty()) {
      refuse(named.name, branch.leafClass, refusal);
      return;
    }
    if (!fileName.empty()) {
      refuse(named.name, "TBranch", "keeps its baskets in another file " + q(fileName) + ", which is not followed");
      return;
    }
    std::int64_t next = 0;
    const auto entryAfter = [&](std::size_t i) { return i + 1 < nMax ? basketEntry[i + 1] : entries; };
    const std::size_t nDisk = static_cast<std::size_t>(writeBasket);
    for (std::size_t i = 0; i < nDisk; ++i) {
      BasketRef b;
      b.index = i;
      b.firstEntry = basketEntry[i];
      // Checked before subtracting: corrupt entry numbers must not overflow.
      b.entries = entryAfter(i) >= b.firstEntry && b.firstEntry >= 0 ? entryAfter(i) - b.firstEntry : -1;
      b.seek = basketSeek[i];
      b.nbytes = basketBytes[i];
      if (b.firstEntry != next || b.entries < 0 || b.nbytes <= 0 || b.seek <= 0)
        throwInput(t_.where() + ": branch " + q(named.name) + " has a corrupt basket index (basket " +
                   std::to_string(i) + ": first entry " + std::to_string(b.firstEntry) + ", " +
                   std::to_string(b.entries) + " entries, " + std::to_string(b.nbytes) + " bytes at " +
                   std::to_string(b.seek) + ")");
      next += b.entries;
      baskets.push_back(b);
    }
    for (auto& b : embedded) {
      if (next > std::numeric_limits<std::int64_t>::max() - b.entries)
        throwInput(t_.where() + ": branch " + q(named.name) + " has a corrupt entry count");
      b.firstEntry = next;
      next += b.entries;
      baskets.push_back(b);
    }
    if (next != entries || entries != t_.entries) {
      if (entries > 0 && baskets.empty())
        refuse(named.name, branch.leafClass,
               "has " + std::to_string(entries) + " entries but no baskets (the file was not closed properly?)");
      else
        refuse(named.name, branch.leafClass,
               "has " + std::to_string(next) + " entries in its baskets, " + std::to_string(entries) +
                   " in its header and the tree has " + std::to_string(t_.entries) +
                   " (a branch filled separately from the tree, or a corrupt file)");
      return;
    }
    const std::size_t b = t_.branches.size();
    const auto names = branch.length == 1 ? std::vector<std::string>{branch.name}
                                          : elementNames(branch.name, branch.title, branch.length);
    for (std::size_t e = 0; e < names.size(); ++e) t_.columns.push_back({names[e], b, e, branch.type});
    t_.branches.push_back(std::move(branch));
    t_.baskets.push_back(std::move(baskets));
  }

  BasketRef readEmbeddedBasket(const ObjectRef& r, const std::string& branch, std::size_t slot) {
    BasketRef b;
    b.embedded = true;
    b.index = slot;
    const KeyHeader key = readKey(c_);
    const std::uint16_t basketVersion = c_.u16();
    c_.skip(4);  // fBufferSize
    const std::int32_t nevBufSize = c_.i32();
    if (nevBufSize < 0) c_.skip(1);  // fIOBits
    const std::int32_t nev = c_.i32();
    const std::int32_t last = c_.i32();
    const std::uint8_t flag = c_.u8();
    const std::string what = t_.where() + ": branch " + q(branch) + ", basket " + std::to_string(slot) +
                             " (stored inside the TTree object)";
    if (nev < 0 || last < 0) throwInput(what + " is corrupt");
    b.entries = nev;
    if (flag == 0) {
      if (nev != 0) throwInput(what + " has entries but no data");
    } else {
      if (flag % 10 != 2 && nev > 0) c_.skip(c_.arrayLength(c_.i32(), 4, "entry offsets") * 4);
      if (flag > 40) c_.skip(c_.arrayLength(c_.i32(), 4, "displacements") * 4);
      if (flag == 1 || flag > 10) {
        if (basketVersion <= 1) c_.skip(4);
        const std::size_t keyLen = static_cast<std::size_t>(key.keyLen);
        const std::size_t lastBytes = static_cast<std::size_t>(last);
        if (keyLen > lastBytes) throwInput(what + " is corrupt (fLast " + std::to_string(last) + " < key length)");
        const unsigned char* buffer = c_.bytes(lastBytes);
        b.data = std::make_shared<const std::vector<unsigned char>>(buffer + keyLen, buffer + lastBytes);
      } else if (nev != 0) {
        throwInput(what + " has entries but no data");
      }
    }
    skipObject(c_, r);
    return b;
  }

  RootTree::Impl& t_;
  Cursor& c_;
  ClassMap classes_;
};

}  // namespace

RootTree RootFile::tree(std::string_view nameIn) const {
  const Impl& f = *impl_;
  std::string name(nameIn);
  int wantCycle = -1;
  if (const auto semi = name.rfind(';'); semi != std::string::npos) {
    int cyc = 0;
    const auto [p, ec] = std::from_chars(name.data() + semi + 1, name.data() + name.size(), cyc);
    if (ec == std::errc() && p == name.data() + name.size()) {
      wantCycle = cyc;
      name.resize(semi);
    }
  }
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  std::vector<std::string> available;
  for (const auto& t : f.trees) available.push_back(t.path);
  // For error messages only (a file may hold thousands of keys).
  const auto list = [&] { return available.empty() ? std::string("none") : str::join(available, ", "); };

  if (std::find(f.rntuples.begin(), f.rntuples.end(), name) != f.rntuples.end() ||
      (name.empty() && f.trees.empty() && !f.rntuples.empty()))
    throwInput(f.where() + ": " + q(name.empty() ? f.rntuples.front() : name) + " is an RNTuple (" + f.writtenBy() +
               "); RNTuple is not supported, only TTrees are (trees in this file: " + list() + ")");
  std::string path;
  if (name.empty()) {
    if (f.trees.size() != 1)
      throwInput(f.where() + (f.trees.empty() ? std::string(" has no TTree")
                                              : " has " + std::to_string(f.trees.size()) + " trees (" + list() +
                                                    "); choose one as '" + f.path + ":TREE'"));
    path = f.trees.front().path;
  } else if (std::find(available.begin(), available.end(), name) != available.end()) {
    path = name;
  } else {
    // A bare name also finds a tree in a subdirectory when no other tree has that name.
    std::vector<std::string> matches;
    if (name.find('/') == std::string::npos)
      for (const auto& p : available)
        if (p.ends_with("/" + name)) matches.push_back(p);
    if (matches.empty())
      throwInput(f.where() + " has no tree " + q(name) + " (trees: " + list() + ")" +
                 (available.empty() ? std::string() : ", closest: " + q(str::closest(name, available))));
    if (matches.size() > 1)
      throwInput(f.where() + ": tree name " + q(name) + " is ambiguous (" + str::join(matches, ", ") +
                 "); give its directory");
    path = matches.front();
  }
  const TreeLocation* loc = nullptr;
  for (const auto& t : f.allTrees)
    if (t.key.path == path && (wantCycle < 0 ? (!loc || t.key.cycle > loc->key.cycle) : t.key.cycle == wantCycle))
      loc = &t;
  if (!loc) throwInput(f.where() + " has no cycle " + std::to_string(wantCycle) + " of tree " + q(path));

  auto t = std::make_shared<RootTree::Impl>();
  t->file = impl_;
  t->name = path;
  t->className = loc->key.className;
  t->cycle = loc->key.cycle;
  const auto raw = f.readAt(loc->seekKey, loc->nbytes, f.where() + ": key of tree " + q(path));
  const std::string w = t->where();
  Cursor kc(raw.data(), raw.size(), 0, w);
  const KeyHeader key = readKey(kc);
  if (key.keyLen > key.nbytes || key.nbytes != loc->nbytes)
    throwInput(w + ": corrupt key (" + std::to_string(key.nbytes) + " bytes, key length " +
               std::to_string(key.keyLen) + ", directory says " + std::to_string(loc->nbytes) + ")");
  const std::size_t payload = static_cast<std::size_t>(key.nbytes - key.keyLen);
  const unsigned char* p = raw.data() + key.keyLen;
  // The TTree object lives only while it is parsed: what the tree keeps is its branch list and
  // copies of the embedded baskets.
  std::vector<unsigned char> object;
  if (payload == static_cast<std::size_t>(key.objLen)) object.assign(p, p + payload);
  else object = rootDecompress(p, payload, static_cast<std::size_t>(key.objLen), w + " (TTree object)");
  Cursor c(object.data(), object.size(), static_cast<std::size_t>(key.keyLen), w);
  TreeParser(*t, c).parseTree();
  return RootTree(std::move(t));
}

RootTree::RootTree(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
const std::string& RootTree::filePath() const { return impl_->file->path; }
const std::string& RootTree::name() const { return impl_->name; }
int RootTree::cycle() const { return impl_->cycle; }
std::int64_t RootTree::entries() const { return impl_->entries; }
const std::vector<RootBranch>& RootTree::branches() const { return impl_->branches; }
const std::vector<RootColumn>& RootTree::columns() const { return impl_->columns; }
const std::vector<RootUnsupportedBranch>& RootTree::unsupported() const { return impl_->unsupported; }
const std::string& RootTree::friendWarning() const { return impl_->friendWarning; }
std::string RootTree::where() const { return impl_->where(); }

std::vector<std::string> RootTree::columnNames() const {
  std::vector<std::string> out;
  out.reserve(impl_->columns.size());
  for (const auto& c : impl_->columns) out.push_back(c.name);
  return out;
}

std::ptrdiff_t RootTree::column(std::string_view name) const {
  for (std::size_t i = 0; i < impl_->columns.size(); ++i)
    if (impl_->columns[i].name == name) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

const RootUnsupportedBranch* RootTree::unsupportedBranch(std::string_view name) const {
  const std::string_view base = name.substr(0, name.find('['));
  for (const auto& u : impl_->unsupported)
    if (u.name == name || u.name == base) return &u;
  return nullptr;
}

std::string RootTree::refusal(const RootUnsupportedBranch& u) const {
  return where() + ", branch " + q(u.name) + " (" + u.className + ") " + u.reason;
}

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
