// gmpkit/detail/chan_core.hpp — the type-erased channel core that Chan<T>
// and select() are thin typed layers over. The algorithm (Go's chan.go and
// select.go) lives in runtime/src/sync/chan.cpp and select.cpp; this header
// only names it.
//
// Elements are handled through ElemOps, a two-entry vtable (move-construct,
// destroy). The runtime moves elements while holding a channel lock, as Go
// copies them under c.lock; a move constructor that throws there terminates
// the program (Go's element copies cannot fail).
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace gmpkit::detail {

struct hchan;  // runtime/src/sync/chan.hpp

struct ElemOps {
  void (*move)(void* dst,
               void* src) noexcept;  // placement-move *src into raw dst; *src stays alive
  void (*destroy)(void* p) noexcept;
  std::size_t size;
  std::size_t align;
  bool trivial;  // trivially copyable: the runtime may memcpy instead of calling move/destroy
};

template <class T>
struct ElemOpsFor {
  static void move(void* dst, void* src) noexcept {
    ::new (dst) T(std::move(*static_cast<T*>(src)));
  }
  static void destroy(void* p) noexcept { static_cast<T*>(p)->~T(); }
  static constexpr ElemOps ops{
      &move, &destroy, sizeof(T), alignof(T),
      std::is_trivially_copyable_v<T>&& std::is_trivially_destructible_v<T>};
};

// Raw, suitably aligned storage for one element (a receive destination).
template <class T>
struct ElemSlot {
  alignas(T) unsigned char buf[sizeof(T)];
  T* ptr() noexcept { return std::launder(reinterpret_cast<T*>(buf)); }
  void* raw() noexcept { return buf; }
};

// makechan. Throws std::bad_alloc, or chan_error("makechan: size out of range").
hchan* makechan(const ElemOps* ops, std::size_t size);
// Reference counting of the shared handle (Chan<T> copies, and goroutines
// parked on the channel). The last release destroys buffered elements.
void chanretain(hchan* c) noexcept;
void chanrelease(hchan* c) noexcept;

// Go's chansend: c == nullptr is the nil channel. Returns whether the value
// was sent (always true when block). Throws chan_error("send on closed
// channel"). ep points at the value; it is moved from only on success.
bool chansend(hchan* c, void* ep, bool block);
// Go's chanrecv: returns `selected`; *received says whether a value was
// move-constructed into the raw storage at ep (false: closed and drained).
bool chanrecv(hchan* c, void* ep, bool block, bool* received);
// Go's closechan. Throws chan_error ("close of nil channel", "close of
// closed channel").
void closechan(hchan* c);
std::size_t chanlen(const hchan* c) noexcept;
std::size_t chancap(const hchan* c) noexcept;

// One case of a select (Go's scase): c == nullptr never proceeds. For a
// send, elem is the value; for a receive, raw storage the value is
// move-constructed into.
struct scase {
  hchan* c;
  void* elem;
  bool send;
};

// Go's selectgo over cases[0, ncases). Returns the index of the case that
// proceeded, or -1 if !block and none could; *recvOK as Go's. ncases == 0
// with block parks forever ("select (no cases)").
int selectgo(scase* cases, int ncases, bool block, bool* recvOK);

// Blocks the calling goroutine forever (Go's block(): select {} ).
[[noreturn]] void block_forever();

}  // namespace gmpkit::detail
