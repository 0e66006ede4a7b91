# cmake -DBUILD_DIR=<hepsweep build tree> -DSOURCE_DIR=<tests/consumer> -DWORK=<scratch dir>
#       -DGENERATOR=<generator> -P RunConsumer.cmake
# Installs the built library into WORK/prefix, then configures, builds and runs the consumer
# project against that prefix alone: a missing header, target, or dependency in hepsweepConfig.cmake
# fails here, as it would for a user's project.
file(REMOVE_RECURSE ${WORK})
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code STREQUAL "0")
    message(FATAL_ERROR "${what} failed ('${code}'):\n${out}${err}")
  endif()
  message("${out}")
endfunction()
step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix)
# Only the prefix: the build tree's own package registry or cache must not be what is found.
step("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK}/build -G ${GENERATOR}
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
step("building the consumer" ${CMAKE_COMMAND} --build ${WORK}/build)
step("running the consumer" ${WORK}/build/consumer)
