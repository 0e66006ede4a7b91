# The MPI tests' helpers, shared by tests/dist and tests/mpi (included
# by tests/CMakeLists.txt in builds with MPI). One executable with its own GoogleTest main (MPI
# started through dist::Environment, failures of every rank reported, non-zero exit when any rank
# failed), run by ctest under mpiexec once per rank count.
#
# The launcher probe, once: Open MPI's says "mpiexec (OpenRTE) 4.1.4" (4.x) or "mpiexec (Open MPI)
# 5.0.x"; its runs of more ranks than cores need --oversubscribe, and some tests force its
# one-sided pt2pt path.
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE mpiexecVersion ERROR_QUIET)
set(HEPSWEEP_OPEN_MPI OFF)
if(mpiexecVersion MATCHES "OpenRTE|Open MPI")
  set(HEPSWEEP_OPEN_MPI ON)
endif()

# hepsweep_add_mpi_test(NAME <target> SOURCES <files...> LIBS <targets...>)
# hepsweep_add_mpi_run(TARGET <target> RANKS <n> [SUFFIX <s>] [MPIEXEC_ARGS ...] [TEST_ARGS ...])
function(hepsweep_add_mpi_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest hepsweep_warnings)
endfunction()

function(hepsweep_add_mpi_run)
  cmake_parse_arguments(T "" "TARGET;RANKS;SUFFIX" "MPIEXEC_ARGS;TEST_ARGS" ${ARGN})
  set(launch ${MPIEXEC_NUMPROC_FLAG} ${T_RANKS})
  # More ranks than cores: Open MPI refuses ("not enough slots") unless told to oversubscribe.
  if(HEPSWEEP_OPEN_MPI AND T_RANKS GREATER MPIEXEC_MAX_NUMPROCS)
    list(APPEND launch --oversubscribe)
  endif()
  set(name ${T_TARGET}_np${T_RANKS}${T_SUFFIX})
  add_test(NAME ${name}
           COMMAND ${MPIEXEC_EXECUTABLE} ${launch} ${MPIEXEC_PREFLAGS} ${T_MPIEXEC_ARGS}
                   $<TARGET_FILE:${T_TARGET}> ${MPIEXEC_POSTFLAGS} ${T_TEST_ARGS})
  # Open MPI's mpirun refuses to start as root (CI containers) without these two variables.
  set(environment OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
  if(HEPSWEEP_SANITIZE)
    # LeakSanitizer reports Open MPI's own one-time allocations; leaks of our code show in the unit tests.
    list(APPEND environment ASAN_OPTIONS=detect_leaks=0)
  endif()
  set_tests_properties(${name} PROPERTIES
    LABELS mpi
    ENVIRONMENT "${environment}"
    PROCESSORS ${T_RANKS}
    TIMEOUT 60)
endfunction()
