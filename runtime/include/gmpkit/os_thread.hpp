// gmpkit/os_thread.hpp — wiring a goroutine to its OS thread (Go's
// runtime.LockOSThread / UnlockOSThread).
//
//   gmpkit::lock_os_thread();     // from now on this goroutine runs only on
//   ...                           // this thread, and the thread runs nothing else
//   gmpkit::unlock_os_thread();
//
// Calls nest: the goroutine is unlocked when unlock_os_thread() has been
// called as many times as lock_os_thread(). While locked, whenever the
// goroutine blocks or is preempted its thread parks (handing its P to
// another thread), and whichever thread later finds the goroutine runnable
// hands its P back to the locked thread. If the goroutine exits while
// locked, its thread exits too instead of returning to the pool (it may have
// changed thread state: signal masks, namespaces, thread-locals); the thread
// that called run() cannot exit, so it is parked until run() ends instead.
// Locked goroutines count for deadlock detection like any other.
#pragma once

namespace gmpkit {

// Throws usage_error outside a goroutine.
void lock_os_thread();
// Does nothing if the goroutine is not locked (as Go). Throws usage_error
// outside a goroutine.
void unlock_os_thread();

}  // namespace gmpkit
