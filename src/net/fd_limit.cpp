#include "net/fd_limit.hpp"

#include <dirent.h>
#include <sys/resource.h>

namespace barrage::net {

fd_limits current_fd_limits() noexcept {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  return {static_cast<std::size_t>(r.rlim_cur), static_cast<std::size_t>(r.rlim_max)};
}

fd_limits raise_fd_limit() noexcept {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  return current_fd_limits();
}

std::size_t open_fd_count() noexcept {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    if (n > 0) --n;  // the directory's own descriptor
  }
  return n;
}

std::optional<std::string> check_fd_budget(std::size_t needed, std::size_t reserve) {
  fd_limits lim = current_fd_limits();
  std::size_t in_use = open_fd_count();
  if (in_use + needed + reserve <= lim.soft) return std::nullopt;
  return "too many connections for the open-file limit: " + std::to_string(needed) + " needed, " +
         std::to_string(lim.soft > in_use + reserve ? lim.soft - in_use - reserve : 0) +
         " available (RLIMIT_NOFILE soft " + std::to_string(lim.soft) + ", hard " + std::to_string(lim.hard) +
         "); raise it with `ulimit -n " + std::to_string(in_use + needed + reserve) +
         "` or a nofile entry in /etc/security/limits.conf, or use fewer connections";
}

}  // namespace barrage::net
