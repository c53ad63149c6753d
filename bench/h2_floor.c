// h2_floor.c - the floor of an HTTP/2 client on this machine: a measuring stick for the h2 rows
// of `make bench` (bench/lib/h2.py), not a part of barrage.
//
// The least a closed-model HTTP/2 client can do with the libraries barrage and h2load use
// (OpenSSL for TLS 1.3 with ALPN h2, nghttp2 for the framing and HPACK): one thread, epoll,
// non-blocking sockets, C connections of M streams each, every stream submitted again (the same
// GET, a prebuilt name-value array passed with NO_COPY flags) as soon as it closes, all the
// plaintext a wake-up brings handed to nghttp2 at once, the frames it produces sent in one write
// per connection per wake-up. No clock per request, no histogram, no per-stream state of its
// own: the only figure is the count of streams closed without error after a 2xx status. Whatever
// a real client adds (latency, accounting, timeouts, retries) comes on top of this, so its
// requests per CPU-second bound every client built on these libraries.
//
// usage: h2_floor [-c conns] [-m streams] [-d seconds] [-n requests] [-e] [-i] [-p] URL (URL: https://IP:PORT/PATH for
//        h2 by ALPN over TLS 1.3, http://IP:PORT/PATH for h2c with prior knowledge; the server's
//        certificate is not verified, as h2load does not)
//   -n   stop after this many completed requests (or -d, whichever comes first): runs of two
//        counts under callgrind differ by the steady state's instructions only
//   -i   write each connection as soon as it was read, not after every ready connection was read
//   -p   nghttp2 allocates with glibc's malloc instead of the pool below
//   -e   read until EAGAIN on every wake-up (h2load's way); without it the socket is read once
//        per wake-up (OpenSSL reads ahead into a 64 KiB buffer), and then only what that read
//        brought is decrypted: one fewer read(2) per wake-up
// prints: requests=N duration=S rps=X cpu_s=Y
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF 65536
#define WBUF 65536

typedef struct {
  int fd;
  SSL *ssl;  // NULL for h2c
  nghttp2_session *session;
  size_t wlen;    // bytes in wbuf still to write (a write that would have blocked)
  int watch_out;  // EPOLLOUT registered
  uint8_t wbuf[WBUF];
} conn_t;

static nghttp2_nv request[4];
static uint64_t completed;  // streams closed without error after a 2xx status
static int non_2xx;         // the address marks a stream whose status was not 2xx
static int read_until_eagain;
static int defer_writes = 1;
static int ep;

// nghttp2's memory: it allocates and frees the same small objects for every stream (the stream,
// its outbound item, HPACK strings). Freed blocks of up to 512 bytes go to a free list per 16-byte
// class and are handed out again (barrage's sessions do the same); larger ones go to malloc.
// Without -p, glibc's malloc.
#define GRANULE 16
#define CLASSES 32
typedef union block {
  union block *next;  // while free
  max_align_t align;
} block_t;
static block_t *free_list[CLASSES];
static int use_pool = 1;

static void *pool_malloc(size_t size, void *u) {
  (void)u;
  size_t cls = size == 0 ? 0 : (size - 1) / GRANULE;
  if (cls < CLASSES && free_list[cls]) {
    block_t *b = free_list[cls];
    free_list[cls] = b->next;
    return b;
  }
  size_t *h = malloc(sizeof(block_t) + (cls < CLASSES ? (cls + 1) * GRANULE : size));
  if (!h) return NULL;
  h[0] = cls < CLASSES ? cls : SIZE_MAX;
  h[1] = size;
  return (block_t *)h + 1;
}

static void pool_free(void *p, void *u) {
  (void)u;
  if (!p) return;
  size_t *h = (size_t *)((block_t *)p - 1);
  if (h[0] == SIZE_MAX) {
    free(h);
    return;
  }
  ((block_t *)p)->next = free_list[h[0]];
  free_list[h[0]] = p;
}

static void *pool_calloc(size_t n, size_t size, void *u) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = pool_malloc(n * size, u);
  if (p) memset(p, 0, n * size);
  return p;
}

static void *pool_realloc(void *p, size_t size, void *u) {
  if (!p) return pool_malloc(size, u);
  size_t *h = (size_t *)((block_t *)p - 1);
  size_t have = h[0] == SIZE_MAX ? h[1] : (h[0] + 1) * GRANULE;
  if (size <= have) return p;
  void *q = pool_malloc(size, u);
  if (q) {
    memcpy(q, p, have);
    pool_free(p, u);
  }
  return q;
}

