#pragma once
// Counts HDF5's chunk decompressions. HDF5 does not let a program replace its built-in deflate
// filter (H5Zregister refuses predefined ids), so CountingInflate.cpp interposes zlib's
// inflateInit_, which HDF5's deflate filter calls once per chunk it decompresses: a test binary
// that links that file counts every real decompression, a property no timing would show reliably.
namespace hepsweep::iotest {

// inflateInit_ calls in this process so far (HDF5's chunk decompressions; the tests' own gzip
// reading goes through inflateInit2_ and is not counted).
long inflateCount();

}  // namespace hepsweep::iotest
