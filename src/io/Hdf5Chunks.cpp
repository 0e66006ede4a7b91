// Chunked row I/O outside HDF5's filter pipeline and through it: datasets that grow by rows
// (RowAppender, ChunkWriter with its ChunkCompressor), block reads (BlockReader) and chunks read
// and inflated on any thread (ChunkReader, ChunkDecoder).
#include <libdeflate.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "Hdf5Private.hpp"

namespace hepsweep::io::h5 {

using namespace detail;

namespace {

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

// How many leading byte planes (of `planes`, `n` bytes each) look random: more than 7.7 bits of
// entropy per byte in their byte histogram. Deflate saves under 4 % of such bytes.
std::size_t noisyPlanes(const std::byte* shuffled, std::size_t n, std::size_t planes) {
  std::size_t k = 0;
  for (; k < planes; ++k) {
    std::uint32_t count[256] = {};
    const std::byte* p = shuffled + k * n;
    for (std::size_t i = 0; i < n; ++i) ++count[static_cast<unsigned char>(p[i])];
    double bits = 0;
    for (const std::uint32_t c : count)
      if (c) bits -= static_cast<double>(c) * std::log2(static_cast<double>(c) / static_cast<double>(n));
    if (bits <= 7.7 * static_cast<double>(n)) break;
  }
  return k;
}

// A zlib stream (RFC 1950) of `n` bytes whose first `stored` go in stored deflate blocks (RFC 1951
// 3.2.4: byte-aligned, at most 65535 bytes each, not final) and the rest through libdeflate's raw
// deflate (its last block is final); the Adler-32 covers all of them. Matches in the compressed
// part reach only its own bytes, which the random prefix would not have served anyway.
void zlibWithStoredPrefix(libdeflate_compressor* c, const std::byte* in, std::size_t n, std::size_t stored,
                          std::vector<std::byte>& out) {
  const std::size_t rest = n - stored;
  const std::size_t blocks = std::max<std::size_t>(1, (stored + 65534) / 65535);
  out.resize(2 + blocks * 5 + stored + (rest ? libdeflate_deflate_compress_bound(c, rest) : 0) + 4);
  std::size_t at = 0;
  const auto put = [&](unsigned v) { out[at++] = static_cast<std::byte>(v & 0xff); };
  put(0x78);  // CMF: deflate, 32 KiB window
  put(0x01);  // FLG: no dictionary, (0x78 * 256 + 0x01) % 31 == 0
  for (std::size_t done = 0; done < stored;) {
    const std::size_t len = std::min<std::size_t>(65535, stored - done);
    const bool last = rest == 0 && done + len == stored;
    put(last ? 1u : 0u);  // BFINAL, BTYPE = 00 (stored), then padding to the byte
    put(static_cast<unsigned>(len));
    put(static_cast<unsigned>(len >> 8));
    put(static_cast<unsigned>(~len));
    put(static_cast<unsigned>(~len >> 8));
    std::memcpy(out.data() + at, in + done, len);
    at += len;
    done += len;
  }
  if (rest) {
    const std::size_t m = libdeflate_deflate_compress(c, in + stored, rest, out.data() + at, out.size() - at - 4);
    if (m == 0) throw Error(ErrorCategory::Internal, "libdeflate: compressed chunk larger than its bound");
    at += m;
  }
  const std::uint32_t adler = libdeflate_adler32(1, in, n);
  for (int shift = 24; shift >= 0; shift -= 8) put(adler >> shift);
  out.resize(at);
}

// The rank (1 or 2), rows and columns (1 for 1-D) of a dataset of rows, read through its dataspace.
void readRowShape(const Handle& space, const std::string& where, int& rank, std::size_t& rows, std::size_t& cols) {
  rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 1 || rank > 2) throwIo(where + " is not a 1-D or 2-D dataset");
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  rows = dims[0];
  cols = rank == 2 ? dims[1] : 1;
}

}  // namespace

template <class T>
BlockReader<T>::BlockReader(const Group& parent, const std::string& name) : where_(parent.where(name)) {
  ds_ = Handle(check(H5Dopen2(parent.id(), name.c_str(), H5P_DEFAULT), "open " + where_));
  fspace_ = Handle(check(H5Dget_space(ds_.id()), "H5Dget_space"));
  readRowShape(fspace_, where_, rank_, rows_, cols_);
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
  readRowShape(Handle(check(H5Dget_space(ds_.id()), "H5Dget_space")), where_, rank_, rows_, cols_);
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

ChunkCompressor::ChunkCompressor(int deflateLevel, bool skipNoise) : level_(deflateLevel), skipNoise_(skipNoise) {
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
    : level_(o.level_),
      skipNoise_(o.skipNoise_),
      c_(std::exchange(o.c_, nullptr)),
      shuffled_(std::move(o.shuffled_)),
      lastData_(std::move(o.lastData_)),
      lastOut_(std::move(o.lastOut_)),
      lastChunkBytes_(o.lastChunkBytes_),
      lastElemSize_(o.lastElemSize_) {}

ChunkCompressor& ChunkCompressor::operator=(ChunkCompressor&& o) noexcept {
  if (this != &o) {
    if (c_) libdeflate_free_compressor(c_);
    level_ = o.level_;
    skipNoise_ = o.skipNoise_;
    c_ = std::exchange(o.c_, nullptr);
    shuffled_ = std::move(o.shuffled_);
    lastData_ = std::move(o.lastData_);
    lastOut_ = std::move(o.lastOut_);
    lastChunkBytes_ = o.lastChunkBytes_;
    lastElemSize_ = o.lastElemSize_;
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
  if (skipNoise_ && chunkBytes == lastChunkBytes_ && elemSize == lastElemSize_ && data.size() == lastData_.size() &&
      std::memcmp(data.data(), lastData_.data(), data.size()) == 0) {
    out = lastOut_;
    return;
  }
  shuffled_.resize(chunkBytes);
  shuffle(whole.data(), chunkBytes / elemSize, elemSize, shuffled_.data());
  const std::size_t plane = chunkBytes / elemSize;
  const std::size_t stored = skipNoise_ ? noisyPlanes(shuffled_.data(), plane, elemSize) * plane : 0;
  if (stored == 0) {
    out.resize(libdeflate_zlib_compress_bound(c_, chunkBytes));
    const std::size_t n = libdeflate_zlib_compress(c_, shuffled_.data(), chunkBytes, out.data(), out.size());
    if (n == 0) throw Error(ErrorCategory::Internal, "libdeflate: compressed chunk larger than its bound");
    out.resize(n);
  } else {
    zlibWithStoredPrefix(c_, shuffled_.data(), chunkBytes, stored, out);
  }
  if (skipNoise_) {
    lastData_.assign(data.begin(), data.end());
    lastOut_ = out;
    lastChunkBytes_ = chunkBytes;
    lastElemSize_ = elemSize;
  }
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

#define HEPSWEEP_H5_INSTANTIATE(T) \
  template class RowAppender<T>;    \
  template class BlockReader<T>;    \
  template class ChunkWriter<T>;    \
  template class ChunkReader<T>;

HEPSWEEP_H5_FOR_EACH_TYPE(HEPSWEEP_H5_INSTANTIATE)
#undef HEPSWEEP_H5_INSTANTIATE

}  // namespace hepsweep::io::h5
