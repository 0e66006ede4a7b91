#pragma once
// A minimal writer of ROOT files for the reader's tests: it lays out the bytes the way ROOT 6
// does (file header, TFile key, directory records, key lists, TTree/TBranch/TLeaf streamers,
// TBasket keys, compressed blocks), following ../shared/formats/root-flat-ttree.md and ROOT's
// io/doc/TFile. Independent of the reader (no shared code), so a layout mistake in one is not
// mirrored in the other; the real files in ../shared/data check both against ROOT itself.
// Crafted variants (jagged leaves, leaf lists, TBranchElement, unknown codecs, ...) are built by
// setting the fields below. Layouts: small files (32-bit seeks) and big ones (fVersion >= 1000000,
// 64-bit seeks in the header, keys and directory records), objects and baskets placed past 2 GiB
// (writeFile leaves the zeros before them as a hole, so the file costs no disk space), baskets
// after everything else (so a cut inside them leaves the tree and the key lists whole), nested
// directories.
#include <lz4.h>
#include <lzma.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace hepsweep::rootw {

enum class Codec { None, Zlib, Lzma, Lz4, Zstd };

// Big-endian bytes of one value.
template <class T>
std::string be(T v) {
  using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                               std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                  std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  U u = std::bit_cast<U>(v);
  std::string s(sizeof(T), '\0');
  for (std::size_t i = 0; i < sizeof(T); ++i) s[sizeof(T) - 1 - i] = static_cast<char>((u >> (8 * i)) & 0xFF);
  return s;
}

// Concatenated big-endian bytes of `values` (one branch's entries).
template <class T>
std::string column(const std::vector<T>& values) {
  std::string s;
  for (const T& v : values) s += be(v);
  return s;
}

struct Branch {
  std::string name;
  std::string leafClass = "TLeafF";  // TLeafO/B/S/I/L/G/F/D, or refused ones (TLeafF16, TLeafC, ...)
  std::string title;                 // default: name + "/F"-like suffix is not needed by the reader
  std::string branchClass = "TBranch";
  int version = 13;
  bool isUnsigned = false;
  int length = 1;       // fLen: values per entry
  int valueSize = 4;    // fLenType: bytes per value
  int nLeaves = 1;      // > 1: a leaf list
  bool jagged = false;  // fLeafCount set
  int subBranches = 0;
  std::string fileName;
  std::string data;                 // all entries, big-endian, entries * length * valueSize bytes
  std::vector<int> basketEntries;   // entries per on-disk basket
  int embeddedEntries = 0;          // entries in a basket stored inside the TTree object
};

struct Tree {
  std::string name = "T";
  std::string title = "test tree";
  std::string dir;  // subdirectory ("" = top; "a/b" = directory b inside directory a)
  std::string className = "TTree";
  int version = 20;
  int cycle = 1;
  std::int64_t entries = 0;
  bool friends = false;
  bool unreadableFriends = false;  // fFriends refers to a class that was never named (corrupt)
  std::vector<Branch> branches;
};

struct File {
  std::vector<Tree> trees;
  std::vector<std::string> rntuples;  // key names of class ROOT::RNTuple
  Codec codec = Codec::Zlib;
  std::vector<Codec> codecs;  // if set, block i of every object uses codecs[i % size] (mixed codecs)
  std::size_t blockSize = 0xFFFFFF;  // uncompressed bytes per compressed block
  int rootVersion = 62600;
  bool bigFile = false;  // 64-bit layout: header fVersion + 1000000, TKey 1004, TDirectory 1005
  // Non-zero: the trees, directories and key lists start at this offset (zeros before it).
  std::uint64_t objectsAt = 0;
  // Non-zero: every on-disk basket is written at this offset and after, behind everything else;
  // zero: each tree's baskets just before the tree, as ROOT writes them.
  std::uint64_t basketsAt = 0;
};

// Byte offsets of the fixed file header fields (fEND is i32 in small files, i64 in big ones).
constexpr std::size_t kHeaderEnd = 12;

