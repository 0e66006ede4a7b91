# `cmake --install` puts the hepsweep command, the module libraries (static), the public headers of
# include/hepsweep/ and a CMake package: a consumer writes
#   find_package(hepsweep 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE hepsweep::hepsweep)   # or one module: hepsweep::train, ...
# (docs/design.md, "Using the library"; tests/consumer/ builds against it in the test suite).
include(CMakePackageConfigHelpers)

# The module libraries, bottom-up; exported as hepsweep::<module>, the names their aliases have here.
set(HEPSWEEP_MODULES core data io nn metrics baseline dist rundir search train campaign model aggregate report submit inspect)
set(module_targets "")
foreach(m IN LISTS HEPSWEEP_MODULES)
  set_target_properties(hepsweep_${m} PROPERTIES EXPORT_NAME ${m})
  list(APPEND module_targets hepsweep_${m})
endforeach()

# hepsweep::hepsweep: all of them (the executable holds the plain name `hepsweep`).
add_library(hepsweep_library INTERFACE)
target_link_libraries(hepsweep_library INTERFACE ${module_targets})
set_target_properties(hepsweep_library PROPERTIES EXPORT_NAME hepsweep)
add_library(hepsweep::hepsweep ALIAS hepsweep_library)

install(TARGETS ${module_targets} hepsweep_library EXPORT hepsweepTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hepsweep DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")

set(HEPSWEEP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hepsweep)
install(EXPORT hepsweepTargets NAMESPACE hepsweep:: DESTINATION ${HEPSWEEP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hepsweepConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hepsweepConfig.cmake INSTALL_DESTINATION ${HEPSWEEP_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hepsweepConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hepsweepConfig.cmake ${PROJECT_BINARY_DIR}/hepsweepConfigVersion.cmake
        DESTINATION ${HEPSWEEP_CMAKE_DIR})
