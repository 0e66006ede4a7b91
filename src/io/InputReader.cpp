// io::InputReader: the rows of one input of convert or apply, text or ROOT, through one interface.
#include "hepsweep/io/InputReader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::io {

struct InputReader::Impl {
  std::string input;
  // Text inputs.
  std::optional<TextReader> text;
  std::vector<std::string_view> fields;
  // ROOT inputs: the parsed tree until select(), then only the reader of the selected branches.
  std::optional<RootTree> tree;
  std::optional<RootRowReader> root;
  std::string rootFile;
  bool hashInBackground = false;
  ChecksumKind checksum = ChecksumKind::Sha256;
  std::optional<BackgroundSha256> rootSha;  // started by select() when hashing in the background
  std::string rootWhere;
  std::vector<std::string> rootColumns;
  std::string valueText;  // text(k) of a ROOT value, valid until the next call

  std::vector<std::size_t> selected;
  std::int64_t rows = 0;

  const std::vector<std::string>& names() const { return text ? text->header() : rootColumns; }

  FieldContext at(std::size_t k) const {
    const std::size_t c = selected[k];
    return FieldContext{text->path(), text->lineNumber(), text->header()[c], c + 1};
  }
  std::string rootAt(std::size_t k) const {
    return rootWhere + ", entry " + std::to_string(root->entry()) + ", column " +
           str::quoted(rootColumns[selected[k]]);
  }
  float rootFloat(std::size_t k, bool allowNonFinite, bool isWeight) const {
    const float v = root->asFloat(k);
    if (std::isfinite(v) || (allowNonFinite && !std::isfinite(root->asDouble(k)))) return v;
    if (!std::isfinite(root->asDouble(k)))
      throwInput(rootAt(k) + ": value " + root->asText(k) + " is not finite" +
                 (isWeight ? " (weights must be finite)" : allowNonFinite ? "" : " (pass --allow-nonfinite to keep it)"));
    throwInput(rootAt(k) + ": value " + root->asText(k) + " is outside the float32 range");
  }
};

InputReader::InputReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InputReader::~InputReader() = default;
InputReader::InputReader(InputReader&&) noexcept = default;
InputReader& InputReader::operator=(InputReader&&) noexcept = default;

InputReader InputReader::open(const std::string& input, const Separator& separator, std::size_t blockSize,
                              bool hashInBackground, ChecksumKind checksum) {
  auto impl = std::make_unique<Impl>();
  impl->input = input;
  impl->hashInBackground = hashInBackground && checksum == ChecksumKind::Sha256;
  impl->checksum = checksum;
  if (const auto spec = parseRootInputSpec(input)) {
    const RootTree& t = impl->tree.emplace(RootFile(spec->file).tree(spec->tree));
    impl->rootFile = t.filePath();
    impl->rootWhere = t.where();
    impl->rootColumns = t.columnNames();
  } else {
    impl->text.emplace(input, separator, blockSize, impl->hashInBackground, checksum);
  }
  return InputReader(std::move(impl));
}

const std::string& InputReader::input() const { return impl_->input; }
bool InputReader::isRoot() const { return !impl_->text; }
const RootTree* InputReader::tree() const { return impl_->tree ? &*impl_->tree : nullptr; }
std::string InputReader::where() const { return impl_->text ? "file '" + impl_->input + "'" : impl_->rootWhere; }
const std::vector<std::string>& InputReader::columnNames() const { return impl_->names(); }

std::ptrdiff_t InputReader::column(std::string_view name) const {
  if (impl_->text) return impl_->text->column(name);
  const auto& names = impl_->rootColumns;
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : it - names.begin();
}

std::size_t InputReader::requireColumn(const std::string& name, const std::string& namedBy) const {
  const std::ptrdiff_t c = column(name);
  if (c >= 0) return static_cast<std::size_t>(c);
  if (impl_->tree)
    if (const auto* u = impl_->tree->unsupportedBranch(name))
      throwInput(impl_->tree->refusal(*u) + " (named by " + namedBy + ")");
  throwInput(where() + " has no column " + str::quoted(name) + " (named by " + namedBy + ")" +
             str::didYouMean(name, columnNames()));
}

void InputReader::select(std::vector<std::size_t> columns) {
  Impl& r = *impl_;
  for (const std::size_t c : columns)
    if (c >= r.names().size())
      throwConfig("InputReader::select: column " + std::to_string(c) + " of " + where() + " does not exist");
  if (!r.text && !r.tree) throwConfig("InputReader::select: called twice for " + where());
  r.selected = std::move(columns);
  if (r.tree) {
    r.root.emplace(*r.tree, r.selected);
    r.tree.reset();  // the other branches' embedded baskets are not needed any more
    if (r.hashInBackground) r.rootSha = BackgroundSha256::ofFile(r.rootFile);
  }
}

bool InputReader::next() {
  Impl& r = *impl_;
  const bool more = r.root ? r.root->next() : r.text->next(r.fields);
  r.rows += more;
  return more;
}

float InputReader::feature(std::size_t k, bool allowNonFinite) const {
  const Impl& r = *impl_;
  if (r.root) return r.rootFloat(k, allowNonFinite, false);
  return parseFloat(r.fields[r.selected[k]], allowNonFinite, r.at(k));
}

float InputReader::weight(std::size_t k) const {
  const Impl& r = *impl_;
  if (r.root) return r.rootFloat(k, false, true);
  return parseFloat(r.fields[r.selected[k]], false, r.at(k));
}

std::int64_t InputReader::integer(std::size_t k) const {
  const Impl& r = *impl_;
  if (r.root) return r.root->asInt64(k);
  return parseInt64(r.fields[r.selected[k]], r.at(k));
}

std::string_view InputReader::text(std::size_t k) {
  Impl& r = *impl_;
  if (!r.root) return r.fields[r.selected[k]];
  r.valueText = r.root->asText(k);
  return r.valueText;
}

std::int64_t InputReader::rowsRead() const { return impl_->rows; }

std::string InputReader::finishChecksum() {
  // A ROOT file is read once more for its hash (after the rows, or alongside them on a thread of
  // its own): the tree reader reads only the selected branches' baskets, branch by branch, so the
  // file's bytes never pass through it in order (text is hashed as it is read).
  if (impl_->text) return impl_->text->finishChecksum();
  if (impl_->rootSha) return impl_->rootSha->hexDigest();
  return checksumFile(impl_->rootFile, impl_->checksum);
}

std::string InputReader::separatorName() const { return impl_->text ? impl_->text->separator().describe() : "root"; }
bool InputReader::gzipped() const { return impl_->text && impl_->text->gzipped(); }
double InputReader::decompressSeconds() const { return impl_->root ? impl_->root->decompressSeconds() : 0.0; }
std::uint64_t InputReader::basketBytesRead() const { return impl_->root ? impl_->root->bytesRead() : 0; }

}  // namespace hepsweep::io
