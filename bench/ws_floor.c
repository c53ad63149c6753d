// ws_floor.c - the floor of a WebSocket echo client on this machine: a measuring stick for
// bench/ws_echo_ratio.sh, not a part of barrage.
//
// The least a closed-model echo client can do per message: one epoll_wait per batch of ready
// connections, one write of a prebuilt masked 64-byte text frame and one read of the echo per
// message, no parsing beyond the frame's length, no clock read, no histogram. Whatever a real
// client adds (latency recording, accounting, masking per message) comes on top of this, so
// its messages per CPU-second bound every client that costs a write and a read per message.
//
// usage: ws_floor HOST PORT PATH CONNECTIONS SECONDS
// prints: messages=N cpu_s=X msgs_per_cpu_s=Y
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 64

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
         (double)u.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/// Opens a connection and completes the opening handshake (blocking), then makes it non-blocking.
static int open_ws(const char *host, int port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, host, port);
  if (write(fd, req, (size_t)n) != n) die("write handshake");
  char resp[1024];
  size_t got = 0;
  while (got < 4 || memcmp(resp + got - 4, "\r\n\r\n", 4) != 0) {  // byte by byte: nothing past the head
    if (read(fd, resp + got, 1) != 1 || ++got == sizeof resp) die("read handshake");
  }
  if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
    fprintf(stderr, "handshake refused: %.40s\n", resp);
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: ws_floor HOST PORT PATH CONNECTIONS SECONDS\n");
    return 2;
  }
  const int port = atoi(argv[2]), conns = atoi(argv[4]);
  const double seconds = atof(argv[5]);
  // The frame: FIN + text, masked, 64-byte payload, a fixed mask (the cost of masking is not
  // the floor's: a real client pays it on top).
  unsigned char frame[2 + 4 + PAYLOAD];
  frame[0] = 0x81;
  frame[1] = 0x80 | PAYLOAD;
  memcpy(frame + 2, "\x11\x22\x33\x44", 4);
  for (int i = 0; i < PAYLOAD; ++i) frame[6 + i] = (unsigned char)('a' ^ frame[2 + (i & 3)]);
  const size_t reply = 2 + PAYLOAD;  // the server's frame: unmasked

  int ep = epoll_create1(0);
  size_t *pending = calloc((size_t)conns, sizeof *pending);  // bytes of the echo still to come
  for (int i = 0; i < conns; ++i) {
    int fd = open_ws(argv[1], port, argv[3]);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = ((uint64_t)fd << 32) | (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl");
    if (write(fd, frame, sizeof frame) != (ssize_t)sizeof frame) die("write");
    pending[i] = reply;
  }
  const double c0 = cpu_s(), t0 = now_s();
  uint64_t messages = 0;
  char buf[4096];
  struct epoll_event ev[256];
  while (now_s() - t0 < seconds) {
    int n = epoll_wait(ep, ev, 256, 100);
    for (int k = 0; k < n; ++k) {
      const int fd = (int)(ev[k].data.u64 >> 32);
      const uint32_t i = (uint32_t)ev[k].data.u64;
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        die("read");
      }
      if ((size_t)r > pending[i]) {
        fprintf(stderr, "more than one echo on a connection\n");
        return 1;
      }
      pending[i] -= (size_t)r;
      if (pending[i] == 0) {
        ++messages;
        if (write(fd, frame, sizeof frame) != (ssize_t)sizeof frame) die("write");
        pending[i] = reply;
      }
    }
  }
  const double cpu = cpu_s() - c0;
  printf("messages=%llu cpu_s=%.3f msgs_per_cpu_s=%.0f\n", (unsigned long long)messages, cpu, (double)messages / cpu);
  return 0;
}
