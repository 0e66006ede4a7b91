# test_git_describe: cmake/GitDescribe.cmake, which writes the commit recorded in --version and in
# every output file, picks up a new commit at the next build (a configure-time lookup did not) and
# leaves the header untouched when nothing changed (so a rebuild recompiles nothing).
#   cmake -DSCRIPT=<cmake/GitDescribe.cmake> -DGIT_EXECUTABLE=git -DWORK=<scratch dir> -P GitDescribeTest.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/repo")
set(out "${WORK}/GitDescribe.hpp")
function(git)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -c user.name=t -c user.email=t@t ${ARGN}
                  WORKING_DIRECTORY "${WORK}/repo" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "git ${ARGN} failed: ${err}")
  endif()
endfunction()
function(describe var)
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY "${WORK}/repo" OUTPUT_VARIABLE d OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(${var} "${d}" PARENT_SCOPE)
endfunction()
function(run_script)
  execute_process(COMMAND "${CMAKE_COMMAND}" -DSOURCE_DIR=${WORK}/repo -DOUTPUT=${out}
                          -DGIT_EXECUTABLE=${GIT_EXECUTABLE} -P "${SCRIPT}" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "GitDescribe.cmake failed")
  endif()
endfunction()
function(expect_commit what)
  describe(d)
  file(READ "${out}" text)
  string(FIND "${text}" "kGitDescribe = \"${d}\";" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: the header does not record '${d}':\n${text}")
  endif()
endfunction()

git(init -q)
file(WRITE "${WORK}/repo/a.txt" "1\n")
git(add a.txt)
git(commit -q -m one)
run_script()
expect_commit("first commit")
file(TIMESTAMP "${out}" t1 "%s" UTC)
file(SIZE "${out}" s1)

# Unchanged commit: the file must not be rewritten. Sleep past the timestamps' one-second resolution.
execute_process(COMMAND "${CMAKE_COMMAND}" -E sleep 1.1)
run_script()
file(TIMESTAMP "${out}" t2 "%s" UTC)
if(NOT t1 STREQUAL t2)
  message(FATAL_ERROR "the header was rewritten although the commit did not change (${t1} -> ${t2})")
endif()

# A new commit, as after `git pull`: the next build must record it.
file(WRITE "${WORK}/repo/a.txt" "2\n")
git(commit -q -a -m two)
run_script()
expect_commit("second commit")
# An edited tree is recorded as dirty.
file(WRITE "${WORK}/repo/a.txt" "3\n")
run_script()
expect_commit("edited tree")
file(READ "${out}" text)
if(NOT text MATCHES "-dirty\"")
  message(FATAL_ERROR "an edited tree is not marked dirty:\n${text}")
endif()
message(STATUS "GitDescribe.cmake follows new commits and leaves an unchanged header alone")
