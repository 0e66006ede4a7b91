#include "hepsweep/io/Hdf5.hpp"

#include <hdf5.h>
#include <libdeflate.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "Hdf5Driver.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"

namespace hepsweep::io::h5 {

// The public header holds ids without including <hdf5.h>.
static_assert(std::is_same_v<Id, hid_t>, "io::h5::Id must be HDF5's hid_t");
static_assert(kInvalidId == H5I_INVALID_HID);

namespace {

herr_t collectError(unsigned n, const H5E_error2_t* e, void* out) {
  auto* s = static_cast<std::string*>(out);
  // The innermost entries say what went wrong ("unable to open file"), deeper ones why.
  if (n < 3 && e->desc && *e->desc) {
    if (!s->empty()) s->append("; ");
    s->append(e->desc);
  }
  return 0;
}

template <class T> hid_t memType() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int8_t>) return H5T_NATIVE_INT8;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  else static_assert(sizeof(T) == 0, "unsupported HDF5 element type");
}

// File type: little-endian IEEE / two's complement, so files are identical across hosts.
template <class T> hid_t fileType() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  else if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  else if constexpr (std::is_same_v<T, std::int8_t>) return H5T_STD_I8LE;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5T_STD_I32LE;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_STD_I64LE;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
  else static_assert(sizeof(T) == 0, "unsupported HDF5 element type");
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throwIo(what + ": " + errorStack());
  return id;
}
void check(herr_t rc, const std::string& what, int) {
  if (rc < 0) throwIo(what + ": " + errorStack());
}

Handle stringType() {
  Handle t(check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
  H5Tset_size(t.id(), H5T_VARIABLE);
  H5Tset_cset(t.id(), H5T_CSET_UTF8);
  return t;
}

// Chunked + shuffle + deflate datasets for arrays big enough to benefit; small ones contiguous.
Handle datasetCreateProps(std::span<const hsize_t> dims, bool compress, std::size_t elemSize) {
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  // Object timestamps off: identical content must give identical bytes.
  H5Pset_obj_track_times(dcpl.id(), false);
  hsize_t total = 1;
  for (auto d : dims) total *= d;
  if (compress && total >= 1024) {
    std::vector<hsize_t> chunk(dims.begin(), dims.end());
    // About 256 KiB per chunk along the first dimension.
    hsize_t rowElems = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) rowElems *= dims[i];
    const hsize_t rows = std::max<hsize_t>(1, (256 * 1024) / (elemSize * std::max<hsize_t>(rowElems, 1)));
    chunk[0] = std::min(dims[0], rows);
    H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl.id());
    H5Pset_deflate(dcpl.id(), 4);
  }
  return dcpl;
}

Handle objectFor(const Group& g, const std::string& object) {
  if (object.empty()) return Handle(check(H5Oopen(g.id(), ".", H5P_DEFAULT), "open " + g.where("")));
  return Handle(check(H5Oopen(g.id(), object.c_str(), H5P_DEFAULT), "open " + g.where(object)));
}

Handle openAttr(const Group& g, const std::string& name, const std::string& object) {
  Handle obj = objectFor(g, object);
  return Handle(check(H5Aopen(obj.id(), name.c_str(), H5P_DEFAULT),
                      "attribute '" + name + "' of " + g.where(object)));
}

void replaceAttr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
}

Handle linkCreateProps() {
  Handle lcpl(check(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"));
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  return lcpl;
}

// The dataset of RowAppender and ChunkWriter: 0 rows, growing along the first dimension, chunks
// of chunkRows rows, shuffle + deflate unless the level is 0.
Handle createRowDataset(const Group& parent, const std::string& name, hid_t fileType, std::size_t cols,
                        std::size_t chunkRows, int deflateLevel) {
  const std::string where = parent.where(name);
  if (deflateLevel < 0 || deflateLevel > 9)
    throwConfig("deflate level " + std::to_string(deflateLevel) + " for " + where + " is not in 0-9");
  std::vector<hsize_t> dims{0}, maxDims{H5S_UNLIMITED}, chunk{chunkRows};
  if (cols > 0) { dims.push_back(cols); maxDims.push_back(cols); chunk.push_back(cols); }
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxDims.data()), "H5Screate"));
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(dcpl.id(), false);
  H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data());
  if (deflateLevel > 0) {
    H5Pset_shuffle(dcpl.id());
    H5Pset_deflate(dcpl.id(), static_cast<unsigned>(deflateLevel));
  }
  Handle lcpl = linkCreateProps();
  return Handle(check(H5Dcreate2(parent.id(), name.c_str(), fileType, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                      "create dataset " + where));
}

