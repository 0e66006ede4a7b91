#pragma once
// A table of structs written as one 1-D dataset per field (what pandas and h5py read with a dict
// comprehension): the summary, search, result and dataset files all store their row lists so.
//   h5::writeColumns(g, s.items, h5::Deflate::On,
//                    h5::column<std::string>("run_dir", &Item::runDir),
//                    h5::column<std::int64_t>("fold", [](const Item& i) { return i.fold; }));
// Datasets are created in the order the columns are given, so a file's bytes follow from that
// order alone.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::io::h5 {

// Whether numeric columns are compressed (Group::write's `compress`: chunked + shuffle + deflate
// for columns of 1024 values or more). String columns are never compressed.
enum class Deflate : bool { Off = false, On = true };

// A column: its dataset name, the stored type T and how a row gives its value (a member pointer
// or any callable on the row).
template <class T, class Get>
struct Column {
  std::string name;
  Get get;
};

template <class T, class Get>
Column<T, Get> column(std::string name, Get get) {
  return {std::move(name), std::move(get)};
}

// The values of one column of `rows`, converted to T.
template <class T, class Rows, class Get>
std::vector<T> columnValues(const Rows& rows, const Get& get) {
  std::vector<T> v;
  v.reserve(std::size(rows));
  for (const auto& row : rows) v.push_back(static_cast<T>(std::invoke(get, row)));
  return v;
}

template <class Rows, class T, class Get>
void writeColumn(const Group& g, const Rows& rows, Deflate deflate, const Column<T, Get>& c) {
  const std::vector<T> v = columnValues<T>(rows, c.get);
  if constexpr (std::is_same_v<T, std::string>) g.writeStrings(c.name, v);
  else g.write<T>(c.name, std::span<const T>(v.data(), v.size()), deflate == Deflate::On);
}

// One dataset per column, each as long as `rows`, created in the order given.
template <class Rows, class... Cols>
void writeColumns(const Group& g, const Rows& rows, Deflate deflate, const Cols&... columns) {
  (writeColumn(g, rows, deflate, columns), ...);
}

}  // namespace hepsweep::io::h5
