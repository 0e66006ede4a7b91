#pragma once
// Move-only owners for HDF5 ids and checked helpers for the few operations hepsweep needs.
// Every failing call throws Error(Io) with the file, the object path and HDF5's own message;
// HDF5's automatic error printing is silenced. Destructors release without throwing.
// The HDF5 C headers stay in src/io: an id is held as Id, which is HDF5's hid_t (checked there).
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

struct libdeflate_compressor;
struct libdeflate_decompressor;

namespace hepsweep::io::h5 {

// HDF5's hid_t (a 64-bit integer since HDF5 1.10; src/io/Hdf5.cpp asserts it), and its invalid id.
using Id = std::int64_t;
inline constexpr Id kInvalidId = -1;

// One owner type for every kind of id; the close function is chosen from the id's type.
class Handle {
 public:
  Handle() = default;
  explicit Handle(Id id) : id_(id) {}
  ~Handle();
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = kInvalidId; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Id id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void close();  // throws on failure (e.g. a flush error on a file)

 private:
  Id id_ = kInvalidId;
};

// Silences HDF5's own error printing for the lifetime of the process (idempotent).
void silenceErrors();

// Message of HDF5's current error stack (innermost first), for exceptions.
std::string errorStack();

class File;

// Whether `path` starts with HDF5's 8-byte signature: an input to read as HDF5 rather than as text
// or ROOT. False when the file cannot be read.
bool hasHdf5Signature(const std::string& path);
class Group {
 public:
  Group() = default;
  Group(Handle h, std::string path, std::string file) : h_(std::move(h)), path_(std::move(path)), file_(std::move(file)) {}
  Id id() const { return h_.id(); }
  const std::string& path() const { return path_; }
  const std::string& fileName() const { return file_; }

  Group createGroup(const std::string& name) const;
  Group openGroup(const std::string& name) const;
  bool exists(const std::string& name) const;  // link exists (name may contain '/')
  std::vector<std::string> children() const;   // link names in creation/name order

  // Whole datasets. `compress`: chunked + shuffle + deflate level 4 for arrays >= 1024 elements.
  template <class T> void write(const std::string& name, std::span<const T> v, bool compress = true) const;
  // 2-D row-major (rows x cols).
  template <class T> void write2d(const std::string& name, const T* data, std::size_t rows, std::size_t cols, bool compress = true) const;
  void writeStrings(const std::string& name, std::span<const std::string> v) const;
  void writeScalar(const std::string& name, double v) const;
  void writeScalar(const std::string& name, std::int64_t v) const;

  template <class T> std::vector<T> read(const std::string& name) const;
  // 2-D dataset: returns data (row-major) and sets rows/cols.
  template <class T> std::vector<T> read2d(const std::string& name, std::size_t& rows, std::size_t& cols) const;
  // Rows [first, first+count) of a 1-D or 2-D dataset (a hyperslab; reads only those rows).
  template <class T> std::vector<T> readRows(const std::string& name, std::size_t first, std::size_t count) const;
  std::vector<std::string> readStrings(const std::string& name) const;
  double readScalarDouble(const std::string& name) const;
  std::int64_t readScalarInt(const std::string& name) const;
  // Shape of a dataset.
  std::vector<std::size_t> shape(const std::string& name) const;
  // SHA-256 (hex) of every dataset below this group, in name order, each as its path, its shape
  // and its values (numbers as little-endian bytes of their stored type, strings as text): what
  // the file holds, independent of how HDF5 laid it out. `skip`: datasets (paths relative to
  // this group) left out. Integrity checks of result files and checkpoints compare it.
  std::string contentDigest(const std::vector<std::string>& skip = {}) const;

  // Attributes on this group (or on a child object when `object` is not empty).
  void setAttr(const std::string& name, const std::string& value, const std::string& object = "") const;
  void setAttr(const std::string& name, double value, const std::string& object = "") const;
  void setAttr(const std::string& name, std::int64_t value, const std::string& object = "") const;
  bool hasAttr(const std::string& name, const std::string& object = "") const;
  std::string attrString(const std::string& name, const std::string& object = "") const;
  double attrDouble(const std::string& name, const std::string& object = "") const;
  std::int64_t attrInt(const std::string& name, const std::string& object = "") const;

  std::string where(const std::string& name) const;  // "file.h5:/group/name" for messages

 protected:
  Handle h_;
  std::string path_;
  std::string file_;
};

struct WriteStatus;

class File : public Group {
 public:
  enum class Mode { ReadOnly, ReadWrite };
  File() = default;
  ~File();
  File(File&&) noexcept = default;
  File& operator=(File&& o) noexcept;
  // Create (truncating) a new file. Files are created without a creation-time stamp inside
  // HDF5's own metadata so that identical content gives identical bytes. A write that fails
  // (disk full, quota, file size limit) throws Error(Io) naming the file and the reason; the file
  // can then still be closed (HDF5 1.10 alone would crash at exit; see src/io/Hdf5Driver.hpp).
  static File create(const std::string& path);
  static File open(const std::string& path, Mode mode = Mode::ReadOnly);
  void flush() const;
  void close();  // closes the file, throwing if that fails or if a write failed (data not written)

