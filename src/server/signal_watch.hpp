#pragma once
// signal_watch: SIGINT / SIGTERM as values on a loop, through a signalfd. Nothing runs in a
// signal handler: the signals are blocked and read from the descriptor like any input.
//
//   signal_watch signals;              // first, before any thread starts (they inherit the mask)
//   server s(...);
//   spawn(stop_on_signals(s, signals));
//   co_await s.serve();
#include <signal.h>

#include <initializer_list>

#include "runtime/io.hpp"
#include "runtime/task.hpp"

namespace barrage::server {

class server;

class signal_watch {
 public:
  /// Blocks `signals` in the calling thread (threads started later inherit the mask) and
  /// opens a signalfd for them. Throws std::system_error when it cannot.
  explicit signal_watch(std::initializer_list<int> signals = {SIGINT, SIGTERM});
  /// Closes the descriptor and restores the previous mask.
  ~signal_watch();
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

  /// The number of the next signal, waited for on the current loop.
  task<int> next();

 private:
  int fd_ = -1;
  sigset_t set_{}, previous_{};
};

/// The first signal stops `s` gracefully (stop()), the second at once (stop_now()).
task<void> stop_on_signals(server& s, signal_watch& signals);

}  // namespace barrage::server