// HDF5's shuffle filter: byte k of element i goes to position k * n + i (n elements).
void shuffle(const std::byte* in, std::size_t n, std::size_t elemSize, std::byte* out) {
  if (elemSize == 4 && std::endian::native == std::endian::little) {
    // The float32 case, one 32-bit load per element instead of four byte loads.
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t v;
      std::memcpy(&v, in + 4 * i, 4);
      out[i] = static_cast<std::byte>(v);
      out[n + i] = static_cast<std::byte>(v >> 8);
      out[2 * n + i] = static_cast<std::byte>(v >> 16);
      out[3 * n + i] = static_cast<std::byte>(v >> 24);
    }
    return;
  }
  for (std::size_t k = 0; k < elemSize; ++k)
    for (std::size_t i = 0; i < n; ++i) out[k * n + i] = in[i * elemSize + k];
}

}  // namespace

namespace {
// A file whose H5Fclose failed stays registered in a broken state; closing the library would crash.
std::atomic<bool> gFileCloseFailed{false};
}  // namespace

std::string nameTarget(std::string message, const AtomicOutput& out) {
  const std::string tmp = out.temporary().string(), target = out.target().string();
  if (message.find("errno = 28,") != std::string::npos || message.find("No space left on device") != std::string::npos)
    return "cannot write '" + target + "': no space left on the device";
  if (message.find("errno = 122,") != std::string::npos) return "cannot write '" + target + "': disk quota exceeded";
  for (std::size_t at = message.find(tmp); at != std::string::npos; at = message.find(tmp, at + target.size()))
    message.replace(at, tmp.size(), target);
  return message;
}

void startLibrary() {
  H5dont_atexit();
  silenceErrors();
}

void shutdownLibrary() {
  if (!gFileCloseFailed.load()) H5close();
}

void silenceErrors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string errorStack() {
  std::string s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collectError, &s);
  H5Eclear2(H5E_DEFAULT);
  return s.empty() ? "HDF5 error" : s;
}

Handle::~Handle() {
  if (valid()) {
    switch (H5Iget_type(id_)) {
      case H5I_FILE:
        if (H5Fclose(id_) < 0) gFileCloseFailed = true;
        break;
      case H5I_GROUP: H5Gclose(id_); break;
      case H5I_DATASET: H5Dclose(id_); break;
      case H5I_DATASPACE: H5Sclose(id_); break;
      case H5I_DATATYPE: H5Tclose(id_); break;
      case H5I_ATTR: H5Aclose(id_); break;
      case H5I_GENPROP_LST: H5Pclose(id_); break;
      default: H5Idec_ref(id_); break;
    }
  }
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    Handle tmp(std::move(*this));
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::close() {
  if (!valid()) return;
  herr_t rc = 0;
  const H5I_type_t type = H5Iget_type(id_);
  switch (type) {
    case H5I_FILE: rc = H5Fclose(id_); break;
    case H5I_GROUP: rc = H5Gclose(id_); break;
    case H5I_DATASET: rc = H5Dclose(id_); break;
    default: rc = H5Idec_ref(id_) < 0 ? -1 : 0; break;
  }
  const bool file = type == H5I_FILE;
  id_ = H5I_INVALID_HID;
  if (rc < 0) {
    if (file) gFileCloseFailed = true;
    throwIo("closing HDF5 object failed: " + errorStack());
  }
}

std::string Group::where(const std::string& name) const {
  std::string p = path_;
  if (!name.empty()) {
    if (p.empty() || p.back() != '/') p += '/';
    p += name;
  }
  return file_ + ":" + (p.empty() ? "/" : p);
}

Group Group::createGroup(const std::string& name) const {
  Handle lcpl = linkCreateProps();
  Handle gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(gcpl.id(), false);
  Handle g(check(H5Gcreate2(id(), name.c_str(), lcpl.id(), gcpl.id(), H5P_DEFAULT), "create group " + where(name)));
  return Group(std::move(g), path_ == "/" ? "/" + name : path_ + "/" + name, file_);
}

Group Group::openGroup(const std::string& name) const {
  if (!exists(name)) throwIo("missing group " + where(name));
  Handle g(check(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "open group " + where(name)));
  return Group(std::move(g), path_ == "/" ? "/" + name : path_ + "/" + name, file_);
}

bool Group::exists(const std::string& name) const {
  // Check each component so that "a/b" with a missing "a" is false, not an error.
  std::string prefix;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    prefix = name.substr(0, slash);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* n, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(n);
    return 0;
  };
  hsize_t idx = 0;
  check(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names), "list " + where(""), 0);
  return names;
}

template <class T>
void Group::write(const std::string& name, std::span<const T> v, bool compress) const {
  const hsize_t dims[1] = {v.size()};
  write2d<T>(name, v.data(), v.size(), 0, compress);
  (void)dims;
}

