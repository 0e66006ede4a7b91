# Writes OUTPUT (generated/hepsweep/GitDescribe.hpp) with `git describe` of SOURCE_DIR, at every
# build rather than at configure time: a configure-time value goes stale after `git pull` and a
# rebuild, and every output file would then record the wrong commit. The file is rewritten only
# when the text changes, so an unchanged commit recompiles nothing.
#   cmake -DSOURCE_DIR=... -DOUTPUT=... [-DGIT_EXECUTABLE=...] -P GitDescribe.cmake
cmake_minimum_required(VERSION 3.25)
set(describe "")
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE describe
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
set(text "#pragma once\n// Generated at build time by cmake/GitDescribe.cmake.\nnamespace hepsweep::build {\ninline constexpr const char* kGitDescribe = \"${describe}\";\n}  // namespace hepsweep::build\n")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
