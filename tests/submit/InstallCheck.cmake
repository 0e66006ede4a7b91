# `cmake --install` into a scratch prefix: every template of the source tree's jobs/, slurm/ and
# condor/ is installed under share/hepsweep/templates/ unchanged, and the installed binary, run from
# there with no source tree around, writes the same templates (they are built into it).
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DPREFIX=... -P InstallCheck.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${out}")
endif()
execute_process(COMMAND "${PREFIX}/bin/hepsweep" submit templates "${PREFIX}/written"
                WORKING_DIRECTORY "${PREFIX}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed hepsweep could not write its templates: ${out}")
endif()
file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/jobs/*" "${SOURCE_DIR}/slurm/*" "${SOURCE_DIR}/condor/*")
list(LENGTH sources n)
if(n LESS 13)
  message(FATAL_ERROR "expected the 13 templates in ${SOURCE_DIR}, found ${n}: ${sources}")
endif()
foreach(t IN LISTS sources)
  foreach(copy "${PREFIX}/share/hepsweep/templates/${t}" "${PREFIX}/written/${t}")
    if(NOT EXISTS "${copy}")
      message(FATAL_ERROR "${t} is missing: ${copy}")
    endif()
    file(READ "${SOURCE_DIR}/${t}" want)
    file(READ "${copy}" got)
    if(NOT want STREQUAL got)
      message(FATAL_ERROR "${copy} differs from ${SOURCE_DIR}/${t}")
    endif()
  endforeach()
endforeach()
message(STATUS "${n} templates installed and built into the installed binary")
file(REMOVE_RECURSE "${PREFIX}")
