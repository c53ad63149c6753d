#pragma once
// Everything of the coroutine runtime, for programs that want it all.
#include "runtime/async_event.hpp"
#include "runtime/async_queue.hpp"
#include "runtime/async_semaphore.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/task.hpp"
#include "runtime/to_thread.hpp"
#include "runtime/when_all.hpp"
#include "runtime/when_any.hpp"
#include "runtime/with_timeout.hpp"
