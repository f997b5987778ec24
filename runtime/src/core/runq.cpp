#include "core/runq.hpp"

#include "core/planted_bug.hpp"
#include "core/schedule.hpp"
#include "platform/futex.hpp"

namespace gmpkit::core {

bool LocalRunQueue::put(G* gp, bool next, GlobalRunQueue& global, rt::Mutex& global_lock) {
  if (next) {
    // Only the owner sets runnext non-null, so a plain exchange is Go's CAS
    // loop. acq_rel: release publishes gp's fields to a thief that CASes it
    // out; acquire pairs with a thief's CAS to null of the old value.
    G* old = runnext_.exchange(gp, rt::acq_rel);
    if (old == nullptr) return false;
    gp = old;  // kick the old runnext to the tail
  }
  for (;;) {
    std::uint32_t h =
        head_.load(rt::acquire);  // acquire: synchronize with consumers' CAS (slot reuse)
    std::uint32_t t = tail_.load(rt::relaxed);  // relaxed: only we write tail
    if (t - h < kSize) {
      slots_[t % kSize].store(gp, rt::relaxed);  // relaxed: published by the release store of tail
      tail_.store(t + 1, rt::release);  // release: makes the slot available for consumption
      return false;
    }
    if (putslow(gp, h, t, global, global_lock)) return true;
    // The ring is no longer full (a thief took some); the put must succeed now.
  }
}

void LocalRunQueue::put_tail_nooverflow(G* gp) {
  std::uint32_t h = head_.load(rt::acquire);  // acquire: as in put
  std::uint32_t t = tail_.load(rt::relaxed);  // relaxed: only we write tail
  if (t - h >= kSize) fatal("runqput: local run queue unexpectedly full (globrunqget)");
  slots_[t % kSize].store(gp, rt::relaxed);  // relaxed: published by the release below
  tail_.store(t + 1, rt::release);  // release: as in put
}

bool LocalRunQueue::putslow(G* gp, std::uint32_t h, std::uint32_t t, GlobalRunQueue& global,
                            rt::Mutex& global_lock) {
  G* batch[kSize / 2 + 1];
  std::uint32_t n = (t - h) / 2;
  if (n != kSize / 2) fatal("runqputslow: queue is not full");
  for (std::uint32_t i = 0; i < n; i++)
    batch[i] = slots_[(h + i) % kSize].load(rt::relaxed);  // relaxed: validated by the CAS
  if (!head_.cas(h, h + n, rt::release)) return false;  // release: commits the consume
  batch[n] = gp;
  GQueue q;
  for (std::uint32_t i = 0; i <= n; i++) q.push_back(batch[i]);
  rt::LockGuard g(global_lock);
  global.put_batch(
      q, static_cast<std::int32_t>(GMPKIT_PLANTED_BUG(runqputslow_count_off_by_one) ? n : n + 1));
  return true;
}

G* LocalRunQueue::get(bool* inheritTime) {
  // If runnext is set and our CAS fails, a thief took it: no retry needed,
  // because only we can set it non-null again.
  G* next = runnext_.load(rt::acquire);  // acquire: see the readied G's fields
  if (next != nullptr &&
      runnext_.cas(next, nullptr, rt::acq_rel)) {  // acq_rel: claims it against thieves
    *inheritTime = !GMPKIT_PLANTED_BUG(runnext_no_inherit_time);
    return next;
  }
  *inheritTime = false;
  for (;;) {
    std::uint32_t h = head_.load(rt::acquire);  // acquire: synchronize with other consumers
    std::uint32_t t = tail_.load(rt::relaxed);  // relaxed: only we write tail
    if (t == h) return nullptr;
    G* gp = slots_[h % kSize].load(rt::relaxed);  // relaxed: validated by the CAS below
    if (head_.cas(h, h + 1, rt::release)) return gp;  // release: commits the consume
  }
}

GQueue LocalRunQueue::drain() {
  GQueue q;
  G* next = runnext_.load(rt::acquire);  // acquire: as in get
  if (next != nullptr && runnext_.cas(next, nullptr, rt::acq_rel))
    q.push_back(next);  // acq_rel: as in get
  for (;;) {
    std::uint32_t h = head_.load(rt::acquire);  // acquire: synchronize with other consumers
    std::uint32_t t = tail_.load(rt::relaxed);  // relaxed: only we write tail
    std::uint32_t n = t - h;
    if (n == 0) return q;
    if (n > kSize) continue;  // inconsistent h and t
    // Claim first, then link: after the CAS nobody else can see these Gs, so
    // writing their schedlink is safe (Go's runqdrain comment).
    G* batch[kSize];
    for (std::uint32_t i = 0; i < n; i++)
      batch[i] = slots_[(h + i) % kSize].load(rt::relaxed);  // relaxed: validated by the CAS
    if (!head_.cas(h, h + n, rt::release)) continue;  // release: commits the consume
    for (std::uint32_t i = 0; i < n; i++) q.push_back(batch[i]);
    return q;
  }
}

std::uint32_t LocalRunQueue::grab(rt::Atomic<G*>* batch, std::uint32_t batchHead, bool stealRunNext,
                                  bool victimRunning) {
  for (;;) {
    std::uint32_t h = head_.load(rt::acquire);  // acquire: synchronize with other consumers
    std::uint32_t t = tail_.load(rt::acquire);  // acquire: synchronize with the producer
    std::uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) {
      if (stealRunNext) {
        G* next = runnext_.load(rt::acquire);  // acquire: see the G's fields
        if (next != nullptr) {
          // Back off so the victim can run the G it just readied instead of
          // us thrashing it to another P (Go sleeps 3 µs here).
          if (victimRunning) rt::usleep(3);
          if (GMPKIT_PLANTED_BUG(runqgrab_runnext_no_cas))
            runnext_.store(nullptr, rt::release);  // release: as the CAS would
          else if (!runnext_.cas(next, nullptr, rt::acq_rel))
            continue;  // acq_rel: claims it
          batch[batchHead % kSize].store(next,
                                         rt::relaxed);  // relaxed: thief publishes via its own tail
          return 1;
        }
      }
      return 0;
    }
    if (n > kSize / 2) continue;  // read an inconsistent h and t
    for (std::uint32_t i = 0; i < n; i++) {
      G* gp = slots_[(h + i) % kSize].load(rt::relaxed);  // relaxed: validated by the CAS below
      batch[(batchHead + i) % kSize].store(gp,
                                           rt::relaxed);  // relaxed: thief publishes via its tail
    }
    if (head_.cas(h, h + n, rt::release)) return n;  // release: commits the consume
  }
}

