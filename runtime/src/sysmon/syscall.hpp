// sysmon/syscall.hpp — system calls (Go's entersyscall, entersyscallblock,
// exitsyscall; proc.go). Design in sysmon/syscall.cpp.
//
// Invariants: in a syscall the G is _Gsyscall and its P is _Psyscall with
// no M (pp->m == nullptr, mp->oldp == pp); whoever wins the CAS
// _Psyscall -> _Pidle (the returning M, or sysmon's retake) owns the P.
// Lock rules: called on a G, without runtime locks held.
#pragma once

namespace gmpkit::core {
struct M;
}

namespace gmpkit::sysmon {

// mp: the calling thread's M (getm(); nullptr off the runtime's threads).
void entersyscall(core::M* mp);
void entersyscallblock(core::M* mp);
// mp: the M passed to entersyscall* (the G stayed on this thread).
void exitsyscall(core::M* mp);

}  // namespace gmpkit::sysmon
