#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <thread>

#include "platform/thread.hpp"

namespace gmpkit::rt {

namespace {
struct Start {
  void (*fn)(void*);
  void* arg;
};
void* trampoline(void* p) {
  Start s = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  s.fn(s.arg);
  return nullptr;
}
}  // namespace

bool thread_create(Thread* t, void (*fn)(void*), void* arg, std::size_t stack_size) noexcept {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (stack_size) pthread_attr_setstacksize(&attr, stack_size);
  auto* s = new (std::nothrow) Start{fn, arg};
  if (!s) return false;
  pthread_t th;
  int rc = pthread_create(&th, &attr, trampoline, s);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete s;
    errno = rc;
    return false;
  }
  t->handle = th;
  return true;
}

void thread_join(Thread t) noexcept { pthread_join(static_cast<pthread_t>(t.handle), nullptr); }

std::int64_t gettid() noexcept { return static_cast<std::int64_t>(::syscall(SYS_gettid)); }

void thread_stack_bounds(void** lo, std::size_t* size) noexcept {
  pthread_attr_t attr;
  *lo = nullptr;
  *size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, lo, size);
    pthread_attr_destroy(&attr);
  }
}

int cpu_count() noexcept { return static_cast<int>(std::thread::hardware_concurrency()); }

}  // namespace gmpkit::rt
