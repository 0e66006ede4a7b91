// The HDF5 library, files, groups, datasets and attributes; the chunked row I/O is in
// Hdf5Chunks.cpp, the content digest in Hdf5Digest.cpp.
#include "hepsweep/io/Hdf5.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "Hdf5Driver.hpp"
#include "Hdf5Private.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::io::h5 {

using namespace detail;

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

}  // namespace

Handle detail::linkCreateProps() {
  Handle lcpl(check(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"));
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  return lcpl;
}

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

bool hasHdf5Signature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  if (!in.read(sig, 8)) return false;
  return std::string(sig, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
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

#define HEPSWEEP_H5_INSTANTIATE(T)                                                                   \
  template void Group::write<T>(const std::string&, std::span<const T>, bool) const;                 \
  template void Group::write2d<T>(const std::string&, const T*, std::size_t, std::size_t, bool) const; \
  template std::vector<T> Group::read<T>(const std::string&) const;                                  \
  template std::vector<T> Group::read2d<T>(const std::string&, std::size_t&, std::size_t&) const;    \
  template std::vector<T> Group::readRows<T>(const std::string&, std::size_t, std::size_t) const;

HEPSWEEP_H5_FOR_EACH_TYPE(HEPSWEEP_H5_INSTANTIATE)
#undef HEPSWEEP_H5_INSTANTIATE

}  // namespace hepsweep::io::h5
