# gmpkit_test_suite(LABEL) — every *_test.cpp in the calling folder is one
# GoogleTest executable whose tests ctest runs under LABEL (plus any label
# the file asks for with a line "// ctest-labels: a;b"), each with a budget
# (gmpkit_test_timeout: 30 s, or the file's "// ctest-timeout: S", times
# GMPKIT_TEST_TIMEOUT_SCALE) after which the test main's watchdog dumps
# every goroutine and aborts (checks/test_main.cpp). Tests link the
# gmpkit::testing library (test-only hooks) and may include internal
# headers (gmpkit_internal) for white-box checks; rapidcheck is linked for
# property tests (rc::state). Sources shared by a suite's executables go
# into the suite folder as *.hpp.
# gmpkit_test_labels(TARGET LABELS) — gives every test gtest_discover_tests
# found in TARGET the label list LABELS. gtest_discover_tests flattens a
# list-valued LABELS into separate property arguments, so the labels are set
# by a script ctest runs after the discovered list (TARGET_TESTS) has been
# included.
function(gmpkit_test_labels target labels)
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
  file(WRITE ${script}
    "foreach(t IN LISTS ${target}_TESTS)\n  set_tests_properties(\"\${t}\" PROPERTIES LABELS \"${labels}\")\nendforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()

function(gmpkit_test_suite suite_label)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  foreach(src ${tests})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/checks)
    target_link_libraries(${name} PRIVATE gmpkit_test_main gmpkit_internal)
    if(RAPIDCHECK_LIBRARY)
      target_include_directories(${name} PRIVATE ${RAPIDCHECK_INCLUDE_DIR})
      target_link_libraries(${name} PRIVATE ${RAPIDCHECK_LIBRARY})
    endif()
    file(STRINGS ${src} extra_labels REGEX "^// ctest-labels: ")
    set(labels ${suite_label})
    if(extra_labels)
      string(REPLACE "// ctest-labels: " "" extra_labels "${extra_labels}")
      list(APPEND labels ${extra_labels})
    endif()
    file(STRINGS ${src} budget REGEX "^// ctest-timeout: [0-9]+$")
    string(REPLACE "// ctest-timeout: " "" budget "${budget}")
    gmpkit_test_timeout("${budget}" timeout env)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS ${suite_label} TIMEOUT ${timeout} ENVIRONMENT ${env})
    if(extra_labels)
      gmpkit_test_labels(${name} "${labels}")
    endif()
  endforeach()
endfunction()
