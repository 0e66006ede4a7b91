# cmake -DCLI=<hepsweep> -DWITH_MPI=<ON|OFF> -P CliMpi.cmake
# `hepsweep --version` says whether MPI is built in; without MPI a run started by a launcher
# (mpiexec sets OMPI_COMM_WORLD_SIZE, srun with PMIx PMIX_RANK) is refused with exit code 2 and a
# message saying so, before the command reads anything (the campaign file does not exist).
execute_process(COMMAND ${CLI} --version RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code STREQUAL "0")
  message(FATAL_ERROR "hepsweep --version failed with '${code}':\n${out}${err}")
endif()
if(WITH_MPI)
  if(NOT out MATCHES "\nmpi: [^\n]*[A-Za-z]" OR out MATCHES "\nmpi: none")
    message(FATAL_ERROR "--version of a build with MPI does not name the MPI library:\n${out}")
  endif()
  return()
endif()
if(NOT out MATCHES "\nmpi: none \\(built with HEPSWEEP_WITH_MPI=OFF")
  message(FATAL_ERROR "--version of a build without MPI does not say so:\n${out}")
endif()
foreach(launcher "OMPI_COMM_WORLD_SIZE=2" "PMIX_RANK=0")
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${launcher} ${CLI} train does-not-exist.toml
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
  if(NOT code STREQUAL "2")
    message(FATAL_ERROR "with ${launcher}: expected exit code 2 (configuration error), got '${code}'\n${out}${err}")
  endif()
  if(NOT err MATCHES "built without MPI \\(HEPSWEEP_WITH_MPI=OFF\\) but was started by mpiexec; run it as one process")
    message(FATAL_ERROR "with ${launcher}: the refusal message is missing:\n${out}${err}")
  endif()
endforeach()
