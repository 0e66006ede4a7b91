// The ROOT reader's streamer primitives (RootCursor.hpp). Layouts: ../shared/formats/root-flat-ttree.md.
#include "RootCursor.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

#include "hepsweep/core/Strings.hpp"

namespace hepsweep::io::rootfmt {

std::string q(std::string_view s) { return str::quoted(s); }

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

Named readTNamed(Cursor& c) {
  const Versioned v = readVersion(c, "TNamed");
  readTObject(c);
  Named n;
  n.name = c.tstring();
  n.title = c.tstring();
  if (v.hasEnd) c.seek(v.end);
  return n;
}

void skipAttribute(Cursor& c, const char* cls, std::size_t fixedSize) {
  const Versioned v = readVersion(c, cls);
  if (v.hasEnd) c.seek(v.end);
  else c.skip(fixedSize);
}

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

std::size_t readObjArrayHeader(Cursor& c) {
  readVersion(c, "TObjArray");
  readTObject(c);
  c.tstring();
  const std::int32_t n = c.i32();
  c.skip(4);  // lower bound
  return c.arrayLength(n, 4, "TObjArray");
}

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

std::int64_t offsetAfter(std::int64_t seek, std::int64_t length, const std::string& what) {
  if (seek < 0 || length < 0 || seek > std::numeric_limits<std::int64_t>::max() - length)
    throwInput(what + ": corrupt position (byte " + std::to_string(seek) + " + " + std::to_string(length) +
               " is not a file offset)");
  return seek + length;
}

bool isTreeClass(const std::string& c) { return c == "TTree" || c == "TNtuple" || c == "TNtupleD"; }

bool isDirectoryClass(const std::string& c) { return c == "TDirectory" || c == "TDirectoryFile"; }

bool isRNTupleClass(const std::string& c) { return c == "ROOT::RNTuple" || c == "ROOT::Experimental::RNTuple"; }

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

}  // namespace hepsweep::io::rootfmt
