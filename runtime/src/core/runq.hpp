// core/runq.hpp — run queues (Go's runqput/runqget/runqgrab/runqsteal and
// globrunqput/globrunqget, proc.go).
//
// LocalRunQueue is a P's 256-slot ring plus `runnext`:
//   * exactly one producer (the owner P) writes slots and publishes them
//     with a release store of `tail`;
//   * consumers — the owner (runqget) and thieves (runqgrab) — claim slots
//     by CAS on `head` (release), after reading the slots they claim;
//   * invariant: head <= tail <= head + 256 (mod 2^32 arithmetic);
//   * runnext holds the G readied most recently by this P; it inherits the
//     remaining time slice. Only the owner sets it non-null; anyone may CAS
//     it to null (a thief, only on the last stealing pass).
// Slots are atomics read racily by thieves that may lose their CAS; that is
// Go's design (the CAS on head validates the read).
//
// GlobalRunQueue is Go's sched.runq: a FIFO linked through G.schedlink,
// protected by sched.lock (the caller holds it), with a size readable
// without the lock for the "is it worth taking the lock" checks.
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::observe {
// observe/invariants.hpp: the checker and its test hook read/damage the queues.
struct InvariantsAccess;
}  // namespace gmpkit::observe

namespace gmpkit::core {

class GlobalRunQueue;

class LocalRunQueue {
 public:
  // Ring slots per P (Go's runtime2.go: runq [256]guintptr).
  static constexpr std::uint32_t kSize = 256;

  // --- owner P only ---
  // runqput: next=true puts gp in runnext, kicking the old runnext to the
  // tail. A full ring moves half of it plus gp to `global` (runqputslow,
  // taking `global_lock`). Returns true if that overflow happened.
  bool put(G* gp, bool next, GlobalRunQueue& global, rt::Mutex& global_lock);
  // runqget: runnext first (inheritTime = true), then the head of the ring.
  G* get(bool* inheritTime);
  // runqdrain: empties runnext and the ring into a queue (procresize).
  GQueue drain();
  // Tail put that must not overflow (globrunqget refilling a ring it knows
  // has room). Aborts if the ring is full.
  void put_tail_nooverflow(G* gp);

  // --- any P ---
  // runqsteal: steals half of victim's ring into this (the thief's) ring
  // and returns one of them. stealRunNext: also take victim's runnext
  // (last pass only); victimRunning makes the thief back off 3 µs first,
  // giving the victim a chance to run the G it just readied.
  G* steal(LocalRunQueue& victim, bool stealRunNext, bool victimRunning);
  // runqempty: true only if the ring and runnext are both empty at one
  // instant (Go's careful double read of tail).
  bool empty() const;
  std::uint32_t size() const;  // approximate when racing
  G* runnext_peek() const { return runnext_.load(rt::acquire); }  // acquire: see the G's fields

  // Test/debug view (owner or stopped world only).
  std::uint32_t head() const {
    return head_.load(rt::acquire);
  }  // acquire: pairs with consumers' CAS
  std::uint32_t tail() const {
    return tail_.load(rt::acquire);
  }  // acquire: pairs with producer's release
  G* slot(std::uint32_t i) const {
    return slots_[i % kSize].load(rt::relaxed);
  }  // relaxed: debug view
  // Forget everything (shutdown, world stopped).
  void reset();

 private:
  friend struct observe::InvariantsAccess;
  bool putslow(G* gp, std::uint32_t h, std::uint32_t t, GlobalRunQueue& global,
               rt::Mutex& global_lock);
  std::uint32_t grab(rt::Atomic<G*>* batch, std::uint32_t batchHead, bool stealRunNext,
                     bool victimRunning);

  rt::Atomic<std::uint32_t> head_{0};
  rt::Atomic<std::uint32_t> tail_{0};
  rt::Atomic<G*> runnext_{nullptr};
  rt::Atomic<G*> slots_[kSize];
};

class GlobalRunQueue {
 public:
  // All members: caller holds the lock that guards this queue (sched.lock).
  void put(G* gp) {
    q_.push_back(gp);
    size_.store(size_.load(rt::relaxed) + 1, rt::relaxed);
  }  // relaxed: writes under the lock; lock-free readers only use it as a hint
  void put_head(G* gp) {
    q_.push_front(gp);
    size_.store(size_.load(rt::relaxed) + 1, rt::relaxed);
  }  // relaxed: as above
  void put_batch(GQueue batch, std::int32_t n) {
    q_.push_back_all(batch);
    size_.store(size_.load(rt::relaxed) + n, rt::relaxed);
  }  // relaxed: as above
  // globrunqget: takes up to min(size/gomaxprocs + 1, max (if > 0), 128)
  // Gs, returns the first and puts the rest on `local` (which has room:
  // it is called with an empty or nearly empty local ring).
  G* get(LocalRunQueue& local, std::int32_t max, std::int32_t gomaxprocs);
  G* pop() {
    G* gp = q_.pop();
    if (gp) {
      size_.store(size_.load(rt::relaxed) - 1, rt::relaxed);
      pops_++;
    }
    return gp;
  }  // relaxed: as above
  // How many Gs were ever taken (each from the head: FIFO). A head that is
  // the same G at two reads with the same count never left the queue; the
  // same G with a higher count was taken and queued again (the liveness
  // check, core/quiescence.cpp, tells the two apart by it).
  std::uint64_t pops() const { return pops_; }
  // The oldest G (caller holds the lock, or nothing else runs: the
  // simulator's checks).
  G* peek() const { return q_.head; }
  // Lock-free hint (Go reads sched.runqsize racily the same way).
  std::int32_t size() const {
    return size_.load(rt::relaxed);
  }  // relaxed: a hint re-checked under the lock
  void reset() {
    q_ = GQueue{};
    size_.store(0, rt::relaxed);
    pops_ = 0;
  }  // relaxed: world stopped

 private:
  friend struct observe::InvariantsAccess;
  GQueue q_;
  rt::Atomic<std::int32_t> size_{0};
  std::uint64_t pops_ = 0;
};

}  // namespace gmpkit::core
