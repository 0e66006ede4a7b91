# hepsweep_add_test(NAME <name> SOURCES <files...> LIBS <targets...> LABELS <labels...>
#                   [RESOURCE_LOCK <name>] [TIMEOUT <seconds>])
# One helper registers every GoogleTest executable, so labels and environment stay uniform.
include(GoogleTest)
# `cmake --build ... --target hepsweep_unit_tests` builds the executables of the unit tests only
# (the nompi preset builds just these and the command).
add_custom_target(hepsweep_unit_tests)
function(hepsweep_add_test)
  cmake_parse_arguments(T "" "NAME;RESOURCE_LOCK;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main hepsweep_warnings)
  target_compile_definitions(${T_NAME} PRIVATE
      HEPSWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      HEPSWEEP_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
      HEPSWEEP_CLI="$<TARGET_FILE:hepsweep>")
  set(props "")
  # RESOURCE_LOCK: cases that share an outside resource (one local Slurm cluster) run one at a time.
  if(T_RESOURCE_LOCK)
    list(APPEND props RESOURCE_LOCK "${T_RESOURCE_LOCK}")
  endif()
  # TIMEOUT (seconds): a case that could hang (a loop on bad input) fails instead of blocking ctest.
  if(T_TIMEOUT)
    list(APPEND props TIMEOUT "${T_TIMEOUT}")
  endif()
  if("unit" IN_LIST T_LABELS)
    add_dependencies(hepsweep_unit_tests ${T_NAME})
  endif()
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" ${props} DISCOVERY_TIMEOUT 60)
endfunction()