template <class T>
void Group::write2d(const std::string& name, const T* data, std::size_t rows, std::size_t cols, bool compress) const {
  std::vector<hsize_t> dims{rows};
  if (cols > 0) dims.push_back(cols);
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "H5Screate"));
  Handle dcpl = datasetCreateProps(dims, compress && rows > 0, sizeof(T));
  Handle lcpl = linkCreateProps();
  Handle ds(check(H5Dcreate2(id(), name.c_str(), fileType<T>(), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                  "create dataset " + where(name)));
  if (rows > 0)
    check(H5Dwrite(ds.id(), memType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + where(name), 0);
}

void Group::writeStrings(const std::string& name, std::span<const std::string> v) const {
  std::vector<const char*> ptrs;
  ptrs.reserve(v.size());
  for (const auto& s : v) ptrs.push_back(s.c_str());
  const hsize_t dims[1] = {v.size()};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "H5Screate"));
  Handle type = stringType();
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(dcpl.id(), false);
  Handle lcpl = linkCreateProps();
  Handle ds(check(H5Dcreate2(id(), name.c_str(), type.id(), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                  "create dataset " + where(name)));
  if (v.empty()) return;
  // HDF5 converts variable-length strings through a type-conversion and a background buffer of
  // the transfer's buffer size, 1 MiB each by default and zero-filled on every write: for a list
  // of a few names that was most of the cost of writing them (16 % of a convert). Size the
  // buffers to the list instead (64 bytes per string covers the 16-byte vlen records).
  Handle dxpl(check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"));
  check(H5Pset_buffer(dxpl.id(), v.size() * 64, nullptr, nullptr), "H5Pset_buffer", 0);
  check(H5Dwrite(ds.id(), type.id(), H5S_ALL, H5S_ALL, dxpl.id(), ptrs.data()), "write " + where(name), 0);
}

void Group::writeScalar(const std::string& name, double v) const {
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(dcpl.id(), false);
  Handle lcpl = linkCreateProps();
  Handle ds(check(H5Dcreate2(id(), name.c_str(), H5T_IEEE_F64LE, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                  "create dataset " + where(name)));
  check(H5Dwrite(ds.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v), "write " + where(name), 0);
}

void Group::writeScalar(const std::string& name, std::int64_t v) const {
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(dcpl.id(), false);
  Handle lcpl = linkCreateProps();
  Handle ds(check(H5Dcreate2(id(), name.c_str(), H5T_STD_I64LE, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                  "create dataset " + where(name)));
  check(H5Dwrite(ds.id(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v), "write " + where(name), 0);
}

std::vector<std::size_t> Group::shape(const std::string& name) const {
  if (!exists(name)) throwIo("missing dataset " + where(name));
  Handle ds(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open " + where(name)));
  Handle space(check(H5Dget_space(ds.id()), "H5Dget_space"));
  const int nd = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(nd, 0)));
  if (nd > 0) H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

template <class T>
std::vector<T> Group::read(const std::string& name) const {
  std::size_t rows = 0, cols = 0;
  return read2d<T>(name, rows, cols);
}

template <class T>
std::vector<T> Group::read2d(const std::string& name, std::size_t& rows, std::size_t& cols) const {
  const auto dims = shape(name);
  if (dims.size() > 2) throwIo(where(name) + " has " + std::to_string(dims.size()) + " dimensions, expected 1 or 2");
  rows = dims.empty() ? 1 : dims[0];
  cols = dims.size() == 2 ? dims[1] : 0;
  std::vector<T> out(rows * std::max<std::size_t>(cols, 1));
  Handle ds(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open " + where(name)));
  if (!out.empty())
    check(H5Dread(ds.id(), memType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + where(name), 0);
  return out;
}

template <class T>
std::vector<T> Group::readRows(const std::string& name, std::size_t first, std::size_t count) const {
  const auto dims = shape(name);
  if (dims.empty() || dims.size() > 2) throwIo(where(name) + " is not a 1-D or 2-D dataset");
  if (first + count > dims[0])
    throwIo("rows [" + std::to_string(first) + ", " + std::to_string(first + count) + ") out of range for " +
            where(name) + " with " + std::to_string(dims[0]) + " rows");
  const std::size_t cols = dims.size() == 2 ? dims[1] : 1;
  std::vector<T> out(count * cols);
  if (count == 0) return out;
  Handle ds(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open " + where(name)));
  Handle fspace(check(H5Dget_space(ds.id()), "H5Dget_space"));
  std::vector<hsize_t> start{first}, cnt{count};
  if (dims.size() == 2) { start.push_back(0); cnt.push_back(cols); }
  check(H5Sselect_hyperslab(fspace.id(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr), "select rows", 0);
  Handle mspace(check(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), "H5Screate"));
  check(H5Dread(ds.id(), memType<T>(), mspace.id(), fspace.id(), H5P_DEFAULT, out.data()), "read " + where(name), 0);
  return out;
}

template <class T>
BlockReader<T>::BlockReader(const Group& parent, const std::string& name) : where_(parent.where(name)) {
  ds_ = Handle(check(H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT), "open " + where_));
  fspace_ = Handle(check(H5Dget_space(ds_.id()), "H5Dget_space"));
  rank_ = H5Sget_simple_extent_ndims(fspace_.id());
  if (rank_ < 1 || rank_ > 2) throwIo(where_ + " is not a 1-D or 2-D dataset");
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(fspace_.id(), dims, nullptr);
  rows_ = dims[0];
  cols_ = rank_ == 2 ? dims[1] : 1;
  Handle dcpl(check(H5Dget_create_plist(ds_.id()), "H5Dget_create_plist"));
  if (H5Pget_layout(dcpl.id()) == H5D_CHUNKED) {
    hsize_t chunk[2] = {0, 0};
    if (H5Pget_chunk(dcpl.id(), 2, chunk) == rank_) chunkRows_ = chunk[0];
  }
}

template <class T>
void BlockReader<T>::read(std::size_t first, std::size_t count, T* out) const {
  if (first > rows_ || count > rows_ - first)
    throwIo("rows [" + std::to_string(first) + ", " + std::to_string(first + count) + ") out of range for " + where_ +
            " with " + std::to_string(rows_) + " rows");
  if (count == 0) return;
  const hsize_t start[2] = {first, 0}, cnt[2] = {count, cols_};
  check(H5Sselect_hyperslab(fspace_.id(), H5S_SELECT_SET, start, nullptr, cnt, nullptr), "select rows", 0);
  Handle mspace(check(H5Screate_simple(rank_, cnt, nullptr), "H5Screate"));
  check(H5Dread(ds_.id(), memType<T>(), mspace.id(), fspace_.id(), H5P_DEFAULT, out), "read " + where_, 0);
}

ChunkDecoder::ChunkDecoder() : d_(libdeflate_alloc_decompressor()) {
  if (!d_) throw Error(ErrorCategory::Internal, "libdeflate: cannot allocate a decompressor (out of memory)");
}

ChunkDecoder::~ChunkDecoder() { libdeflate_free_decompressor(d_); }

ChunkDecoder::ChunkDecoder(ChunkDecoder&& o) noexcept : d_(o.d_), inflated_(std::move(o.inflated_)) { o.d_ = nullptr; }

ChunkDecoder& ChunkDecoder::operator=(ChunkDecoder&& o) noexcept {
  if (this != &o) {
    libdeflate_free_decompressor(d_);
    d_ = o.d_;
    o.d_ = nullptr;
    inflated_ = std::move(o.inflated_);
  }
  return *this;
}

namespace {

// HDF5's shuffle stores byte j of element i at j * n + i (n = size / elemSize elements; the bytes
// past n * elemSize stay where they are); this puts them back.
void unshuffle(const std::byte* in, std::size_t size, std::size_t elemSize, std::byte* out) {
  const std::size_t n = size / elemSize;
  std::size_t i = 0;
#if defined(__SSE2__)
  if (elemSize == 4) {
    // 16 elements at a time: interleave the four byte planes (8-bit, then 16-bit unpacks).
    const auto* p = reinterpret_cast<const unsigned char*>(in);
    auto* q = reinterpret_cast<unsigned char*>(out);
    for (; i + 16 <= n; i += 16) {
      const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n + i));
      const __m128i b2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * n + i));
      const __m128i b3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 3 * n + i));
      const __m128i lo01 = _mm_unpacklo_epi8(b0, b1), hi01 = _mm_unpackhi_epi8(b0, b1);
      const __m128i lo23 = _mm_unpacklo_epi8(b2, b3), hi23 = _mm_unpackhi_epi8(b2, b3);
      auto* o = reinterpret_cast<__m128i*>(q + 4 * i);
      _mm_storeu_si128(o, _mm_unpacklo_epi16(lo01, lo23));
      _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(lo01, lo23));
      _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(hi01, hi23));
      _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(hi01, hi23));
    }
  }