 private:
  std::shared_ptr<WriteStatus> writes_;  // files made by create(): what their driver reports
};

// A 2-D (or 1-D when cols == 0) dataset that grows by appending rows: chunked, compressed
// (shuffle + deflate at `deflateLevel`, 1-9; 0: no filter), written chunk by chunk. Used by
// convert and apply to stream without holding the input.
template <class T>
class RowAppender {
 public:
  RowAppender(const Group& parent, const std::string& name, std::size_t cols, std::size_t chunkRows = 8192,
              int deflateLevel = 4);
  void append(const T* rows, std::size_t nRows);  // nRows * max(cols,1) values
  std::size_t rows() const { return rows_; }

 private:
  Handle ds_;
  std::string where_;
  std::size_t cols_;
  std::size_t rows_ = 0;
};

// A 1-D or 2-D dataset opened once for reading blocks of rows into the caller's buffers (no
// allocation per read): the streaming readers of the feature table use it.
template <class T>
class BlockReader {
 public:
  BlockReader(const Group& parent, const std::string& name);
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }  // 1 for a 1-D dataset
  // Rows per chunk along the first dimension (0 for a contiguous dataset). Reading blocks that
  // start at multiples of it decompresses each chunk once.
  std::size_t chunkRows() const { return chunkRows_; }
  // Rows [first, first + count) into out (count x cols values, row-major).
  void read(std::size_t first, std::size_t count, T* out) const;

 private:
  Handle ds_, fspace_;
  std::string where_;
  std::size_t rows_ = 0, cols_ = 1, chunkRows_ = 0;
  int rank_ = 1;
};

// What HDF5's shuffle and deflate filters store for one chunk, made outside HDF5 so that chunks
// can be compressed on several threads and written whole by ChunkWriter. The deflate is
// libdeflate's (3x zlib's speed at a slightly better ratio on float32 ntuples), whose output is a
// standard zlib stream: every HDF5 reader (h5py, h5dump, this library) inflates it with zlib. One
// compressor per thread; the same bytes and level always give the same filtered bytes.
class ChunkCompressor {
 public:
  // deflateLevel 1-9 (libdeflate's levels, 1 fastest), or 0: no filters, the bytes stored as they are.
  // skipNoise: the leading byte planes of the shuffled chunk that look random (more than 7.7 bits
  // of entropy per byte: the low mantissa bytes of float scores) go into the zlib stream as
  // stored blocks instead of through the compressor, which is slowest on them and saves under
  // 4 % of their bytes; and a chunk equal to the one before (constant weights) reuses its
  // filtered bytes. Any zlib reader inflates the same values.
  explicit ChunkCompressor(int deflateLevel, bool skipNoise = false);
  ~ChunkCompressor();
  ChunkCompressor(ChunkCompressor&& o) noexcept;
  ChunkCompressor& operator=(ChunkCompressor&& o) noexcept;
  ChunkCompressor(const ChunkCompressor&) = delete;
  ChunkCompressor& operator=(const ChunkCompressor&) = delete;

  // The filtered bytes of one whole chunk of `chunkBytes` bytes, of which the first `data.size()`
  // are given and the rest are zero (the unused rows of a dataset's last chunk): shuffled by
  // `elemSize`, then deflated. Replaces the contents of `out`.
  void compress(std::span<const std::byte> data, std::size_t chunkBytes, std::size_t elemSize,
                std::vector<std::byte>& out);
  int level() const { return level_; }

 private:
  int level_;
  bool skipNoise_ = false;
  libdeflate_compressor* c_ = nullptr;
  std::vector<std::byte> shuffled_;
  std::vector<std::byte> lastData_, lastOut_;  // skipNoise: the previous chunk and its bytes
  std::size_t lastChunkBytes_ = 0, lastElemSize_ = 0;
};

// A dataset laid out as RowAppender lays it out (chunks of chunkRows rows, shuffle + deflate at
// deflateLevel, growing along the rows), whose chunks arrive already filtered by ChunkCompressor
// and are written whole, in row order (H5Dwrite_chunk): HDF5 only records where each one lies.
template <class T>
class ChunkWriter {
 public:
  ChunkWriter(const Group& parent, const std::string& name, std::size_t cols, std::size_t chunkRows,
              int deflateLevel);
  // Appends the next chunk, which holds `nRows` rows (<= chunkRows; fewer only for the last
  // chunk, whose filtered bytes still cover a whole chunk).
  void write(std::span<const std::byte> filtered, std::size_t nRows);
  std::size_t rows() const { return rows_; }
  // Unfiltered bytes of one whole chunk: what ChunkCompressor::compress takes as chunkBytes.
  std::size_t chunkBytes() const { return chunkRows_ * std::max<std::size_t>(cols_, 1) * sizeof(T); }

