// platform/quit_signal.hpp — SIGQUIT's disposition while a run() is active
// (observe/sigquit.cpp decides what a quit does).
#pragma once

#include <cstdint>

namespace gmpkit::rt {

// Called in signal context (any thread, on its sigaltstack if it has one)
// with the interrupted pc and the siginfo code. Must be async-signal-safe.
using QuitHandler = void (*)(std::uintptr_t pc, int code);

// Installs h for SIGQUIT (SA_SIGINFO | SA_ONSTACK | SA_RESTART) only if the
// current disposition is SIG_DFL: a program that ignores SIGQUIT (Go
// respects SIG_IGN) or handles it itself keeps its own. Returns whether it
// installed. Not reentrant: one install/restore pair at a time (run()).
bool quit_signal_install(QuitHandler h) noexcept;
// Puts the disposition found by quit_signal_install back (if it installed).
void quit_signal_restore() noexcept;

}  // namespace gmpkit::rt
