#pragma once
// The HDF5 file driver of the files hepsweep writes (h5::File::create): POSIX pread/pwrite like
// HDF5's default "sec2" driver, plus a way out of a failed write. HDF5 1.10 cannot close a file
// whose last writes failed: H5Fclose fails, leaves the file id half torn down, and the library's
// exit handler then crashes on it (a disk-full convert printed its error and died with SIGSEGV).
// So after the first failure this driver records it and discards the writes that follow, and
// while the file is being closed it records failures instead of returning them: the close
// always completes, and h5::File::close reports the recorded failure (the temporary file is
// then removed). The files are plain HDF5: the driver writes no driver information into them.
#include <hdf5.h>

#include <memory>
#include <string>

namespace hepsweep::io::h5 {

// What the driver shares with the h5::File that created the file.
struct WriteStatus {
  std::string failure;   // the first failed write, truncate or close ("cannot write ..."); empty if none
  bool closing = false;  // set before H5Fclose: failures are recorded, not returned
};

// A file access property list (caller closes it) that creates a file through this driver,
// reporting into `status`.
hid_t guardedFileAccess(const std::shared_ptr<WriteStatus>& status);

}  // namespace hepsweep::io::h5
