// The TTree object (spec sections 4-6 of ../shared/formats/root-flat-ttree.md): branches, leaves,
// basket lists and embedded baskets, parsed once when a tree is opened (RootFile::tree); what
// cannot be read as numbers is recorded by name (RootUnsupportedBranch), never skipped silently.
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
// Tree



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
      throwInput(f.where() + " has no tree " + q(name) + " (trees: " + list() + ")" + str::didYouMean(name, available));
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

}  // namespace hepsweep::io
