# gmpkit_test_timeout(BUDGET OUT_TIMEOUT OUT_ENV) — a test's time limits.
# BUDGET: seconds the test needs at most in the default build, with room for
# a loaded 2-core machine ("" means 30 s, which covers most unit tests by
# 10x or more). It is scaled by GMPKIT_TEST_TIMEOUT_SCALE (sanitizer builds)
# and becomes GMPKIT_TEST_TIMEOUT, the test main's watchdog budget (OUT_ENV:
# the ENVIRONMENT entry). OUT_TIMEOUT, ctest's TIMEOUT, is 30 s more: the
# watchdog's dump and abort come first, ctest's kill only if even that
# hangs.
function(gmpkit_test_timeout budget out_timeout out_env)
  if(budget STREQUAL "")
    set(budget 30)
  endif()
  math(EXPR scaled "${budget} * ${GMPKIT_TEST_TIMEOUT_SCALE}")
  math(EXPR backstop "${scaled} + 30")
  set(${out_timeout} ${backstop} PARENT_SCOPE)
  set(${out_env} "GMPKIT_TEST_TIMEOUT=${scaled}" PARENT_SCOPE)
endfunction()
