// platform/sim/thread_sim.cpp — simulated threads (platform/thread.hpp):
// each is a fiber of the simulator on the calling OS thread.
#include <pthread.h>

#include <cerrno>

#include "platform/sim/simulator.hpp"
#include "platform/thread.hpp"

namespace gmpkit::rt {

bool thread_create(Thread* t, void (*fn)(void*), void* arg, std::size_t stack_size) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) {
    errno = EPERM;  // the simulation build runs the runtime only inside sim::run
    return false;
  }
  sim::Fiber* f = s->spawn(fn, arg, stack_size);
  if (f == nullptr) {
    errno = EAGAIN;
    return false;
  }
  t->handle = reinterpret_cast<unsigned long>(f);
  s->point(sim::Point::thread_start);
  return true;
}

void thread_join(Thread t) noexcept {
  sim::Simulator* s = sim::g_sim;
  auto* f = reinterpret_cast<sim::Fiber*>(t.handle);
  if (s == nullptr || f == nullptr) return;
  s->point(sim::Point::thread_join);
  while (f->state != sim::Fiber::State::exited) s->block(f, -1);
}

std::int64_t gettid() noexcept {
  sim::Simulator* s = sim::g_sim;
  return s && s->cur ? 1'000'000 + s->cur->id : 1'000'000;
}

void thread_stack_bounds(void** lo, std::size_t* size) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s && s->cur && s->cur->stack) {
    *lo = s->cur->stack;
    *size = s->cur->stack_size;
    return;
  }
  pthread_attr_t attr;
  *lo = nullptr;
  *size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, lo, size);
    pthread_attr_destroy(&attr);
  }
}

int cpu_count() noexcept {
  sim::Simulator* s = sim::g_sim;
  return s ? s->params.cpus : 1;
}

void register_thread_local(void* addr, std::size_t size) noexcept {
  if (sim::g_sim) sim::g_sim->register_tls(addr, size);
}

}  // namespace gmpkit::rt
