// Clang thread-safety annotations (marl style). They compile to nothing on
// GCC; under clang with -Wthread-safety they let the compiler check that a
// field marked GMPKIT_GUARDED_BY(lock) is only touched with `lock` held.
#pragma once

#if defined(__clang__)
#define GMPKIT_TSA(x) __attribute__((x))
#else
#define GMPKIT_TSA(x)
#endif

#define GMPKIT_CAPABILITY(x) GMPKIT_TSA(capability(x))
#define GMPKIT_GUARDED_BY(x) GMPKIT_TSA(guarded_by(x))
#define GMPKIT_PT_GUARDED_BY(x) GMPKIT_TSA(pt_guarded_by(x))
#define GMPKIT_REQUIRES(...) GMPKIT_TSA(requires_capability(__VA_ARGS__))
#define GMPKIT_ACQUIRE(...) GMPKIT_TSA(acquire_capability(__VA_ARGS__))
#define GMPKIT_RELEASE(...) GMPKIT_TSA(release_capability(__VA_ARGS__))
#define GMPKIT_TRY_ACQUIRE(...) GMPKIT_TSA(try_acquire_capability(__VA_ARGS__))
#define GMPKIT_EXCLUDES(...) GMPKIT_TSA(locks_excluded(__VA_ARGS__))
#define GMPKIT_NO_TSA GMPKIT_TSA(no_thread_safety_analysis)

#if defined(__SANITIZE_ADDRESS__)
#define GMPKIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GMPKIT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define GMPKIT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GMPKIT_TSAN 1
#endif
#endif

// GMPKIT_NO_TSAN_FRAME: under TSan the function pushes no frame on the
// shadow call stack (and its memory accesses are not checked). For the frames
// a goroutine enters and never leaves: its exit path, from its entry down to
// the last switch off its stack (core/proc.cpp gentry, goexit1; core/park.cpp
// mcall_exit, switch_to_g0). A G keeps its TSan fiber across incarnations, and
// each instrumented frame left that way stayed on that fiber's shadow stack:
// some ten thousand incarnations of one G overflowed it into TSan's own state
// (a SIGSEGV in TSan's ReleaseImpl with a garbage tid; checks/unit/run_test.cpp
// Goroutines.OneGCarriesTwoHundredThousandIncarnations). GCC's no_sanitize
// drops the entry/exit hooks too; clang's needs disable_sanitizer_instrumentation.
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define GMPKIT_NO_TSAN_FRAME __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef GMPKIT_NO_TSAN_FRAME
#define GMPKIT_NO_TSAN_FRAME __attribute__((no_sanitize("thread")))
#endif
