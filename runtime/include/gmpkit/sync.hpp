// gmpkit/sync.hpp — Go's sync package: WaitGroup, Mutex, RWMutex, Cond.
#pragma once

#include "gmpkit/cond.hpp"
#include "gmpkit/mutex.hpp"
#include "gmpkit/rwmutex.hpp"
#include "gmpkit/waitgroup.hpp"
