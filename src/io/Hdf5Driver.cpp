#include "Hdf5Driver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "hepsweep/core/Error.hpp"

// H5FD_class_t below follows HDF5 1.10's layout (Debian 12); 1.12 and 1.14 changed it.
#if H5_VERSION_GE(1, 12, 0)
#error "src/io/Hdf5Driver.cpp implements the file driver interface of HDF5 1.10; port it to this HDF5"
#endif

namespace hepsweep::io::h5 {
namespace {

// The driver information a file access property list carries: whom to report to.
struct Info {
  std::shared_ptr<WriteStatus> status;
};

struct GuardedFile {
  H5FD_t pub{};  // first: HDF5 knows an open file by this part
  int fd = -1;
  haddr_t eoa = 0;  // end of the address space HDF5 has allocated
  haddr_t eof = 0;  // end of the data written
  dev_t device = 0;
  ino_t inode = 0;
  std::string path;
  std::shared_ptr<WriteStatus> status;
  bool discarding = false;  // a write failed: later writes are dropped
};

// As sec2: the largest offset off_t holds.
constexpr haddr_t kMaxAddr = (haddr_t{1} << 63) - 1;

GuardedFile& self(H5FD_t* f) { return *reinterpret_cast<GuardedFile*>(f); }
const GuardedFile& self(const H5FD_t* f) { return *reinterpret_cast<const GuardedFile*>(f); }

herr_t pushError(hid_t minor, const std::string& message) {
  H5Epush2(H5E_DEFAULT, __FILE__, "hepsweep file driver", __LINE__, H5E_ERR_CLS, H5E_VFL, minor, "%s", message.c_str());
  return -1;
}

// A write, truncate or close that failed: the first one is kept, later writes are dropped, and
// the failure is returned to HDF5 unless the file is being closed (see Hdf5Driver.hpp).
herr_t writeFailed(GuardedFile& f, hid_t minor, const std::string& message) {
  f.discarding = true;
  if (f.status->failure.empty()) f.status->failure = message;
  return f.status->closing ? 0 : pushError(minor, message);
}

std::string errnoText(int e) { return std::strerror(e); }

void* faplCopy(const void* info) { return new (std::nothrow) Info(*static_cast<const Info*>(info)); }
herr_t faplFree(void* info) {
  delete static_cast<Info*>(info);
  return 0;
}
void* faplGet(H5FD_t* file) { return new (std::nothrow) Info{self(file).status}; }

H5FD_t* openFile(const char* name, unsigned flags, hid_t fapl, haddr_t) {
  const auto* info = static_cast<const Info*>(H5Pget_driver_info(fapl));
  if (!name || !*name || !info) {
    pushError(H5E_BADVALUE, "no file name or no driver information");
    return nullptr;
  }
  int mode = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
  if (flags & H5F_ACC_TRUNC) mode |= O_TRUNC;
  if (flags & H5F_ACC_CREAT) mode |= O_CREAT;
  if (flags & H5F_ACC_EXCL) mode |= O_EXCL;
  const int fd = ::open(name, mode | O_CLOEXEC, 0666);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    const int e = errno;
    if (fd >= 0) ::close(fd);
    pushError(H5E_CANTOPENFILE, "cannot open '" + std::string(name) + "': " + errnoText(e));
    errno = e;  // File::create names it
    return nullptr;
  }
  auto* f = new (std::nothrow) GuardedFile;
  if (!f) {
    ::close(fd);
    pushError(H5E_CANTALLOC, "out of memory");
    return nullptr;
  }
  f->fd = fd;
  f->eof = static_cast<haddr_t>(st.st_size);
  f->device = st.st_dev;
  f->inode = st.st_ino;
  f->path = name;
  f->status = info->status;
  return &f->pub;
}

herr_t closeFile(H5FD_t* file) {
  GuardedFile* f = &self(file);
  // close(2) reports write-back errors of network file systems (a quota exceeded on NFS): they
  // are recorded, and File::close throws them, but the close itself must complete.
  if (::close(f->fd) != 0 && !f->discarding && f->status->failure.empty())
    f->status->failure = "cannot close '" + f->path + "': " + errnoText(errno);
  delete f;
  return 0;
}

int compareFiles(const H5FD_t* a, const H5FD_t* b) {
  const GuardedFile &x = self(a), &y = self(b);
  if (x.device != y.device) return x.device < y.device ? -1 : 1;
  if (x.inode != y.inode) return x.inode < y.inode ? -1 : 1;
  return 0;
}

herr_t query(const H5FD_t*, unsigned long* flags) {
  // As sec2: metadata and small raw data are aggregated and accumulated into larger writes.
  if (flags)
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
  return 0;
}

haddr_t getEoa(const H5FD_t* file, H5FD_mem_t) { return self(file).eoa; }
herr_t setEoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  self(file).eoa = addr;
  return 0;
}
haddr_t getEof(const H5FD_t* file, H5FD_mem_t) { return self(file).eof; }

