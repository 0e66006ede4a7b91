# The module graph as CMake sees it (`cmake --graphviz`): `model` and `aggregate` (what apply,
# export and aggregate need) link neither the campaign module nor MPI, directly or through
# another module. A fresh configure of the sources (tests off) into WORK writes one graph per
# target, holding everything the target links, transitively.
#   cmake -DSOURCE_DIR=<repo> -DWORK=<scratch dir> -DGENERATOR=Ninja -DWITH_MPI=ON|OFF -P TargetGraph.cmake
cmake_minimum_required(VERSION 3.25)
foreach(v SOURCE_DIR WORK GENERATOR WITH_MPI)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "TargetGraph.cmake: -D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK}/build" -G "${GENERATOR}"
                        -DHEPSWEEP_BUILD_TESTS=OFF -DHEPSWEEP_WITH_MPI=${WITH_MPI} "--graphviz=${WORK}/graph.dot"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} for its target graph failed:\n${out}")
endif()

# The nodes (labels) of one target's graph file.
function(graph_labels target out_var)
  set(file "${WORK}/graph.dot.${target}")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "no graph for the target ${target} (${file}): was it renamed? Update tests/TargetGraph.cmake")
  endif()
  file(STRINGS "${file}" lines REGEX "label = \"")
  set(labels "")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "label = \"([^\"\\\\]*)" _ "${line}")
    list(APPEND labels "${CMAKE_MATCH_1}")
  endforeach()
  list(REMOVE_DUPLICATES labels)
  set(${out_var} "${labels}" PARENT_SCOPE)
endfunction()

# Labels of MPI: the imported targets (MPI::MPI_CXX) and the libraries behind them (libmpi*).
function(mpi_labels labels out_var)
  set(found "")
  foreach(l IN LISTS labels)
    if(l MATCHES "^MPI::" OR l MATCHES "libmpi")
      list(APPEND found "${l}")
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

# The checks below must be able to fail: the graphs of the modules that do link them show
# campaign and (in an MPI build) MPI under the names looked for.
graph_labels(hepsweep cli)
if(NOT "hepsweep_campaign" IN_LIST cli)
  message(FATAL_ERROR "the graph of the command (target hepsweep) has no node hepsweep_campaign: the check cannot see the campaign module")
endif()
graph_labels(hepsweep_train train)
mpi_labels("${train}" train_mpi)
if(WITH_MPI AND NOT train_mpi)
  message(FATAL_ERROR "the graph of hepsweep_train (an MPI build) has no MPI node: the check cannot see MPI")
endif()

set(failures "")
foreach(target hepsweep_model hepsweep_aggregate)
  graph_labels(${target} labels)
  if("hepsweep_campaign" IN_LIST labels)
    list(APPEND failures "${target} links hepsweep_campaign")
  endif()
  mpi_labels("${labels}" mpi)
  if(mpi)
    list(APPEND failures "${target} links MPI (${mpi})")
  endif()
  message(STATUS "${target} links: ${labels}")
endforeach()
if(failures)
  list(JOIN failures "; " text)
  message(FATAL_ERROR "${text}: apply, export and aggregate must run without the campaign module and MPI "
                      "(see the graph files ${WORK}/graph.dot.*)")
endif()
message(STATUS "hepsweep_model and hepsweep_aggregate link neither hepsweep_campaign nor MPI")
