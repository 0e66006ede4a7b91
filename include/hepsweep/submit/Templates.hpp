#pragma once
// The files `hepsweep submit` fills are templates a site can edit: the top-level jobs/, slurm/
// and condor/ directories of the source tree, built into the binary (so it needs nothing on disk,
// from the build tree or installed) and installed as share/hepsweep/templates/. `--templates DIR`
// (or HEPSWEEP_TEMPLATES) names a directory with the same layout whose files replace the built-in
// ones; files it does not hold stay built in.
//
// A template is the file as it will be written, with placeholders @NAME@ (NAME: capital letters,
// digits, underscores). Filling one:
//   - lines starting with "#%" are template comments and are left out;
//   - each @NAME@ is replaced by its value, in one pass (a value is never scanned for placeholders);
//   - a line holding only a placeholder whose value is empty is left out;
//   - any other '@' is kept as it is (e.g. #SBATCH --mail-user=alice@cern.ch).
// The generators only give values that are already quoted for the file's syntax (bash words,
// HTCondor's $(DOLLAR) and new-syntax arguments) or built from checked plain words, so a site's
// template decides the layout and never the quoting. An unknown placeholder is an error naming the
// template's file and line.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hepsweep::submit {

// Placeholder name (without the @) -> value.
using TemplateValues = std::map<std::string, std::string, std::less<>>;

class Templates {
 public:
  // The built-in templates.
  static const Templates& builtIn();
  // DIR's templates where it has them (DIR/slurm/train.sh, ...), the built-in ones elsewhere.
  // Error(Config) when DIR is not a directory, holds none of the template files, or holds a file
  // under jobs/, slurm/ or condor/ that is not a template (a misspelt name would otherwise be
  // ignored silently); *.md files there are documentation and allowed.
  static Templates fromDirectory(const std::filesystem::path& dir);

  // Every template name, "jobs/job.sh", "slurm/train.sh", ..., in a fixed order.
  static const std::vector<std::string>& names();

  // The template's text; `name` must be one of names() (Error(Internal) otherwise).
  const std::string& text(std::string_view name) const;
  // Where the text comes from, for messages: the file's path, or "built-in NAME".
  std::string origin(std::string_view name) const;
  // The filled template (rules above). Error(Config) naming origin(name) and the line for a
  // placeholder that `values` does not define.
  std::string fill(std::string_view name, const TemplateValues& values) const;

 private:
  struct Entry {
    std::string name, text, path;  // path empty: built in
  };
  std::vector<Entry> entries_;
  const Entry& entry(std::string_view name) const;
};

// The rules above on `text`; `origin` names it in messages.
std::string fillTemplate(std::string_view text, std::string_view origin, const TemplateValues& values);

// Writes the built-in templates into DIR/jobs, DIR/slurm and DIR/condor, for a site to start from.
// Error(Io) when a file exists already (nothing is overwritten) or cannot be written.
std::vector<std::filesystem::path> writeBuiltInTemplates(const std::filesystem::path& dir);

}  // namespace hepsweep::submit
