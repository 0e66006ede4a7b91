#pragma once
// Private to the ROOT reader (src/io/Root*.cpp): the bounds-checked cursor every read of the file
// goes through, the streamer primitives built on it (byte counts and class versions, TObject,
// TNamed, object references and their class map, TObjArray headers, key headers; spec sections 0,
// 3 and 5 of ../shared/formats/root-flat-ttree.md), leaf kinds, and what the file, tree and row
// reader parts share: the tree locations found in the directories and the basket references.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::io::rootfmt {

// Nested directories deeper than this are treated as corrupt (a cycle of directory records).
constexpr int kMaxDirectoryDepth = 32;
// A fixed-size array per entry with more elements than this would make more columns than any
// classifier input; refusing it also bounds memory for a corrupt fLen.
constexpr std::size_t kMaxArrayLength = 4096;

std::string q(std::string_view s);

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

Versioned readVersion(Cursor& c, const char* cls);

void skipToEnd(Cursor& c, const Versioned& v, const char* cls);

void readTObject(Cursor& c);

struct Named {
  std::string name, title;
};

Named readTNamed(Cursor& c);

// TAttLine/TAttFill/TAttMarker: skipped, by byte count or by their fixed sizes in old files.
void skipAttribute(Cursor& c, const char* cls, std::size_t fixedSize);

// Spec section 5: a pointer member (ReadObjectAny) and the class map it builds.
struct ObjectRef {
  enum Kind { Null, Reference, Object } kind = Null;
  std::string className;
  std::size_t end = 0;  // valid when hasEnd
  bool hasEnd = false;
};

using ClassMap = std::map<std::uint64_t, std::string>;

ObjectRef readObjectAny(Cursor& c, ClassMap& classes);

void skipObject(Cursor& c, const ObjectRef& r);

// TObjArray header; returns the number of slots that follow.
std::size_t readObjArrayHeader(Cursor& c);

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

KeyHeader readKey(Cursor& c);

// ROOT's version number as it prints it: 62406 -> "6.24/06".
std::string versionText(int v);

// seek + length for a position in the file. Both come from the file, and a crafted 64-bit seek near
// INT64_MAX must end in Error(Input), not in a signed overflow (undefined behaviour).
std::int64_t offsetAfter(std::int64_t seek, std::int64_t length, const std::string& what);

bool isTreeClass(const std::string& c);
bool isDirectoryClass(const std::string& c);
bool isRNTupleClass(const std::string& c);

struct LeafKind {
  bool ok = false;
  RootType type = RootType::Float;
  std::size_t size = 0;
  std::string refusal;
};

LeafKind leafKind(const std::string& cls, bool isUnsigned);

// "x[2][3]/F" -> {2, 3}; empty when the title has no dimensions.
std::vector<std::size_t> titleDimensions(const std::string& title);

// Column names of an array branch's elements, by the title's dimensions when they multiply to
// `length` ("x[1][2]"), else by one index ("x[5]").
std::vector<std::string> elementNames(const std::string& branch, const std::string& title, std::size_t length);

// A tree key found in a directory (every cycle): where its TTree object lies.
struct TreeLocation {
  RootTreeKey key;
  std::int64_t seekKey = 0;
  std::int32_t nbytes = 0;
};

// One basket of a branch: on disk (seek, nbytes) or embedded in the TTree object (data).
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

}  // namespace hepsweep::io::rootfmt
