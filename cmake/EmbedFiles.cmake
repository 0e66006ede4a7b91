# Writes a C++ source holding text files as raw string literals, so that the binary carries them:
#   cmake -DBASE=<dir> -DFILES=<a|b|...> -DOUTPUT=<file.cpp> -P EmbedFiles.cmake
# FILES are relative to BASE and keep those names. A file containing the literal's closing
# delimiter is refused (it would end the literal early).
set(delimiter "hepsweep_tpl")
string(REPLACE "|" ";" FILES "${FILES}")
set(out "// Generated from ${BASE} by cmake/EmbedFiles.cmake: edit the files there, not this one.\n")
string(APPEND out "#include \"EmbeddedTemplates.hpp\"\n\nnamespace hepsweep::submit::detail {\n\n")
string(APPEND out "const EmbeddedFile kEmbeddedTemplates[] = {\n")
set(count 0)
foreach(name IN LISTS FILES)
  file(READ "${BASE}/${name}" content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${BASE}/${name} contains )${delimiter}\" and cannot be embedded")
  endif()
  string(APPEND out "    {\"${name}\", R\"${delimiter}(${content})${delimiter}\"},\n")
  math(EXPR count "${count} + 1")
endforeach()
string(APPEND out "};\n\nconst std::size_t kEmbeddedTemplateCount = ${count};\n\n}  // namespace hepsweep::submit::detail\n")
# Rewritten only when different, so an unchanged template rebuilds nothing.
file(WRITE "${OUTPUT}.new" "${out}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
