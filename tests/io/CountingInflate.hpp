#pragma once
// Counts HDF5's chunk decompressions. HDF5 does not let a program replace its built-in deflate
// filter (H5Zregister refuses predefined ids), so CountingInflate.cpp interposes zlib's
// inflateInit_, which HDF5's deflate filter calls once per chunk it decompresses: a test binary
// that links that file counts every real decompression, a property no timing would show reliably.
namespace hepsweep::iotest {

// Also interposes libdeflate_zlib_decompress, which h5::ChunkDecoder calls once per deflated
// chunk it decodes outside HDF5 (the feature tables of campaigns, `apply`'s blocks).
// inflateInit_ calls in this process so far (HDF5's chunk decompressions; the tests' own gzip
// reading goes through inflateInit2_ and is not counted).
long inflateCount();
// libdeflate_zlib_decompress calls in this process so far (chunks decoded outside HDF5).
long deflateDecodeCount();

}  // namespace hepsweep::iotest
