# SPDX-License-Identifier: MIT
#
# UFFDOPS_SANITIZE: a comma-separated list of sanitizers applied to everything
# built here (library, tests, benchmarks, examples). Supported: address,
# undefined (alone or together) and thread (alone). Sets
# UFFDOPS_SANITIZE_FLAGS, the compile and link flags, for consumers built
# outside this project (the install test).

set(UFFDOPS_SANITIZE_FLAGS "")
if(UFFDOPS_SANITIZE)
	string(REPLACE "," ";" sanitizers "${UFFDOPS_SANITIZE}")
	foreach(sanitizer ${sanitizers})
		if(NOT sanitizer MATCHES "^(address|undefined|thread)$")
			message(FATAL_ERROR
				"UFFDOPS_SANITIZE: unknown sanitizer '${sanitizer}' "
				"(use address,undefined or thread)")
		endif()
	endforeach()
	if("thread" IN_LIST sanitizers AND NOT sanitizers STREQUAL "thread")
		message(FATAL_ERROR
			"UFFDOPS_SANITIZE: thread cannot be combined with other sanitizers")
	endif()

	list(APPEND UFFDOPS_SANITIZE_FLAGS
		-fsanitize=${UFFDOPS_SANITIZE} -fno-omit-frame-pointer)
	# Make every undefined-behaviour report fatal, whatever UBSAN_OPTIONS says.
	if("undefined" IN_LIST sanitizers)
		list(APPEND UFFDOPS_SANITIZE_FLAGS -fno-sanitize-recover=undefined)
	endif()
	add_compile_options(${UFFDOPS_SANITIZE_FLAGS})
	add_link_options(${UFFDOPS_SANITIZE_FLAGS})
	message(STATUS "Sanitizers: ${UFFDOPS_SANITIZE}")
endif()
string(REPLACE ";" " " UFFDOPS_SANITIZE_FLAGS "${UFFDOPS_SANITIZE_FLAGS}")