// A branch of `leaf` holding `values` (`length` per entry), laid out as real files are: two
// on-disk baskets of different sizes and about a fifth of the entries in a basket embedded in the
// TTree object (a single entry: one basket on disk). Set basketEntries/embeddedEntries to change it.
template <class T>
Branch branch(const std::string& name, const std::string& leaf, const std::vector<T>& values, int length = 1) {
  Branch b;
  b.name = name;
  b.leafClass = leaf;
  b.length = length;
  b.valueSize = static_cast<int>(sizeof(T));
  if constexpr (std::is_same_v<T, bool>) {
    for (bool x : values) b.data += static_cast<char>(x ? 1 : 0);
  } else {
    b.isUnsigned = std::is_integral_v<T> && std::is_unsigned_v<T>;
    b.data = column(values);
  }
  const int entries = static_cast<int>(values.size()) / length;
  b.embeddedEntries = entries >= 2 ? std::max(1, entries / 5) : 0;
  const int disk = entries - b.embeddedEntries;
  const int first = (disk + 1) / 2;
  if (disk > 0) b.basketEntries = first == disk ? std::vector<int>{disk} : std::vector<int>{first, disk - first};
  return b;
}

namespace detail {

class Buf {
 public:
  std::string b;
  std::size_t keyLen = 0;  // origin of object references
  std::map<std::string, std::uint32_t> classTags;

  template <class T>
  void put(T v) { b += be(v); }
  void str(const std::string& s) {
    if (s.size() < 255) {
      put<std::uint8_t>(static_cast<std::uint8_t>(s.size()));
    } else {
      put<std::uint8_t>(255);
      put<std::int32_t>(static_cast<std::int32_t>(s.size()));
    }
    b += s;
  }
  std::size_t beginCount() {
    const std::size_t at = b.size();
    put<std::uint32_t>(0);
    return at;
  }
  void endCount(std::size_t at) {
    const std::string v = be<std::uint32_t>(static_cast<std::uint32_t>(b.size() - at - 4) | 0x40000000u);
    b.replace(at, 4, v);
  }
  std::size_t versioned(std::uint16_t version) {
    const std::size_t at = beginCount();
    put<std::uint16_t>(version);
    return at;
  }
  void tobject() {
    put<std::uint16_t>(1);
    put<std::uint32_t>(0);
    put<std::uint32_t>(0x03000000);
  }
  void named(const std::string& name, const std::string& title) {
    const auto at = versioned(1);
    tobject();
    str(name);
    str(title);
    endCount(at);
  }
  // WriteObjectAny: byte count, then a new-class tag with the name or a reference to it.
  std::size_t beginObject(const std::string& cls) {
    const std::size_t at = beginCount();
    const auto it = classTags.find(cls);
    if (it != classTags.end()) {
      put<std::uint32_t>(0x80000000u | it->second);
    } else {
      classTags[cls] = static_cast<std::uint32_t>(b.size() + keyLen + 2);
      put<std::uint32_t>(0xFFFFFFFFu);
      b += cls;
      b += '\0';
    }
    return at;
  }
  void objArrayHeader(std::int32_t n) {
    const auto at = versioned(3);
    tobject();
    str("");
    put<std::int32_t>(n);
    put<std::int32_t>(0);
    pendingArrays.push_back(at);
  }
  void endObjArray() {
    endCount(pendingArrays.back());
    pendingArrays.pop_back();
  }
  std::vector<std::size_t> pendingArrays;
};

inline std::string compressBlock(Codec codec, const std::string& in) {
  std::string out, magic;
  std::uint8_t method = 0;
  switch (codec) {
    case Codec::Zlib: {
      uLongf n = compressBound(static_cast<uLong>(in.size()));
      out.resize(n);
      compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()),
                static_cast<uLong>(in.size()), 6);
      out.resize(n);
      magic = "ZL";
      method = 8;
      break;
    }
    case Codec::Lzma: {
      out.resize(in.size() + 1024);
      std::size_t pos = 0;
      if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const std::uint8_t*>(in.data()),
                                  in.size(), reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK)
        throw std::runtime_error("lzma encode");
      out.resize(pos);
      magic = "XZ";
      method = 0;
      break;
    }
    case Codec::Lz4: {
      std::string raw(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(in.size()))), '\0');
      const int n = LZ4_compress_default(in.data(), raw.data(), static_cast<int>(in.size()), static_cast<int>(raw.size()));
      raw.resize(static_cast<std::size_t>(n));
      out = be<std::uint64_t>(XXH64(raw.data(), raw.size(), 0)) + raw;
      magic = "L4";
      method = 1;
      break;
    }
    case Codec::Zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
      magic = "ZS";
      method = 1;
      break;
    }
    case Codec::None: return in;
  }
  std::string h = magic;
  h += static_cast<char>(method);
  for (std::size_t v : {out.size(), in.size()})
    for (int k = 0; k < 3; ++k) h += static_cast<char>((v >> (8 * k)) & 0xFF);
  return h + out;
}

