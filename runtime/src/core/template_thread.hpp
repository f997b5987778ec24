// core/template_thread.hpp — Go's templateThread (newmHandoff), in m.cpp: a
// thread wired to a goroutine (lock_os_thread) may carry state the program
// changed, and a thread created from it would inherit that state, so the Ms
// such threads need are created by a plain thread started from a clean one.
#pragma once

namespace gmpkit::core {

// Starts the template thread unless it runs (lock_os_thread calls it before
// its lock takes effect, so the new thread is cloned from a clean one).
void template_thread_start();
// Stops and joins it (shutdown, after every M was joined).
void template_thread_stop();

}  // namespace gmpkit::core
