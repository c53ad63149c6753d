#pragma once
// For a server a test forks and execs (nginx, dnsmasq): call in the child, before exec. The
// server gets SIGTERM when the test process ends however it ends (a sanitizer's abort, a
// crash: no destructor stops it then), and its output goes to /dev/null, not to the test's
// stdout and stderr. A server left running would hold ctest's output pipe open, so a test that
// crashed in a second would read as a timeout minutes later.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace barrage::test {

/// `parent`: getpid() of the test process, taken before fork().
inline void tie_to_test_process(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the test process ended before the prctl
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
  }
}

}  // namespace barrage::test