// ROOT stores an object raw when compression does not make it smaller.
inline std::string compress(const File& f, const std::string& in) {
  if ((f.codecs.empty() && f.codec == Codec::None) || in.empty()) return in;
  std::string out;
  std::size_t block = 0;
  for (std::size_t at = 0; at < in.size(); at += f.blockSize, ++block) {
    const Codec c = f.codecs.empty() ? f.codec : f.codecs[block % f.codecs.size()];
    out += compressBlock(c, in.substr(at, f.blockSize));
  }
  return out.size() < in.size() ? out : in;
}

// The bytes of a file as segments at increasing offsets; the zeros between segments are not
// held in memory (and not written by writeFile), so a file can reach past 2 GiB.
class Image {
 public:
  std::uint64_t size() const { return segments_.back().at + segments_.back().bytes.size(); }
  void append(const std::string& b) { segments_.back().bytes += b; }
  void padTo(std::uint64_t at) {
    if (at < size()) throw std::runtime_error("RootTestWriter: objects overlap the requested offset " + std::to_string(at));
    if (at > size()) segments_.push_back({at, {}});
  }
  void patch(std::uint64_t at, const std::string& b) {
    for (auto& s : segments_)
      if (at >= s.at && at + b.size() <= s.at + s.bytes.size()) {
        s.bytes.replace(static_cast<std::size_t>(at - s.at), b.size(), b);
        return;
      }
    throw std::runtime_error("RootTestWriter: patch outside the written bytes");
  }
  std::string flat() const {
    if (size() > (std::uint64_t{1} << 28)) throw std::runtime_error("RootTestWriter: use writeFile for files this big");
    std::string out(static_cast<std::size_t>(size()), '\0');
    for (const auto& s : segments_) out.replace(static_cast<std::size_t>(s.at), s.bytes.size(), s.bytes);
    return out;
  }
  void save(const std::string& path) const {
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    for (const auto& s : segments_) {
      o.seekp(static_cast<std::streamoff>(s.at));
      o.write(s.bytes.data(), static_cast<std::streamsize>(s.bytes.size()));
    }
    if (!o) throw std::runtime_error("RootTestWriter: cannot write " + path);
  }

 private:
  struct Segment {
    std::uint64_t at;
    std::string bytes;
  };
  std::vector<Segment> segments_{Segment{0, {}}};
};

struct Key {
  std::string cls, name, title;
  std::int32_t objLen = 0;
  std::int64_t seek = 0;
  std::int32_t nbytes = 0;
  std::int16_t cycle = 1;
  std::int64_t seekPdir = 100;
};

inline std::string keyHeader(const Key& k, std::int16_t keyLen, bool big = false) {
  Buf b;
  b.put<std::int32_t>(k.nbytes);
  b.put<std::int16_t>(big ? 1004 : 4);
  b.put<std::int32_t>(k.objLen);
  b.put<std::uint32_t>(0x7A000000);
  b.put<std::int16_t>(keyLen);
  b.put<std::int16_t>(k.cycle);
  if (big) {
    b.put<std::int64_t>(k.seek);
    b.put<std::int64_t>(k.seekPdir);
  } else {
    b.put<std::int32_t>(static_cast<std::int32_t>(k.seek));
    b.put<std::int32_t>(static_cast<std::int32_t>(k.seekPdir));
  }
  b.str(k.cls);
  b.str(k.name);
  b.str(k.title);
  return b.b;
}

inline std::int16_t keyLength(const Key& k, bool big = false) {
  return static_cast<std::int16_t>(keyHeader(k, 0, big).size());
}

// TBasket fields after the key (fVersion .. flag).
inline std::string basketFields(std::int32_t nev, std::int32_t last, std::uint8_t flag, std::int32_t entrySize) {
  Buf b;
  b.put<std::uint16_t>(3);
  b.put<std::int32_t>(32000);
  b.put<std::int32_t>(entrySize);
  b.put<std::int32_t>(nev);
  b.put<std::int32_t>(last);
  b.put<std::uint8_t>(flag);
  return b.b;
}

