# hepsweep_add_test(NAME <name> SOURCES <files...> LIBS <targets...> LABELS <labels...>)
# One helper registers every GoogleTest executable, so labels and environment stay uniform.
include(GoogleTest)
function(hepsweep_add_test)
  cmake_parse_arguments(T "" "NAME;RESOURCE_LOCK" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main hepsweep_warnings)
  target_compile_definitions(${T_NAME} PRIVATE
      HEPSWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      HEPSWEEP_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
      HEPSWEEP_CLI="$<TARGET_FILE:hepsweep>")
  # RESOURCE_LOCK: cases that share an outside resource (one local Slurm cluster) run one at a time.
  if(T_RESOURCE_LOCK)
    gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" RESOURCE_LOCK "${T_RESOURCE_LOCK}" DISCOVERY_TIMEOUT 60)
  else()
    gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
