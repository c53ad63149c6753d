#pragma once
// A real nginx on a loopback port for the duration of a test suite (Debian's nginx-light,
// installed by tools/install-deps.sh). Serves `return 200 "hello\n"` at / and a 4 KiB file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "net/address.hpp"

namespace barrage::test {

/// A loopback TCP port free just now.
inline int loopback_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto a = *net::socket_address::parse("127.0.0.1:0");
  ::bind(fd, a.get(), a.size());
  socklen_t len = sizeof(sockaddr_storage);
  ::getsockname(fd, a.get(), &len);
  ::close(fd);
  return net::socket_address(a.get(), len).port();
}

/// Whether something accepts connections on 127.0.0.1:port.
inline bool loopback_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto a = *net::socket_address::parse("127.0.0.1:" + std::to_string(port));
  bool ok = ::connect(fd, a.get(), a.size()) == 0;
  ::close(fd);
  return ok;
}

class nginx_process {
 public:
  /// `extra`: more directives for the server block (locations of a test's own).
  explicit nginx_process(const std::string& extra = "") {
    for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
      if (::access(p, X_OK) == 0) binary_ = p;
    if (binary_.empty()) return;
    char tmpl[] = "/tmp/barrage-nginx-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = loopback_free_port();
    std::ofstream(dir_ + "/big.txt") << std::string(4096, 'x');
    std::ofstream(dir_ + "/nginx.conf")
        << "worker_processes 1; daemon off; pid " << dir_ << "/nginx.pid; error_log " << dir_ << "/error.log;\n"
        << "events { worker_connections 4096; }\n"
        << "http { access_log off; client_body_temp_path " << dir_ << "; proxy_temp_path " << dir_ << ";\n"
        << "  fastcgi_temp_path " << dir_ << "; uwsgi_temp_path " << dir_ << "; scgi_temp_path " << dir_ << ";\n"
        << "  keepalive_requests 100000;\n"
        << "  server { listen 127.0.0.1:" << port_ << "; root " << dir_ << ";\n"
        << "    location = / { return 200 \"hello\\n\"; }\n"
        << "    location = /big.txt { }\n"
        << "    location = /teapot { return 418; }\n"
        << extra << " } }\n";
    const pid_t test_pid = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      tie_to_test_process(test_pid);
      ::execl(binary_.c_str(), binary_.c_str(), "-c", (dir_ + "/nginx.conf").c_str(), "-p", dir_.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !loopback_accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~nginx_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool available() const { return pid_ > 0 && loopback_accepts(port_); }
  int port() const { return port_; }
  /// The document root: files written there are served (before the first request for them).
  const std::string& root() const { return dir_; }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  std::string binary_, dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace barrage::test