G* LocalRunQueue::steal(LocalRunQueue& victim, bool stealRunNext, bool victimRunning) {
  std::uint32_t t = tail_.load(rt::relaxed);  // relaxed: only we (the owner) write our tail
  std::uint32_t n = victim.grab(slots_, t, stealRunNext, victimRunning);
  if (n == 0) return nullptr;
  n--;
  G* gp = slots_[(t + n) % kSize].load(rt::relaxed);  // relaxed: we wrote it just now
  if (n == 0) return gp;
  std::uint32_t h = head_.load(rt::acquire);  // acquire: synchronize with consumers
  if (t - h + n >= kSize) fatal("runqsteal: runq overflow");
  tail_.store(t + n, rt::release);  // release: makes the stolen Gs available for consumption
  return gp;
}

bool LocalRunQueue::empty() const {
  // Defend against: runnext holds G1 while head == tail; the owner kicks G1
  // into the ring and empties runnext. Observing head == tail then
  // runnext == null would wrongly say "empty", so re-read tail.
  for (;;) {
    std::uint32_t h =
        head_.load(rt::seq_cst);  // seq_cst: part of the spinning dance's store-load ordering
    std::uint32_t t = tail_.load(rt::seq_cst);
    G* next = runnext_.load(rt::seq_cst);
    if (t == tail_.load(rt::seq_cst)) return h == t && next == nullptr;
  }
}

std::uint32_t LocalRunQueue::size() const {
  std::uint32_t h = head_.load(rt::acquire);  // acquire: consistent enough for a size hint
  std::uint32_t t = tail_.load(rt::acquire);
  std::uint32_t n = t - h;
  if (n > kSize) n = kSize;
  return n + (runnext_.load(rt::relaxed) ? 1 : 0);  // relaxed: hint
}

void LocalRunQueue::reset() {
  head_.store(0, rt::relaxed);  // relaxed: world stopped, no concurrent access
  tail_.store(0, rt::relaxed);
  runnext_.store(nullptr, rt::relaxed);
}

G* GlobalRunQueue::get(LocalRunQueue& local, std::int32_t max, std::int32_t gomaxprocs) {
  std::int32_t sz = size();
  if (sz == 0) return nullptr;
  std::int32_t n = sz / gomaxprocs + 1;
  if (n > sz) n = sz;
  if (max > 0 && n > max) n = max;
  if (n > static_cast<std::int32_t>(LocalRunQueue::kSize / 2)) n = LocalRunQueue::kSize / 2;
  G* gp = pop();
  for (n--; n > 0; n--) local.put_tail_nooverflow(pop());
  return gp;
}

}  // namespace gmpkit::core