static nghttp2_mem pool = {NULL, pool_malloc, pool_free, pool_calloc, pool_realloc};

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
  fprintf(stderr, "h2_floor: %s: %s\n", what, errno ? strerror(errno) : "failed");
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void nv(nghttp2_nv *v, const char *name, const char *value) {
  v->name = (uint8_t *)name;
  v->namelen = strlen(name);
  v->value = (uint8_t *)value;
  v->valuelen = strlen(value);
  v->flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
}

// Only :status is looked at; a stream is marked only when it is not 2xx (the rare path), so a
// successful request costs one stream look-up, at its close.
static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)flags, (void)user;
  if (namelen == 7 && memcmp(name, ":status", 7) == 0 && (valuelen != 3 || value[0] != '2'))
    nghttp2_session_set_stream_user_data(s, f->hd.stream_id, &non_2xx);
  return 0;
}

// nghttp2 checks each response (one :status, no connection-specific fields, the body against
// content-length) and resets a stream that breaks the rules, so a stream closed with NO_ERROR
// and not marked is a complete 2xx response.
static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user) {
  (void)user;
  if (error_code == NGHTTP2_NO_ERROR && nghttp2_session_get_stream_user_data(s, id) == NULL) ++completed;
  nghttp2_submit_request(s, NULL, request, 4, NULL, NULL);
  return 0;
}

static void watch(conn_t *c, int out) {
  struct epoll_event e = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0) die("epoll_ctl");
  c->watch_out = out;
}

/// Sends what nghttp2 has queued: every frame copied into one buffer, one write.
static void flush(conn_t *c) {
  if (c->wlen == 0) {
    for (;;) {
      const uint8_t *p;
      ssize_t n = nghttp2_session_mem_send(c->session, &p);
      if (n < 0) die("nghttp2_session_mem_send");
      if (n == 0) break;
      if (c->wlen + (size_t)n > WBUF) die("more than 64 KiB to send at once");
      memcpy(c->wbuf + c->wlen, p, (size_t)n);
      c->wlen += (size_t)n;
    }
  }
  if (c->wlen == 0) return;
  if (c->ssl) {  // a retried SSL_write gets the same buffer: OpenSSL's rule
    int r = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
    if (r > 0) {
      c->wlen = 0;
    } else if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_WRITE) {
      die("SSL_write");
    }
  } else {
    ssize_t r = write(c->fd, c->wbuf, c->wlen);
    if (r > 0) {
      memmove(c->wbuf, c->wbuf + r, c->wlen - (size_t)r);
      c->wlen -= (size_t)r;
    } else if (errno != EAGAIN) {
      die("write");
    }
  }
  if ((c->wlen != 0) != c->watch_out) watch(c, c->wlen != 0);
}

static void feed(conn_t *c, const uint8_t *buf, size_t len) {
  if (len && nghttp2_session_mem_recv(c->session, buf, len) != (ssize_t)len) die("nghttp2_session_mem_recv");
}

/// TLS: the records the socket holds, decrypted into one buffer and handed to nghttp2 at once.
/// Without -e, one read(2) (OpenSSL reads ahead as much as its 64 KiB buffer holds) and then only
/// the records it brought; with -e, on until the socket is empty.
static void read_tls(conn_t *c) {
  static uint8_t buf[RBUF];
  for (;;) {
    size_t len = 0;
    int empty = 0;
    while (len + 16384 <= RBUF) {
      int r = SSL_read(c->ssl, buf + len, (int)(RBUF - len));
      if (r <= 0) {
        if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) die("SSL_read");
        empty = 1;
        break;
      }
      len += (size_t)r;
      if (!read_until_eagain && !SSL_has_pending(c->ssl)) {
        empty = 1;
        break;
      }
    }
    feed(c, buf, len);
    if (empty) return;
  }
}

/// h2c: one read(2) of up to 64 KiB per wake-up (another only when it filled the buffer), or with
/// -e reads until EAGAIN.
static void read_plain(conn_t *c) {
  static uint8_t buf[RBUF];
  for (;;) {
    ssize_t r = read(c->fd, buf, RBUF);
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) die(r == 0 ? "the server closed a connection" : "read");
    feed(c, buf, (size_t)r);
    if (!read_until_eagain && r < RBUF) return;
  }
}