#endif
  for (; i < n; ++i)
    for (std::size_t j = 0; j < elemSize; ++j) out[i * elemSize + j] = in[j * n + i];
  std::memcpy(out + n * elemSize, in + n * elemSize, size - n * elemSize);
}

}  // namespace

void ChunkDecoder::decode(std::span<const std::byte> stored, bool deflated, bool shuffled, std::size_t elemSize,
                          std::span<std::byte> out, const std::string& where) {
  // As HDF5's filter: no shuffle for 1-byte elements or a chunk of one element.
  shuffled = shuffled && elemSize > 1 && out.size() / elemSize > 1;
  const std::byte* plain = stored.data();
  std::size_t size = stored.size();
  if (deflated) {
    std::byte* dst = out.data();
    if (shuffled) {
      inflated_.resize(out.size());
      dst = inflated_.data();
    }
    std::size_t got = 0;
    const libdeflate_result r = libdeflate_zlib_decompress(d_, stored.data(), stored.size(), dst, out.size(), &got);
    if (r != LIBDEFLATE_SUCCESS || got != out.size())
      throwIo(where + ": a chunk does not inflate to its " + std::to_string(out.size()) + " bytes (" +
              (r == LIBDEFLATE_BAD_DATA ? std::string("corrupt deflate stream") : r == LIBDEFLATE_SUCCESS ?
               std::to_string(got) + " bytes" : std::string("the stream is longer")) + "): the file is damaged");
    if (!shuffled) return;
    plain = dst;
    size = got;
  }
  if (size != out.size())
    throwIo(where + ": a chunk holds " + std::to_string(size) + " bytes, expected " + std::to_string(out.size()) +
            ": the file is damaged");
  if (shuffled) unshuffle(plain, size, elemSize, out.data());
  else if (plain != out.data()) std::memcpy(out.data(), plain, size);
}

