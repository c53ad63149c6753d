#pragma once
// A real nginx serving HTTPS on a loopback port for one test (Debian's nginx-light has the ssl
// module): the certificate and key given (made at test time, test_pki.hpp), the TLS versions
// given, session tickets and a session cache on. Serves `return 200 "hello\n"` at / and a
// big_size-byte file at /big.bin (many TLS records per response), and whatever locations
// `extra` adds (nginx syntax, inside the server block). `http2`: h2 by ALPN with TLS, h2c with
// prior knowledge without.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "net/address.hpp"
#include "nginx_fixture.hpp"

namespace barrage::test {

class nginx_tls_process {
 public:
  static constexpr std::size_t big_size = 300 * 1000;
  /// `protocols`: nginx's ssl_protocols, e.g. "TLSv1.2 TLSv1.3". `tls`: false serves plain HTTP.
  nginx_tls_process(const std::string& cert, const std::string& key, const std::string& protocols = "TLSv1.2 TLSv1.3",
                    bool tls = true, const std::string& extra = "", int worker_connections = 1024, bool http2 = false) {
    for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"})
      if (::access(p, X_OK) == 0) binary_ = p;
    if (binary_.empty()) return;
    char tmpl[] = "/tmp/barrage-nginx-tls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = loopback_free_port();
    std::ofstream(dir_ + "/big.bin") << std::string(big_size, 'x');
    std::ofstream(dir_ + "/nginx.conf")
        << "worker_processes 1; daemon off; pid " << dir_ << "/nginx.pid; error_log " << dir_ << "/error.log;\n"
        << "events { worker_connections " << worker_connections << "; }\n"
        << "http { access_log off; client_body_temp_path " << dir_ << "; proxy_temp_path " << dir_ << ";\n"
        << "  fastcgi_temp_path " << dir_ << "; uwsgi_temp_path " << dir_ << "; scgi_temp_path " << dir_ << ";\n"
        << "  keepalive_requests 100000;\n"
        << "  server { listen 127.0.0.1:" << port_ << (tls ? " ssl" : "") << (http2 ? " http2" : "") << ";\n"
        << (tls ? "    ssl_certificate " + cert + "; ssl_certificate_key " + key + "; ssl_protocols " + protocols +
                      "; ssl_session_cache shared:s:1m; ssl_session_tickets on;\n"
                : std::string())
        << "    root " << dir_ << ";\n"
        << "    location = / { return 200 \"hello\\n\"; }\n"
        << extra
        << "    location = /big.bin { } } }\n";
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
  ~nginx_tls_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  nginx_tls_process(const nginx_tls_process&) = delete;
  nginx_tls_process& operator=(const nginx_tls_process&) = delete;

  bool available() const { return pid_ > 0 && loopback_accepts(port_); }
  int port() const { return port_; }
  /// https://HOST:PORT/ (HOST: what the client connects by and verifies).
  std::string url(const std::string& host = "127.0.0.1", const std::string& path = "/") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  /// http://HOST:PORT/PATH, for a server made with tls = false.
  std::string http_url(const std::string& host = "127.0.0.1", const std::string& path = "/") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

 private:
  std::string binary_, dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace barrage::test
