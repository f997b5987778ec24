// gmpkit/gmpkit.hpp — the umbrella header.
#pragma once

#include "gmpkit/chan.hpp"
#include "gmpkit/config.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/metrics.hpp"
#include "gmpkit/netpoll.hpp"
#include "gmpkit/os_thread.hpp"
#include "gmpkit/runtime.hpp"
#include "gmpkit/select.hpp"
#include "gmpkit/stw.hpp"
#include "gmpkit/sync.hpp"
#include "gmpkit/syscall.hpp"
#include "gmpkit/trace.hpp"
#include "gmpkit/waitgroup.hpp"
