#pragma once
// A real nginx speaking h2c with prior knowledge (`listen ... http2`, Debian's nginx-light) on
// two loopback ports for a test suite, and a blocking loopback socket to talk to it. Plain
// POSIX only: the h2 layer's tests link nothing of net. Port `main`: / returns "hello\n",
// /big.bin is 1 MiB of a pattern, PUT /up/<name> stores a body (WebDAV) that GET then serves,
// at most 4 concurrent streams. Port `short_lived`: GOAWAY after 5 requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

namespace barrage::test {

/// A connected blocking TCP socket to 127.0.0.1:port, or -1.
inline int loopback_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A port nothing listens on just now.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// The 1 MiB that /big.bin serves.
inline std::string big_body() {
  std::string b(1 << 20, '\0');
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return b;
}

class nginx_h2c_process {
 public:
  nginx_h2c_process() {
    for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
      if (::access(p, X_OK) == 0) binary_ = p;
    if (binary_.empty()) return;
    char tmpl[] = "/tmp/barrage-nginx-h2c-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    main_ = free_loopback_port();
    short_ = free_loopback_port();
    // nginx's workers run as nobody when the tests run as root: they must reach the files,
    // and write the uploads and their temporary files.
    std::filesystem::create_directory(dir_ + "/up");
    std::filesystem::create_directory(dir_ + "/tmp");
    for (const std::string& d : {dir_, dir_ + "/up", dir_ + "/tmp"})
      std::filesystem::permissions(d, std::filesystem::perms::all);
    std::ofstream(dir_ + "/big.bin", std::ios::binary) << big_body();
    std::ofstream(dir_ + "/nginx.conf")
        << "worker_processes 1; daemon off; pid " << dir_ << "/nginx.pid; error_log " << dir_ << "/error.log;\n"
        << "events { worker_connections 1024; }\n"
        << "http { access_log off; client_body_temp_path " << dir_ << "/tmp; proxy_temp_path " << dir_ << ";\n"
        << "  fastcgi_temp_path " << dir_ << "; uwsgi_temp_path " << dir_ << "; scgi_temp_path " << dir_ << ";\n"
        << "  server { listen 127.0.0.1:" << main_ << " http2; root " << dir_ << ";\n"
        << "    http2_max_concurrent_streams 4; keepalive_requests 100000;\n"
        << "    location = / { return 200 \"hello\\n\"; }\n"
        << "    location = /big.bin { }\n"
        << "    location /up/ { dav_methods PUT; client_max_body_size 8m; } }\n"
        << "  server { listen 127.0.0.1:" << short_ << " http2; keepalive_requests 5;\n"
        << "    location = / { return 200 \"short\\n\"; } } }\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(binary_.c_str(), binary_.c_str(), "-c", (dir_ + "/nginx.conf").c_str(), "-p", dir_.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !accepts(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~nginx_h2c_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  nginx_h2c_process(const nginx_h2c_process&) = delete;
  nginx_h2c_process& operator=(const nginx_h2c_process&) = delete;

  bool available() const { return pid_ > 0 && accepts(); }
  int port() const { return main_; }
  int short_lived_port() const { return short_; }
  /// What a PUT to /up/<name> stored.
  std::string stored(std::string_view name) const {
    std::ifstream in(dir_ + "/up/" + std::string(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  bool accepts() const {
    for (int port : {main_, short_}) {
      const int fd = loopback_connect(port);
      if (fd < 0) return false;
      ::close(fd);
    }
    return true;
  }

  std::string binary_, dir_;
  int main_ = 0, short_ = 0;
  pid_t pid_ = -1;
};

}  // namespace barrage::test
