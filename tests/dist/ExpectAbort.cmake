# cmake -DMPIEXEC=... -DNUMPROC_FLAG=... -DPROBE=... -P ExpectAbort.cmake
# Passes when the 2-rank job ends on its own with exit code 3 (the code rank 1 gave to
# Environment::abort) and rank 1's message. Open MPI's own MPI_ABORT banner is not checked: its
# help printer occasionally fails ("Data unpack would read past end of buffer").
execute_process(COMMAND ${MPIEXEC} ${NUMPROC_FLAG} 2 ${PROBE}
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 15)
if(NOT code STREQUAL "3")
  message(FATAL_ERROR "expected exit code 3 after Environment::abort, got '${code}'\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "hepsweep \\[rank 1/2\\]: rank one gives up: boom")
  message(FATAL_ERROR "rank 1's message is missing:\n${out}${err}")
endif()