static conn_t *open_conn(const struct sockaddr_in *a, SSL_CTX *tls, int streams) {
  conn_t *c = calloc(1, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)a, sizeof *a) != 0) die("connect");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (tls) {  // the handshake blocking, before the socket turns non-blocking
    c->ssl = SSL_new(tls);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) die("TLS handshake");
    const unsigned char *proto;
    unsigned len;
    SSL_get0_alpn_selected(c->ssl, &proto, &len);
    if (len != 2 || memcmp(proto, "h2", 2) != 0) {
      fprintf(stderr, "h2_floor: the server did not select h2 by ALPN\n");
      exit(1);
    }
  }
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

  nghttp2_session_callbacks *cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  if (nghttp2_session_client_new3(&c->session, cb, c, NULL, use_pool ? &pool : NULL) != 0)
    die("nghttp2_session_client_new");
  nghttp2_session_callbacks_del(cb);
  // Windows of 2^30 - 1 (h2load's defaults): no WINDOW_UPDATE in a run.
  nghttp2_settings_entry s[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (1u << 30) - 1}};
  nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, s, 2);
  nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, (1 << 30) - 1);
  for (int i = 0; i < streams; ++i) nghttp2_submit_request(c->session, NULL, request, 4, NULL, NULL);

  struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0) die("epoll_ctl");
  return c;
}

int main(int argc, char **argv) {
  int conns = 10, streams = 10, opt;
  double seconds = 5;
  unsigned long long limit = 0;  // -n: 0 for none
  while ((opt = getopt(argc, argv, "c:m:d:n:epi")) != -1) {
    if (opt == 'c') conns = atoi(optarg);
    else if (opt == 'm') streams = atoi(optarg);
    else if (opt == 'd') seconds = atof(optarg);
    else if (opt == 'n') limit = strtoull(optarg, NULL, 10);
    else if (opt == 'e') read_until_eagain = 1;
    else if (opt == 'p') use_pool = 0;
    else if (opt == 'i') defer_writes = 0;
    else conns = 0;  // an unknown option: the usage line below
  }
  static char host[256], authority[300], path[1024] = "/";
  int port = 0, tls_url = 0;
  const char *url = optind == argc - 1 ? argv[optind] : "";
  if (strncmp(url, "https://", 8) == 0) tls_url = 1;
  if (conns < 1 || streams < 1 || seconds <= 0 ||
      (!tls_url && strncmp(url, "http://", 7) != 0) ||
      sscanf(url + (tls_url ? 8 : 7), "%255[^:/]:%d%1023s", host, &port, path) < 2) {
    fprintf(stderr, "usage: h2_floor [-c conns] [-m streams] [-d seconds] [-n requests] [-e] [-i] [-p] http[s]://IP:PORT/PATH\n");
    return 2;
  }
  snprintf(authority, sizeof authority, "%s:%d", host, port);
  nv(&request[0], ":method", "GET");
  nv(&request[1], ":scheme", tls_url ? "https" : "http");
  nv(&request[2], ":authority", authority);
  nv(&request[3], ":path", path);

  SSL_CTX *tls = NULL;
  if (tls_url) {
    tls = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(tls, TLS1_3_VERSION);
    SSL_CTX_set_alpn_protos(tls, (const unsigned char *)"\x02h2", 3);
    SSL_CTX_set_read_ahead(tls, 1);  // one read(2) brings every record that has arrived
    SSL_CTX_set_default_read_buffer_len(tls, RBUF);
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "h2_floor: the host must be an IPv4 address\n");
    return 2;
  }
  ep = epoll_create1(0);
  conn_t **all = calloc((size_t)conns, sizeof *all);
  for (int i = 0; i < conns; ++i) all[i] = open_conn(&a, tls, streams);

  const double c0 = cpu_s(), t0 = now_s();
  for (int i = 0; i < conns; ++i) flush(all[i]);
  struct epoll_event ev[256];
  double t = t0;
  while (t - t0 < seconds && (limit == 0 || completed < limit)) {
    int n = epoll_wait(ep, ev, 256, 100);
    for (int k = 0; k < n; ++k) {
      conn_t *c = ev[k].data.ptr;
      if (ev[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (c->ssl) read_tls(c);
        else read_plain(c);
      }
      if (!defer_writes) flush(c);
    }
    if (defer_writes)
      for (int k = 0; k < n; ++k) flush(ev[k].data.ptr);
    t = now_s();
  }
  printf("requests=%llu duration=%.3f rps=%.1f cpu_s=%.3f\n", (unsigned long long)completed, t - t0,
         (double)completed / (t - t0), cpu_s() - c0);
  return 0;
}
