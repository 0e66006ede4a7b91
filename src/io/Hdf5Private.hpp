#pragma once
// What the files of the HDF5 module share and hide from the public header: <hdf5.h>, the memory
// and file types of the element types, the checked call and the link properties. Private to src/io.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::io::h5::detail {

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

// An HDF5 call's id or status, or an Error(Io) with `what` and HDF5's error stack.
inline hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throwIo(what + ": " + errorStack());
  return id;
}
inline void check(herr_t rc, const std::string& what, int) {
  if (rc < 0) throwIo(what + ": " + errorStack());
}

// X(T) for every element type the module's templates are instantiated for (Hdf5.cpp, Hdf5Chunks.cpp).
#define HEPSWEEP_H5_FOR_EACH_TYPE(X) \
  X(float) X(double) X(std::int8_t) X(std::uint8_t) X(std::int32_t) X(std::int64_t) X(std::uint64_t)

// Link creation that makes missing intermediate groups.
Handle linkCreateProps();

}  // namespace hepsweep::io::h5::detail