template <class T>
ChunkReader<T>::ChunkReader(const Group& parent, const std::string& name) : where_(parent.where(name)) {
  ds_ = Handle(check(H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT), "open " + where_));
  const Handle space(check(H5Dget_space(ds_.id()), "H5Dget_space"));
  rank_ = H5Sget_simple_extent_ndims(space.id());
  if (rank_ < 1 || rank_ > 2) throwIo(where_ + " is not a 1-D or 2-D dataset");
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  rows_ = dims[0];
  cols_ = rank_ == 2 ? dims[1] : 1;
  const Handle type(check(H5Dget_type(ds_.id()), "H5Dget_type"));
  const Handle dcpl(check(H5Dget_create_plist(ds_.id()), "H5Dget_create_plist"));
  if (H5Tequal(type.id(), fileType<T>()) <= 0 || H5Tequal(type.id(), memType<T>()) <= 0) return;
  if (H5Pget_layout(dcpl.id()) != H5D_CHUNKED) return;
  hsize_t chunk[2] = {0, 0};
  if (H5Pget_chunk(dcpl.id(), 2, chunk) != rank_ || chunk[0] == 0 || (rank_ == 2 && chunk[1] != cols_)) return;
  H5D_fill_value_t fill = H5D_FILL_VALUE_UNDEFINED;
  if (H5Pfill_value_defined(dcpl.id(), &fill) < 0 || fill == H5D_FILL_VALUE_USER_DEFINED) return;
  const int filters = H5Pget_nfilters(dcpl.id());
  if (filters < 0) return;
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, cd[8] = {};
    std::size_t ncd = 8;
    const H5Z_filter_t id = H5Pget_filter2(dcpl.id(), static_cast<unsigned>(i), &flags, &ncd, cd, 0, nullptr, nullptr);
    // Undone in reverse order: shuffle must come before deflate in the pipeline.
    if (id == H5Z_FILTER_SHUFFLE && !shuffle_ && !deflate_) {
      shuffle_ = true;
      shuffleIndex_ = i;
    } else if (id == H5Z_FILTER_DEFLATE && !deflate_) {
      deflate_ = true;
      deflateIndex_ = i;
    } else {
      return;
    }
  }
  chunkRows_ = chunk[0];
  decodable_ = true;
}

template <class T>
void ChunkReader<T>::readStored(std::size_t c, Stored& out) const {
  if (!decodable_ || c >= chunks()) throw Error(ErrorCategory::Internal, "ChunkReader: chunk " + std::to_string(c) + " of " + where_);
  const hsize_t offset[2] = {c * chunkRows_, 0};
  hsize_t bytes = 0;
  check(H5Dget_chunk_storage_size(ds_.id(), offset, &bytes), "chunk size in " + where_, 0);
  out.allocated = bytes > 0;
  out.filterMask = 0;
  out.bytes.resize(bytes);
  if (bytes == 0) return;
  check(H5Dread_chunk(ds_.id(), H5P_DEFAULT, offset, &out.filterMask, out.bytes.data()), "read a chunk of " + where_, 0);
}

template <class T>
bool ChunkReader<T>::readPlain(std::size_t c, T* out) const {
  if (!decodable_ || shuffle_ || deflate_ || c >= chunks()) return false;
  const hsize_t offset[2] = {c * chunkRows_, 0};
  hsize_t bytes = 0;
  check(H5Dget_chunk_storage_size(ds_.id(), offset, &bytes), "chunk size in " + where_, 0);
  if (bytes != chunkRows_ * cols_ * sizeof(T)) return false;
  std::uint32_t mask = 0;
  check(H5Dread_chunk(ds_.id(), H5P_DEFAULT, offset, &mask, out), "read a chunk of " + where_, 0);
  return true;
}

template <class T>
void ChunkReader<T>::decode(const Stored& s, ChunkDecoder& d, T* out) const {
  const std::size_t bytes = chunkRows_ * cols_ * sizeof(T);
  if (!s.allocated) {
    std::memset(static_cast<void*>(out), 0, bytes);
    return;
  }
  const bool deflated = deflate_ && !(s.filterMask & (1u << deflateIndex_));
  const bool shuffled = shuffle_ && !(s.filterMask & (1u << shuffleIndex_));
  d.decode(s.bytes, deflated, shuffled, sizeof(T), {reinterpret_cast<std::byte*>(out), bytes}, where_);
}