class Writer {
 public:
  explicit Writer(const File& f) : f_(f) {}

  Image write() {
    // Header and TFile key (with the top directory record), patched at the end.
    out_.append(std::string(100, '\0'));
    Key fileKey{"TFile", "test.root", "", 0, 100, 0, 1, 0};
    Buf named;
    named.str("test.root");
    named.str("");
    const std::int16_t fkl = keyLength(fileKey, f_.bigFile);
    nbytesName_ = fkl + static_cast<std::int32_t>(named.b.size());
    fileKey.objLen = nbytesName_ - fkl + kDirRecord;
    fileKey.nbytes = nbytesName_ + kDirRecord;
    out_.append(keyHeader(fileKey, fkl, f_.bigFile) + named.b);
    const std::uint64_t topDirAt = out_.size();
    out_.append(std::string(kDirRecord, '\0'));
    if (f_.objectsAt) out_.padTo(f_.objectsAt);

    std::map<std::string, std::vector<Key>> keysByDir;
    for (const auto& t : f_.trees) keysByDir[t.dir].push_back(writeTree(t));
    for (const auto& r : f_.rntuples) {
      Key k{"ROOT::RNTuple", r, "", 16, pos(), 0, 1, 100};
      const std::int16_t kl = keyLength(k, bigKey(k.seek));
      k.nbytes = kl + 16;
      out_.append(keyHeader(k, kl, bigKey(k.seek)) + std::string(16, '\x01'));
      keysByDir[""].push_back(k);
    }
    // Every directory on a tree's path, deepest first, so that each directory's key is known
    // before its parent's key list is written.
    std::vector<std::string> dirs;
    for (const auto& t : f_.trees)
      for (std::string d = t.dir; !d.empty(); d = d.rfind('/') == std::string::npos ? "" : d.substr(0, d.rfind('/')))
        if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
    std::stable_sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
      return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
    });
    for (const auto& dir : dirs) {
      // A subdirectory: its key's payload is a directory record pointing to its own key list.
      const auto slash = dir.rfind('/');
      const std::string parent = slash == std::string::npos ? "" : dir.substr(0, slash);
      const std::string name = slash == std::string::npos ? dir : dir.substr(slash + 1);
      Key dk{"TDirectoryFile", name, name, kDirRecord, pos(), 0, 1, 100};
      const bool big = bigKey(dk.seek);
      const std::int16_t kl = keyLength(dk, big);
      dk.nbytes = kl + kDirRecord;
      const std::uint64_t recordAt = out_.size() + static_cast<std::uint64_t>(kl);
      out_.append(keyHeader(dk, kl, big) + std::string(kDirRecord, '\0'));
      const auto [seekKeys, nbytesKeys] = writeKeyList(keysByDir[dir], name);
      out_.patch(recordAt, dirRecord(nbytesKeys, seekKeys, dk.seek));
      keysByDir[parent].push_back(dk);
    }
    const auto [seekKeys, nbytesKeys] = writeKeyList(keysByDir[""], "test.root");
    out_.patch(topDirAt, dirRecord(nbytesKeys, seekKeys, 100));
    if (f_.basketsAt) {
      out_.padTo(f_.basketsAt);
      out_.append(pendingBaskets_);
    }

    Buf h;
    h.b = "root";
    h.put<std::int32_t>(f_.rootVersion + (f_.bigFile ? 1000000 : 0));
    h.put<std::int32_t>(100);
    if (f_.bigFile) {
      h.put<std::int64_t>(static_cast<std::int64_t>(out_.size()));  // fEND
      h.put<std::int64_t>(0);                                       // fSeekFree
    } else {
      h.put<std::int32_t>(static_cast<std::int32_t>(out_.size()));
      h.put<std::int32_t>(0);
    }
    h.put<std::int32_t>(0);  // fNbytesFree
    h.put<std::int32_t>(0);  // nfree
    h.put<std::int32_t>(nbytesName_);
    h.put<std::uint8_t>(f_.bigFile ? 8 : 4);
    h.put<std::int32_t>(101);
    if (f_.bigFile) h.put<std::int64_t>(0);  // fSeekInfo
    else h.put<std::int32_t>(0);
    h.put<std::int32_t>(0);
    out_.patch(0, h.b);
    return std::move(out_);
  }

 private:
  static constexpr std::int32_t kDirRecord = 60;

  std::int64_t pos() const { return static_cast<std::int64_t>(out_.size()); }
  // As ROOT: 64-bit seeks in every key of a big file, and in any key beyond 2 GiB.
  bool bigKey(std::int64_t seek) const { return f_.bigFile || seek > 0x7FFFFFFF; }

  std::string dirRecord(std::int32_t nbytesKeys, std::int64_t seekKeys, std::int64_t seekDir) const {
    Buf b;
    b.put<std::int16_t>(f_.bigFile ? 1005 : 5);
    b.put<std::uint32_t>(0);
    b.put<std::uint32_t>(0);
    b.put<std::int32_t>(nbytesKeys);
    b.put<std::int32_t>(nbytesName_);
    if (f_.bigFile) {
      b.put<std::int64_t>(seekDir);
      b.put<std::int64_t>(0);
      b.put<std::int64_t>(seekKeys);
    } else {
      b.put<std::int32_t>(static_cast<std::int32_t>(seekDir));
      b.put<std::int32_t>(0);
      b.put<std::int32_t>(static_cast<std::int32_t>(seekKeys));
    }
    b.b.resize(kDirRecord, '\0');
    return b.b;
  }

  std::pair<std::int64_t, std::int32_t> writeKeyList(const std::vector<Key>& keys, const std::string& dirName) {
    Buf body;
    body.put<std::int32_t>(static_cast<std::int32_t>(keys.size()));
    for (const auto& k : keys) body.b += keyHeader(k, keyLength(k, bigKey(k.seek)), bigKey(k.seek));
    Key self{"TFile", dirName, "", 0, pos(), 0, 1, 100};
    const bool big = bigKey(self.seek);
    const std::int16_t kl = keyLength(self, big);
    self.objLen = static_cast<std::int32_t>(body.b.size());
    self.nbytes = kl + self.objLen;
    out_.append(keyHeader(self, kl, big) + body.b);
    return {self.seek, self.nbytes};
  }

  // One on-disk basket (its key is 64-bit in every file, as ROOT writes TBasket keys); returns
  // its key (seek, nbytes).
  Key writeBasket(const Tree& t, const Branch& br, const std::string& data, int nev) {
    const std::int64_t at = f_.basketsAt ? static_cast<std::int64_t>(f_.basketsAt + pendingBaskets_.size()) : pos();
    Key k{"TBasket", br.name, t.name, 0, at, 0, 1, 100};
    const std::int16_t kl = static_cast<std::int16_t>(keyLength(k, true) + basketFields(0, 0, 0, 0).size());
    const std::string payload = compress(f_, data);
    k.objLen = static_cast<std::int32_t>(data.size());
    k.nbytes = kl + static_cast<std::int32_t>(payload.size());
    const std::string bytes = keyHeader(k, kl, true) +
                              basketFields(nev, kl + static_cast<std::int32_t>(data.size()), 2, br.length * br.valueSize) +
                              payload;
    if (f_.basketsAt) pendingBaskets_ += bytes;
    else out_.append(bytes);
    return k;
  }

  Key writeTree(const Tree& t) {
    struct Disk {
      std::vector<std::int32_t> bytes;
      std::vector<std::int64_t> entry, seek;
    };
    std::vector<Disk> disk(t.branches.size());
    for (std::size_t i = 0; i < t.branches.size(); ++i) {
      const Branch& br = t.branches[i];
      const std::size_t entrySize = static_cast<std::size_t>(br.length * br.valueSize);
      std::int64_t first = 0;
      for (int nev : br.basketEntries) {
        const std::string data = br.data.substr(static_cast<std::size_t>(first) * entrySize,
                                                static_cast<std::size_t>(nev) * entrySize);
        const Key k = writeBasket(t, br, data, nev);
        disk[i].bytes.push_back(k.nbytes);
        disk[i].entry.push_back(first);
        disk[i].seek.push_back(k.seek);
        first += nev;
      }
    }

    Key key{t.className, t.name, t.title, 0, 0, 0, static_cast<std::int16_t>(t.cycle), 100};
    const bool bigTreeKey = bigKey(pos());
    const std::int16_t kl = keyLength(key, bigTreeKey);
    Buf b;
    b.keyLen = static_cast<std::size_t>(kl);
    const bool ntuple = t.className != "TTree";
    const std::size_t outer = ntuple ? b.versioned(2) : 0;
    const auto tv = b.versioned(static_cast<std::uint16_t>(t.version));
    b.named(t.name, t.title);
    auto att = b.versioned(2);
    b.put<std::int16_t>(1), b.put<std::int16_t>(1), b.put<std::int16_t>(1);
    b.endCount(att);
    att = b.versioned(2);
    b.put<std::int16_t>(0), b.put<std::int16_t>(1001);
    b.endCount(att);
    att = b.versioned(2);
    b.put<std::int16_t>(1), b.put<std::int16_t>(1), b.put<float>(1.0f);
    b.endCount(att);
    b.put<std::int64_t>(t.entries);
    for (int k = 0; k < 4; ++k) b.put<std::int64_t>(0);  // TotBytes .. FlushedBytes
    b.put<double>(1.0);
    for (int k = 0; k < 4; ++k) b.put<std::int32_t>(0);  // TimerInterval .. DefaultEntryOffsetLen
    b.put<std::uint32_t>(0);                             // NClusterRange
    for (int k = 0; k < 6; ++k) b.put<std::int64_t>(0);  // MaxEntries .. Estimate
    b.put<std::uint8_t>(0);
    b.put<std::uint8_t>(0);
    if (t.version >= 20) {
      const auto io = b.versioned(1);
      b.put<std::uint8_t>(0);
      b.endCount(io);
    }

    b.objArrayHeader(static_cast<std::int32_t>(t.branches.size()));
    for (std::size_t i = 0; i < t.branches.size(); ++i) writeBranch(b, t, t.branches[i], disk[i]);
    b.endObjArray();
    b.objArrayHeader(0);  // fLeaves
    b.endObjArray();
    b.put<std::uint32_t>(0);  // fAliases
    b.put<std::int32_t>(0);   // fIndexValues
    b.put<std::int32_t>(0);   // fIndex
    b.put<std::uint32_t>(0);  // fTreeIndex
    if (t.unreadableFriends) {
      b.put<std::uint32_t>(0x80000000u | 12345u);
    } else if (t.friends) {
      const auto fl = b.beginObject("TList");
      const auto lv = b.versioned(5);
      b.tobject();
      b.str("");
      b.put<std::int32_t>(1);
      b.endCount(lv);
      b.endCount(fl);
    } else {
      b.put<std::uint32_t>(0);
    }
    b.put<std::uint32_t>(0);  // fUserInfo
    b.put<std::uint32_t>(0);  // fBranchRef
    b.endCount(tv);
    if (ntuple) {
      b.put<std::int32_t>(static_cast<std::int32_t>(t.branches.size()));  // TNtuple::fNvar
      b.endCount(outer);
    }

    const std::string payload = compress(f_, b.b);
    key.objLen = static_cast<std::int32_t>(b.b.size());
    key.nbytes = kl + static_cast<std::int32_t>(payload.size());
    key.seek = pos();
    out_.append(keyHeader(key, kl, bigTreeKey) + payload);
    return key;
  }

  template <class D>
  void writeBranch(Buf& b, const Tree& t, const Branch& br, const D& disk) {
    const auto obj = b.beginObject(br.branchClass);
    std::size_t elementVersion = 0;
    if (br.branchClass != "TBranch") elementVersion = b.versioned(10);
    const auto bv = b.versioned(static_cast<std::uint16_t>(br.version));
    b.named(br.name, br.title.empty() ? br.name : br.title);
    if (br.branchClass != "TBranch") {
      // The derived class's own members are never read: the reader names it and skips it.
      b.b += std::string(16, '\0');
      b.endCount(bv);
      b.endCount(elementVersion);
      b.endCount(obj);
      return;
    }
    const auto att = b.versioned(2);
    b.put<std::int16_t>(0), b.put<std::int16_t>(1001);
    b.endCount(att);
    const int nDisk = static_cast<int>(br.basketEntries.size());
    const int maxBaskets = nDisk + 10;
    b.put<std::int32_t>(101);
    b.put<std::int32_t>(32000);
    b.put<std::int32_t>(0);
    b.put<std::int32_t>(nDisk);  // fWriteBasket
    b.put<std::int64_t>(t.entries);
    if (br.version >= 13) {
      const auto io = b.versioned(1);
      b.put<std::uint8_t>(0);
      b.endCount(io);
    }
    b.put<std::int32_t>(0);
    b.put<std::int32_t>(maxBaskets);
    b.put<std::int32_t>(99);
    b.put<std::int64_t>(t.entries);
    if (br.version >= 11) b.put<std::int64_t>(0);
    b.put<std::int64_t>(0);
    b.put<std::int64_t>(0);

    b.objArrayHeader(br.subBranches);
    for (int k = 0; k < br.subBranches; ++k) b.put<std::uint32_t>(0);
    b.endObjArray();

    b.objArrayHeader(br.nLeaves);
    for (int l = 0; l < br.nLeaves; ++l) {
      const auto lo = b.beginObject(br.leafClass);
      const auto lv = b.versioned(1);
      const auto tl = b.versioned(2);
      b.named(br.name, br.name);
      b.put<std::int32_t>(br.length);
      b.put<std::int32_t>(br.valueSize);
      b.put<std::int32_t>(0);
      b.put<std::uint8_t>(0);
      b.put<std::uint8_t>(br.isUnsigned ? 1 : 0);
      if (br.jagged) {
        const auto cnt = b.beginObject("TLeafI");
        const auto cv = b.versioned(1);
        b.endCount(cv);
        b.endCount(cnt);
      } else {
        b.put<std::uint32_t>(0);
      }
      b.endCount(tl);
      b.b += std::string(static_cast<std::size_t>(2 * br.valueSize), '\0');  // fMinimum, fMaximum
      b.endCount(lv);
      b.endCount(lo);
    }
    b.endObjArray();

    const std::size_t entrySize = static_cast<std::size_t>(br.length * br.valueSize);
    const std::int64_t diskEntries = t.entries - br.embeddedEntries;
    b.objArrayHeader(maxBaskets);
    for (int s = 0; s < maxBaskets; ++s) {
      if (s != nDisk || br.embeddedEntries == 0) {
        b.put<std::uint32_t>(0);
        continue;
      }
      // Embedded basket: key header, TBasket fields, then the buffer whose first keyLen bytes
      // stand for the key (ROOT keeps them; the data follow).
      const std::string data =
          br.data.substr(static_cast<std::size_t>(diskEntries) * entrySize, static_cast<std::size_t>(br.embeddedEntries) * entrySize);
      Key k{"TBasket", br.name, t.name, 0, 0, 0, 1, 100};
      const std::int16_t kl = static_cast<std::int16_t>(keyLength(k, f_.bigFile) + basketFields(0, 0, 0, 0).size());
      k.objLen = static_cast<std::int32_t>(data.size());
      const auto bo = b.beginObject("TBasket");
      const std::int32_t last = kl + static_cast<std::int32_t>(data.size());
      b.b += keyHeader(k, kl, f_.bigFile) + basketFields(br.embeddedEntries, last, 12, static_cast<std::int32_t>(entrySize));
      b.b += std::string(static_cast<std::size_t>(kl), '\0') + data;
      b.endCount(bo);
    }
    b.endObjArray();
    b.put<std::uint8_t>(1);
    for (int s = 0; s < maxBaskets; ++s) b.put<std::int32_t>(s < nDisk ? disk.bytes[static_cast<std::size_t>(s)] : 0);
    b.put<std::uint8_t>(1);
    for (int s = 0; s < maxBaskets; ++s)
      b.put<std::int64_t>(s < nDisk ? disk.entry[static_cast<std::size_t>(s)] : s == nDisk ? diskEntries : 0);
    b.put<std::uint8_t>(1);
    for (int s = 0; s < maxBaskets; ++s) b.put<std::int64_t>(s < nDisk ? disk.seek[static_cast<std::size_t>(s)] : 0);
    b.str(br.fileName);
    b.endCount(bv);
    b.endCount(obj);
  }

  const File& f_;
  Image out_;
  std::string pendingBaskets_;  // baskets waiting for File::basketsAt
  std::int32_t nbytesName_ = 0;
};

}  // namespace detail

// The file's bytes (for files that fit in memory).
inline std::string write(const File& f) { return detail::Writer(f).write().flat(); }
// Writes the file to `path`; the zeros before File::objectsAt / basketsAt become a hole.
inline void writeFile(const std::string& path, const File& f) { detail::Writer(f).write().save(path); }

}  // namespace hepsweep::rootw