 private:
  Handle ds_;
  std::string where_;
  std::size_t cols_;
  std::size_t chunkRows_;
  std::size_t rows_ = 0;
};

// Undoes HDF5's shuffle and deflate filters on a chunk's stored bytes, outside HDF5: libdeflate
// inflates several times faster than zlib (which HDF5's own filter uses), and this runs on any
// thread, where HDF5 calls may not (its serial build takes one global lock). One per thread.
class ChunkDecoder {
 public:
  ChunkDecoder();
  ~ChunkDecoder();
  ChunkDecoder(ChunkDecoder&& o) noexcept;
  ChunkDecoder& operator=(ChunkDecoder&& o) noexcept;
  ChunkDecoder(const ChunkDecoder&) = delete;
  ChunkDecoder& operator=(const ChunkDecoder&) = delete;

  // `stored`: a chunk's bytes as H5Dread_chunk gives them; `deflated`/`shuffled`: whether those
  // filters apply to it (the dataset's pipeline less the chunk's filter mask); `elemSize`: the
  // shuffle's element size. Writes exactly `out.size()` bytes (the chunk's size unfiltered);
  // Error(Io) naming `where` when the stored bytes do not inflate to that size.
  void decode(std::span<const std::byte> stored, bool deflated, bool shuffled, std::size_t elemSize,
              std::span<std::byte> out, const std::string& where);

 private:
  libdeflate_decompressor* d_ = nullptr;
  std::vector<std::byte> inflated_;
};

// The chunks of a 1-D or 2-D dataset read as they are stored (H5Dread_chunk: one read of the
// file, no filter run by HDF5), to be decoded by a ChunkDecoder on any thread. Usable when
// decodable(): chunked along the rows only (a chunk holds whole rows), the filters at most
// shuffle and deflate, and the stored type T's own (little-endian, as convert writes). Otherwise
// read the dataset with BlockReader.
template <class T>
class ChunkReader {
 public:
  ChunkReader(const Group& parent, const std::string& name);
  bool decodable() const { return decodable_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }  // 1 for a 1-D dataset
  std::size_t chunkRows() const { return chunkRows_; }
  std::size_t chunks() const { return chunkRows_ ? (rows_ + chunkRows_ - 1) / chunkRows_ : 0; }
  const std::string& where() const { return where_; }

  struct Stored {
    std::vector<std::byte> bytes;
    std::uint32_t filterMask = 0;  // H5Dread_chunk's: bit i set = filter i skipped for this chunk
    bool allocated = false;        // false: never written (the fill value, zeros)
  };
  // Chunk `c`'s stored bytes (an HDF5 call: one thread at a time).
  void readStored(std::size_t c, Stored& out) const;
  // Without filters a chunk is stored as its values: chunk `c` read straight into `out`
  // (chunkRows() * cols() values), without a decode. False, reading nothing, for a filtered
  // dataset or a chunk never written (then use readStored and decode).
  bool readPlain(std::size_t c, T* out) const;
  // The chunk's values, chunkRows() * cols() of them (rows past rows() in the last chunk are
  // whatever the writer padded with). Any thread, one decoder per thread.
  void decode(const Stored& s, ChunkDecoder& d, T* out) const;

 private:
  Handle ds_;
  std::string where_;
  std::size_t rows_ = 0, cols_ = 1, chunkRows_ = 0;
  int rank_ = 1;
  bool decodable_ = false, shuffle_ = false, deflate_ = false;
  int shuffleIndex_ = -1, deflateIndex_ = -1;  // positions in the filter pipeline
};

// `message` with the temporary's path replaced by the target's; an HDF5 write error caused by a
// full disk or quota becomes "cannot write 'TARGET': no space left on the device".
std::string nameTarget(std::string message, const AtomicOutput& out);

// Write `path` atomically (hepsweep::AtomicOutput): the callback writes a temporary file in the
// same directory, which is flushed to disk and renamed over `path` only when the callback returned
// and the file closed cleanly. On any exception the temporary file is removed and the error rethrown.
// `durability`: see hepsweep::Durability (Transient only for files whose loss costs time alone).
template <class F>
void writeAtomically(const std::string& path, F&& fill, Durability durability = Durability::Durable) {
  AtomicOutput out(path, durability);
  try {
    File f = File::create(out.temporary().string());
    fill(f);
    f.close();
  } catch (const Error& e) {
    // The user knows the final name, not the temporary's; a full disk is said in words.
    throw Error(e.category(), nameTarget(e.what(), out));
  }
  out.commit();
}

// The HDF5 library's lifetime, owned by main(): startLibrary() first (HDF5 must not run its own
// exit-time cleanup, which crashes on a file whose close failed, e.g. on a full disk),
// shutdownLibrary() last: H5close, unless a file failed to close (then the process leaves it to
// the operating system rather than crash).
void startLibrary();
void shutdownLibrary();

}  // namespace hepsweep::io::h5