std::vector<std::string> Group::readStrings(const std::string& name) const {
  const auto dims = shape(name);
  const std::size_t n = dims.empty() ? 1 : dims[0];
  Handle ds(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open " + where(name)));
  Handle ftype(check(H5Dget_type(ds.id()), "H5Dget_type"));
  if (H5Tget_class(ftype.id()) != H5T_STRING) throwIo(where(name) + " is not a string dataset");
  std::vector<std::string> out;
  out.reserve(n);
  if (H5Tis_variable_str(ftype.id()) > 0) {
    std::vector<char*> ptrs(n, nullptr);
    Handle mtype = stringType();
    if (n > 0) check(H5Dread(ds.id(), mtype.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + where(name), 0);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    Handle space(check(H5Dget_space(ds.id()), "H5Dget_space"));
    H5Dvlen_reclaim(mtype.id(), space.id(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t len = H5Tget_size(ftype.id());
    std::vector<char> buf(n * len);
    if (n > 0) check(H5Dread(ds.id(), ftype.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + where(name), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * len;
      out.emplace_back(p, strnlen(p, len));
    }
  }
  return out;
}

namespace {

// Adds one dataset to the digest: its path, shape and values.
void digestDataset(const Group& g, const std::string& name, const std::string& path, Sha256& h) {
  const auto dims = g.shape(name);
  h.update(path);
  h.update("\n");
  for (const auto d : dims) {
    const std::uint64_t v = d;
    h.update(&v, sizeof v);
  }
  Handle ds(check(H5Dopen2(g.id(), name.c_str(), H5P_DEFAULT), "open " + g.where(name)));
  Handle ftype(check(H5Dget_type(ds.id()), "H5Dget_type"));
  if (H5Tget_class(ftype.id()) == H5T_STRING) {
    for (const std::string& text : g.readStrings(name)) {
      h.update(text);
      h.update(std::string_view("\0", 1));
    }
    return;
  }
  hsize_t n = 1;
  for (const auto d : dims) n *= d;
  const std::size_t size = H5Tget_size(ftype.id());
  std::vector<unsigned char> buf(static_cast<std::size_t>(n) * size);
  // The stored type itself, so a value is hashed as the bytes the file holds (little-endian here).
  if (n > 0) check(H5Dread(ds.id(), ftype.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + g.where(name), 0);
  h.update(buf.data(), buf.size());
}

void digestGroup(const Group& g, const std::string& prefix, const std::vector<std::string>& skip, Sha256& h) {
  for (const std::string& name : g.children()) {  // H5_INDEX_NAME order: sorted
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    if (std::find(skip.begin(), skip.end(), path) != skip.end()) continue;
    H5O_info_t info;
    check(H5Oget_info_by_name2(g.id(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + g.where(name), 0);
    if (info.type == H5O_TYPE_GROUP) digestGroup(g.openGroup(name), path, skip, h);
    else if (info.type == H5O_TYPE_DATASET) digestDataset(g, name, path, h);
  }
}

}  // namespace

std::string Group::contentDigest(const std::vector<std::string>& skip) const {
  Sha256 h;
  digestGroup(*this, "", skip, h);
  return h.hexDigest();
}

double Group::readScalarDouble(const std::string& name) const {
  const auto v = read<double>(name);
  if (v.size() != 1) throwIo(where(name) + " is not a scalar");
  return v[0];
}

std::int64_t Group::readScalarInt(const std::string& name) const {
  const auto v = read<std::int64_t>(name);
  if (v.size() != 1) throwIo(where(name) + " is not a scalar");
  return v[0];
}

void Group::setAttr(const std::string& name, const std::string& value, const std::string& object) const {
  Handle obj = objectFor(*this, object);
  replaceAttr(obj.id(), name);
  Handle type = stringType();
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle a(check(H5Acreate2(obj.id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute '" + name + "' on " + where(object)));
  const char* p = value.c_str();
  check(H5Awrite(a.id(), type.id(), &p), "write attribute '" + name + "'", 0);
}

void Group::setAttr(const std::string& name, double value, const std::string& object) const {
  Handle obj = objectFor(*this, object);
  replaceAttr(obj.id(), name);
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle a(check(H5Acreate2(obj.id(), name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute '" + name + "' on " + where(object)));
  check(H5Awrite(a.id(), H5T_NATIVE_DOUBLE, &value), "write attribute '" + name + "'", 0);
}

void Group::setAttr(const std::string& name, std::int64_t value, const std::string& object) const {
  Handle obj = objectFor(*this, object);
  replaceAttr(obj.id(), name);
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"));
  Handle a(check(H5Acreate2(obj.id(), name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute '" + name + "' on " + where(object)));
  check(H5Awrite(a.id(), H5T_NATIVE_INT64, &value), "write attribute '" + name + "'", 0);
}

bool Group::hasAttr(const std::string& name, const std::string& object) const {
  if (!object.empty() && !exists(object)) return false;
  Handle obj = objectFor(*this, object);
  const htri_t r = H5Aexists(obj.id(), name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

std::string Group::attrString(const std::string& name, const std::string& object) const {
  Handle a = openAttr(*this, name, object);
  Handle ftype(check(H5Aget_type(a.id()), "H5Aget_type"));
  if (H5Tget_class(ftype.id()) != H5T_STRING) throwIo("attribute '" + name + "' of " + where(object) + " is not a string");
  if (H5Tis_variable_str(ftype.id()) > 0) {
    Handle mtype = stringType();
    char* p = nullptr;
    check(H5Aread(a.id(), mtype.id(), &p), "read attribute '" + name + "'", 0);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const std::size_t len = H5Tget_size(ftype.id());
  std::string s(len, '\0');
  check(H5Aread(a.id(), ftype.id(), s.data()), "read attribute '" + name + "'", 0);
  s.resize(strnlen(s.c_str(), len));
  return s;
}

double Group::attrDouble(const std::string& name, const std::string& object) const {
  Handle a = openAttr(*this, name, object);
  double v = 0;
  check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v), "read attribute '" + name + "'", 0);
  return v;
}

std::int64_t Group::attrInt(const std::string& name, const std::string& object) const {
  Handle a = openAttr(*this, name, object);
  std::int64_t v = 0;
  check(H5Aread(a.id(), H5T_NATIVE_INT64, &v), "read attribute '" + name + "'", 0);
  return v;
}

File File::create(const std::string& path) {
  silenceErrors();
  Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate"));
  H5Pset_obj_track_times(fcpl.id(), false);
  auto status = std::make_shared<WriteStatus>();
  Handle fapl(check(guardedFileAccess(status), "file access properties for '" + path + "'"));
  // Closing the file closes everything in it; no dangling object keeps it half-written.
  H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl.id());
  if (id < 0) {
    const int err = errno;
    throwIo("cannot create HDF5 file '" + path + "': " + errorStack() + (err ? std::string(" (") + std::strerror(err) + ")" : ""));
  }
  File f;
  f.h_ = Handle(id);
  f.path_ = "/";
  f.file_ = path;
  f.writes_ = std::move(status);
  // The root group's own timestamp is not covered by the file creation property list.
  return f;
}

// Closing (or dropping after an error) a file whose writes failed must complete: the driver is
// told, so that it records failures from here on instead of returning them.
File::~File() {
  if (writes_) writes_->closing = true;
}

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    if (writes_) writes_->closing = true;
    Group::operator=(std::move(o));
    writes_ = std::move(o.writes_);
  }
  return *this;
}

File File::open(const std::string& path, Mode mode) {
  silenceErrors();
  if (::access(path.c_str(), R_OK) != 0) throwIo("cannot open '" + path + "': " + std::strerror(errno));
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throwIo("'" + path + "' is not an HDF5 file");
  }
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"));
  H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
  const hid_t id = H5Fopen(path.c_str(), mode == Mode::ReadOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl.id());
  if (id < 0) throwIo("cannot open HDF5 file '" + path + "': " + errorStack());
  File f;
  f.h_ = Handle(id);
  f.path_ = "/";
  f.file_ = path;
  return f;
}

void File::flush() const { check(H5Fflush(id(), H5F_SCOPE_GLOBAL), "flush " + file_, 0); }

void File::close() {
  if (writes_) writes_->closing = true;
  errno = 0;
  try {
    h_.close();
  } catch (const Error& e) {
    // The file's data go out on close: a full disk shows here first.
    const std::string what = e.what();
    const bool full = errno == ENOSPC || what.find("errno = 28,") != std::string::npos;
    const bool quota = errno == EDQUOT || what.find("errno = 122,") != std::string::npos;
    throwIo("cannot finish writing '" + file_ + "': " +
            (full ? std::string("no space left on the device") : quota ? std::string("disk quota exceeded") : what));
  }
  // The driver completes the close after a failed write and says what failed.
  if (writes_ && !writes_->failure.empty()) throwIo(writes_->failure);
}

template <class T>
RowAppender<T>::RowAppender(const Group& parent, const std::string& name, std::size_t cols, std::size_t chunkRows,
                            int deflateLevel)
    : ds_(createRowDataset(parent, name, fileType<T>(), cols, chunkRows, deflateLevel)),
      where_(parent.where(name)),
      cols_(cols) {}

template <class T>
void RowAppender<T>::append(const T* data, std::size_t nRows) {
  if (nRows == 0) return;
  std::vector<hsize_t> newDims{rows_ + nRows}, start{rows_}, count{nRows};
  if (cols_ > 0) { newDims.push_back(cols_); start.push_back(0); count.push_back(cols_); }
  check(H5Dset_extent(ds_.id(), newDims.data()), "extend " + where_, 0);
  Handle fspace(check(H5Dget_space(ds_.id()), "H5Dget_space"));
  check(H5Sselect_hyperslab(fspace.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), "select", 0);
  Handle mspace(check(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), "H5Screate"));
  check(H5Dwrite(ds_.id(), memType<T>(), mspace.id(), fspace.id(), H5P_DEFAULT, data), "write " + where_, 0);
  rows_ += nRows;
}

ChunkCompressor::ChunkCompressor(int deflateLevel) : level_(deflateLevel) {
  if (deflateLevel < 0 || deflateLevel > 9)
    throwConfig("deflate level " + std::to_string(deflateLevel) + " is not in 0-9");
  if (deflateLevel > 0) {
    c_ = libdeflate_alloc_compressor(deflateLevel);
    if (!c_) throw std::bad_alloc();
  }
}

ChunkCompressor::~ChunkCompressor() {
  if (c_) libdeflate_free_compressor(c_);
}

ChunkCompressor::ChunkCompressor(ChunkCompressor&& o) noexcept
    : level_(o.level_), c_(std::exchange(o.c_, nullptr)), shuffled_(std::move(o.shuffled_)) {}

ChunkCompressor& ChunkCompressor::operator=(ChunkCompressor&& o) noexcept {
  if (this != &o) {
    if (c_) libdeflate_free_compressor(c_);
    level_ = o.level_;
    c_ = std::exchange(o.c_, nullptr);
    shuffled_ = std::move(o.shuffled_);
  }
  return *this;
}

void ChunkCompressor::compress(std::span<const std::byte> data, std::size_t chunkBytes, std::size_t elemSize,
                               std::vector<std::byte>& out) {
  if (data.size() > chunkBytes || elemSize == 0 || chunkBytes % elemSize != 0)
    throw Error(ErrorCategory::Internal, "ChunkCompressor: " + std::to_string(data.size()) + " bytes for a chunk of " +
                                             std::to_string(chunkBytes) + " in elements of " + std::to_string(elemSize));
  if (!c_) {
    out.assign(data.begin(), data.end());
    out.resize(chunkBytes, std::byte{0});
    return;
  }
  // The zero rows past the data go through the filters like the rest (HDF5 pads a partial chunk
  // with the fill value, 0, before filtering it).
  std::span<const std::byte> whole = data;
  if (data.size() < chunkBytes) {
    out.assign(data.begin(), data.end());
    out.resize(chunkBytes, std::byte{0});
    whole = out;
  }
  shuffled_.resize(chunkBytes);
  shuffle(whole.data(), chunkBytes / elemSize, elemSize, shuffled_.data());
  out.resize(libdeflate_zlib_compress_bound(c_, chunkBytes));
  const std::size_t n = libdeflate_zlib_compress(c_, shuffled_.data(), chunkBytes, out.data(), out.size());
  if (n == 0) throw Error(ErrorCategory::Internal, "libdeflate: compressed chunk larger than its bound");
  out.resize(n);
}

template <class T>
ChunkWriter<T>::ChunkWriter(const Group& parent, const std::string& name, std::size_t cols, std::size_t chunkRows,
                            int deflateLevel)
    : ds_(createRowDataset(parent, name, fileType<T>(), cols, chunkRows, deflateLevel)),
      where_(parent.where(name)),
      cols_(cols),
      chunkRows_(chunkRows) {}

template <class T>
void ChunkWriter<T>::write(std::span<const std::byte> filtered, std::size_t nRows) {
  if (nRows == 0) return;
  if (nRows > chunkRows_ || rows_ % chunkRows_ != 0)
    throw Error(ErrorCategory::Internal, where_ + ": chunk of " + std::to_string(nRows) + " rows after " +
                                             std::to_string(rows_) + " rows, chunks of " + std::to_string(chunkRows_));
  std::vector<hsize_t> newDims{rows_ + nRows}, offset{rows_};
  if (cols_ > 0) { newDims.push_back(cols_); offset.push_back(0); }
  check(H5Dset_extent(ds_.id(), newDims.data()), "extend " + where_, 0);
  check(H5Dwrite_chunk(ds_.id(), H5P_DEFAULT, 0, offset.data(), filtered.size(), filtered.data()), "write " + where_, 0);
  rows_ += nRows;
}

#define HEPSWEEP_H5_INSTANTIATE(T)                                                                   \
  template void Group::write<T>(const std::string&, std::span<const T>, bool) const;                 \
  template void Group::write2d<T>(const std::string&, const T*, std::size_t, std::size_t, bool) const; \
  template std::vector<T> Group::read<T>(const std::string&) const;                                  \
  template std::vector<T> Group::read2d<T>(const std::string&, std::size_t&, std::size_t&) const;    \
  template std::vector<T> Group::readRows<T>(const std::string&, std::size_t, std::size_t) const;    \
  template class RowAppender<T>;                                                                     \
  template class BlockReader<T>;                                                                     \
  template class ChunkWriter<T>;                                                                     \
  template class ChunkReader<T>;

HEPSWEEP_H5_INSTANTIATE(float)
HEPSWEEP_H5_INSTANTIATE(double)
HEPSWEEP_H5_INSTANTIATE(std::int8_t)
HEPSWEEP_H5_INSTANTIATE(std::uint8_t)
HEPSWEEP_H5_INSTANTIATE(std::int32_t)
HEPSWEEP_H5_INSTANTIATE(std::int64_t)
HEPSWEEP_H5_INSTANTIATE(std::uint64_t)
#undef HEPSWEEP_H5_INSTANTIATE

}  // namespace hepsweep::io::h5