herr_t getHandle(H5FD_t* file, hid_t, void** handle) {
  *handle = &self(file).fd;
  return 0;
}

herr_t readAt(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buffer) {
  const GuardedFile& f = self(file);
  auto* p = static_cast<unsigned char*>(buffer);
  auto offset = static_cast<off_t>(addr);
  while (size > 0) {
    const ssize_t n = ::pread(f.fd, p, std::min<size_t>(size, size_t{1} << 30), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return pushError(H5E_READERROR, "cannot read " + std::to_string(size) + " bytes at offset " +
                                          std::to_string(offset) + " of '" + f.path + "': " + errnoText(errno));
    if (n == 0) {  // past the end of the file: zeros, as sec2 gives
      std::memset(p, 0, size);
      break;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return 0;
}

herr_t writeAt(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, const void* buffer) {
  GuardedFile& f = self(file);
  const haddr_t end = addr + size;
  if (!f.discarding) {
    const auto* p = static_cast<const unsigned char*>(buffer);
    auto offset = static_cast<off_t>(addr);
    for (size_t left = size; left > 0;) {
      const ssize_t n = ::pwrite(f.fd, p, std::min<size_t>(left, size_t{1} << 30), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return writeFailed(f, H5E_WRITEERROR, "cannot write " + std::to_string(size) + " bytes at offset " +
                                                  std::to_string(addr) + " of '" + f.path +
                                                  "': " + (n < 0 ? errnoText(errno) : "nothing written"));
      p += n;
      left -= static_cast<size_t>(n);
      offset += n;
    }
  }
  f.eof = std::max(f.eof, end);
  return 0;
}

herr_t truncateToEoa(H5FD_t* file, hid_t, hbool_t) {
  GuardedFile& f = self(file);
  if (f.discarding || f.eoa == f.eof) return 0;
  if (::ftruncate(f.fd, static_cast<off_t>(f.eoa)) != 0)
    return writeFailed(f, H5E_SEEKERROR, "cannot set the size of '" + f.path + "' to " + std::to_string(f.eoa) +
                                             " bytes: " + errnoText(errno));
  f.eof = f.eoa;
  return 0;
}

const H5FD_class_t kGuardedDriver = {
    "hepsweep_guarded",  // name
    kMaxAddr,            // maxaddr
    H5F_CLOSE_WEAK,      // fc_degree
    nullptr,             // terminate
    nullptr,             // sb_size: no driver information in the file, which stays plain HDF5
    nullptr,             // sb_encode
    nullptr,             // sb_decode
    sizeof(Info),        // fapl_size
    faplGet,             // fapl_get
    faplCopy,            // fapl_copy
    faplFree,            // fapl_free
    0,                   // dxpl_size
    nullptr,             // dxpl_copy
    nullptr,             // dxpl_free
    openFile,            // open
    closeFile,           // close
    compareFiles,        // cmp
    query,               // query
    nullptr,             // get_type_map
    nullptr,             // alloc
    nullptr,             // free
    getEoa,              // get_eoa
    setEoa,              // set_eoa
    getEof,              // get_eof
    getHandle,           // get_handle
    readAt,              // read
    writeAt,             // write
    nullptr,             // flush: writes go straight to the file
    truncateToEoa,       // truncate
    nullptr,             // lock: only this process opens the files it is creating
    nullptr,             // unlock
    H5FD_FLMAP_DICHOTOMY  // fl_map
};

hid_t driverId() {
  static const hid_t id = H5FDregister(&kGuardedDriver);
  return id;
}

}  // namespace

hid_t guardedFileAccess(const std::shared_ptr<WriteStatus>& status) {
  const hid_t driver = driverId();
  if (driver < 0) return -1;
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  const Info info{status};
  if (H5Pset_driver(fapl, driver, &info) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

}  // namespace hepsweep::io::h5
