// Group::contentDigest: a SHA-256 of a group's datasets (paths, shapes, values), for telling
// whether two files hold the same data whatever their layout or timestamps.
#include "Hdf5Private.hpp"
#include "hepsweep/core/Sha256.hpp"

namespace hepsweep::io::h5 {

using namespace detail;

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

}  // namespace hepsweep::io::h5
