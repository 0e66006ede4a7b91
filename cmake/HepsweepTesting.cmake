# hepsweep_add_test(NAME <name> SOURCES <files...> LIBS <targets...> LABELS <labels...>)
# One helper registers every GoogleTest executable, so labels and environment stay uniform.
include(GoogleTest)
function(hepsweep_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main hepsweep_warnings)
  target_compile_definitions(${T_NAME} PRIVATE
      HEPSWEEP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      HEPSWEEP_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
      HEPSWEEP_CLI="$<TARGET_FILE:hepsweep>")
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
