// uring_floor.c - the floor of a batching HTTP/1.1 client on this machine: a measuring stick
// for barrage's io_uring generator (bench/backends.sh), not a part of barrage.
//
// The least a closed-loop keep-alive client can do per request when it batches its system calls
// the way barrage's io_uring backend does: one thread, one ring (SINGLE_ISSUER | DEFER_TASKRUN),
// C connections, one multishot receive per connection for its whole life into a provided-buffer
// ring, each request sent by an IORING_OP_SEND SQE from one static buffer (MSG_WAITALL, so a
// short send is finished by the kernel; its success posts no completion, IOSQE_CQE_SKIP_SUCCESS),
// and one io_uring_submit_and_wait per loop turn, which both submits the turn's sends and waits
// for the next completions. Responses are framed by the header end and Content-Length only (as
// ../shared/anchors/limit/cli_epoll.c does), parsed in place in the kernel's buffer. One clock
// read per loop turn, none per request; no latency, no histogram, no timeouts: the only figure is
// the count of responses completed within the duration. Whatever a real client adds comes on top
// of this, so its requests per CPU-second bound every client that batches this way.
//
// usage: uring_floor [-a addr] [-p port] [-c conns] [-d seconds] [-u path] [-k] [-f] [-z | -w | -W]
//   -k   ask for a completion for every send too (by default a successful send posts none)
//   -f   a fixed file table: every socket installed in a slot (io_uring_register_files_update)
//        and every operation on it IOSQE_FIXED_FILE, so the kernel takes no file reference per op
//   -z   send from a registered buffer with IORING_OP_SEND_ZC (a plain send cannot use one: the
//        kernel refuses IORING_RECVSEND_FIXED_BUF on IORING_OP_SEND with EINVAL); each send posts
//        a completion and a notification (SEND_ZC refuses IOSQE_CQE_SKIP_SUCCESS)
//   -w   send from a registered buffer with IORING_OP_WRITE_FIXED (no MSG_WAITALL: a short write
//        would be an error here; a request of ~40 bytes is never cut on loopback)
//   -W   send with IORING_OP_WRITE from the plain buffer (-w without the registered buffer)
// prints: requests=N duration=S rps=X errors=E conns=C cpu_user=U cpu_sys=S enters=T
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 2048  /* one provided buffer; nginx's 153-byte response fits many times */
#define CARRY 4096     /* a response head split over two buffers is gathered here */
#define BGID 0
#define TAG_RECV 0ull
#define TAG_SEND 1ull

typedef struct {
    int fd;
    int dead;
    long body_left;  /* bytes of the current body still to come; -1: in the head */
    size_t carry_len;
    char *carry;     /* allocated the first time a head is split */
} conn_t;

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static unsigned nbufs, recycled;
static conn_t *conns;
static const char *req;
static unsigned reqlen;
static unsigned send_flags = IOSQE_CQE_SKIP_SUCCESS;
static int fixed_files;  /* -f: conns[i] is in slot i */
static char send_mode;   /* 0: IORING_OP_SEND; 'z': SEND_ZC, 'w': WRITE_FIXED, from buffer 0 */
static uint64_t completed, errors, enters;

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    while (!sqe) {  /* the queue is full: hand it to the kernel early (rare: SQ >= conns) */
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void arm_recv(unsigned i) {
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_recv_multishot(sqe, fixed_files ? (int)i : conns[i].fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT | (fixed_files ? IOSQE_FIXED_FILE : 0);
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, (uint64_t)i << 1 | TAG_RECV);
}

static void send_req(unsigned i) {
    struct io_uring_sqe *sqe = sqe_get();
    int fd = fixed_files ? (int)i : conns[i].fd;
    if (send_mode == 'z') {
        io_uring_prep_send_zc_fixed(sqe, fd, req, reqlen, MSG_WAITALL, 0, 0);
    } else if (send_mode == 'w') {
        io_uring_prep_write_fixed(sqe, fd, req, reqlen, 0, 0);
        sqe->flags |= send_flags;
    } else if (send_mode == 'W') {
        io_uring_prep_write(sqe, fd, req, reqlen, 0);
        sqe->flags |= send_flags;
    } else {
        io_uring_prep_send(sqe, fd, req, reqlen, MSG_WAITALL);
        sqe->flags |= send_flags;
    }
    if (fixed_files) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uint64_t)i << 1 | TAG_SEND);
}

static void kill_conn(conn_t *c) {
    if (c->dead) return;
    c->dead = 1;
    errors++;
    shutdown(c->fd, SHUT_RDWR);  /* ends its receive (closing would not: the kernel holds the socket) */
    close(c->fd);
}

static long content_length(const char *h, size_t n) {
    static const char key[] = "content-length:";
    const size_t kl = sizeof(key) - 1;
    for (size_t i = 0; i + kl < n; i++) {
        if ((i == 0 || h[i - 1] == '\n') && strncasecmp(h + i, key, kl) == 0) {
            const char *p = h + i + kl;
            while (*p == ' ' || *p == '\t') p++;
            return strtol(p, NULL, 10);
        }
    }
    return 0;
}

/* Frames the bytes p[0..n) of connection c; returns the number of responses they complete, or
   -1 when a head does not fit the carry buffer. An unfinished head is kept in c->carry. */
static int frame(conn_t *c, const char *p, size_t n) {
    int done = 0;
    size_t off = 0;
    while (off < n) {
        if (c->body_left < 0) {
            const char *e = memmem(p + off, n - off, "\r\n\r\n", 4);
            if (!e) {
                if (n - off > CARRY) return -1;
                if (!c->carry && !(c->carry = malloc(CARRY))) return -1;
                memmove(c->carry, p + off, n - off);
                c->carry_len = n - off;
                return done;
            }
            size_t hend = (size_t)(e - p) + 4;
            c->body_left = content_length(p + off, hend - off);
            off = hend;
        }
        size_t take = (size_t)c->body_left < n - off ? (size_t)c->body_left : n - off;
        off += take;
        c->body_left -= (long)take;
        if (c->body_left == 0) {
            c->body_left = -1;
            done++;
        }
    }
    c->carry_len = 0;
    return done;
}

static int on_data(conn_t *c, const char *p, size_t n) {
    if (!c->carry_len) return frame(c, p, n);
    if (c->carry_len + n > CARRY) return -1;  /* a head longer than CARRY: not HTTP we serve */
    memcpy(c->carry + c->carry_len, p, n);
    size_t len = c->carry_len + n;
    c->carry_len = 0;
    /* frame() may move the tail within carry; memmove makes that safe */
    return frame(c, c->carry, len);
}

static void on_recv(unsigned i, int res, unsigned flags, int running) {
    conn_t *c = &conns[i];
    if (flags & IORING_CQE_F_BUFFER) {
        unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
        char *b = bufs + (size_t)bid * BUF_SIZE;
        int done = (res > 0 && !c->dead) ? on_data(c, b, (size_t)res) : 0;
        io_uring_buf_ring_add(br, b, BUF_SIZE, (unsigned short)bid, io_uring_buf_ring_mask(nbufs), (int)recycled++);
        if (done < 0) { kill_conn(c); return; }
        if (running) completed += (uint64_t)done;
        if (done > 1) { kill_conn(c); return; }  /* one request in flight: more is a framing error */
        if (done && running) send_req(i);
    }
    if (c->dead) return;
    if (res == 0 || (res < 0 && res != -ENOBUFS)) { kill_conn(c); return; }
    if (!(flags & IORING_CQE_F_MORE)) arm_recv(i);  /* ended (the pool ran dry): arm it again */
}

static unsigned pow2_at_least(unsigned n) {
    unsigned p = 1;
    while (p < n) p <<= 1;
    return p;
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1", *path = "/";
    int port = 18083, opt;
    unsigned nconn = 100;
    double dur = 5.0;
    while ((opt = getopt(argc, argv, "a:p:c:d:u:kfzwW")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nconn = (unsigned)atoi(optarg); break;
        case 'd': dur = atof(optarg); break;
        case 'u': path = optarg; break;
        case 'k': send_flags = 0; break;
        case 'f': fixed_files = 1; break;
        case 'z': send_mode = 'z'; break;
        case 'w': send_mode = 'w'; break;
        case 'W': send_mode = 'W'; break;
        default:
            fprintf(stderr, "usage: %s [-a addr] [-p port] [-c conns] [-d sec] [-u path] [-k] [-f] [-z | -w | -W]\n", argv[0]);
            return 2;
        }
    }
    if (nconn < 1 || nconn > 65536 || dur <= 0) {
        fprintf(stderr, "%s: -c must be 1..65536 and -d above 0\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    static char one_req[512];
    reqlen = (unsigned)snprintf(one_req, sizeof one_req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path, addr, port);
    req = one_req;

    unsigned sq = pow2_at_least(nconn < 64 ? 64 : nconn);
    if (sq > 4096) sq = 4096;
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = pow2_at_least(4 * nconn < 4096 ? 4096 : 4 * nconn);
    int r = io_uring_queue_init_params(sq, &ring, &p);
    if (r < 0) { fprintf(stderr, "io_uring_queue_init_params: %s\n", strerror(-r)); return 1; }
    io_uring_register_ring_fd(&ring);
    if (fixed_files && (r = io_uring_register_files_sparse(&ring, nconn)) < 0) {
        fprintf(stderr, "io_uring_register_files_sparse: %s\n", strerror(-r));
        return 1;
    }

    /* Two buffers per connection: every connection can land a response in one enter. */
    nbufs = pow2_at_least(2 * nconn < 64 ? 64 : 2 * nconn);
    if (nbufs > 32768) nbufs = 32768;
    br = mmap(NULL, nbufs * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    bufs = malloc((size_t)nbufs * BUF_SIZE);
    if (br == MAP_FAILED || !bufs) { perror("buffers"); return 1; }
    struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)br, .ring_entries = nbufs, .bgid = BGID};
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-r));
        return 1;
    }
    io_uring_buf_ring_init(br);
    for (unsigned b = 0; b < nbufs; b++)
        io_uring_buf_ring_add(br, bufs + (size_t)b * BUF_SIZE, BUF_SIZE, (unsigned short)b, io_uring_buf_ring_mask(nbufs), (int)b);
    io_uring_buf_ring_advance(br, (int)nbufs);

    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) { fprintf(stderr, "%s: bad address %s\n", argv[0], addr); return 2; }
    conns = calloc(nconn, sizeof(conn_t));
    int one = 1;
    for (unsigned i = 0; i < nconn; i++) {
        conn_t *c = &conns[i];
        c->body_left = -1;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0) { perror("socket"); return 1; }
        if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) < 0) { perror("connect"); return 1; }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fixed_files && (r = io_uring_register_files_update(&ring, i, &c->fd, 1)) < 0) {
            fprintf(stderr, "io_uring_register_files_update: %s\n", strerror(-r));
            return 1;
        }
    }
    if (send_mode == 'z' || send_mode == 'w') {
        struct iovec iov = {.iov_base = one_req, .iov_len = sizeof one_req};
        if ((r = io_uring_register_buffers(&ring, &iov, 1)) < 0) {
            fprintf(stderr, "io_uring_register_buffers: %s\n", strerror(-r));
            return 1;
        }
    }

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(dur * 1e9), t = t0;
    for (unsigned i = 0; i < nconn; i++) {
        arm_recv(i);
        send_req(i);
    }
    unsigned alive = nconn;
    struct __kernel_timespec tick = {.tv_sec = 0, .tv_nsec = 100000000};  /* a silent peer */
    while (t < end && alive) {
        struct io_uring_cqe *cqe;
        r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &tick, NULL);
        enters++;
        if (r < 0 && r != -ETIME && r != -EINTR) { fprintf(stderr, "io_uring_enter: %s\n", strerror(-r)); break; }
        t = now_ns();
        int running = t < end;
        unsigned head, seen = 0;
        recycled = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            unsigned i = (unsigned)(cqe->user_data >> 1);
            seen++;
            if ((cqe->user_data & 1) == TAG_RECV) {
                int was_dead = conns[i].dead;
                on_recv(i, cqe->res, cqe->flags, running);
                if (!was_dead && conns[i].dead) alive--;
            } else if ((cqe->res < 0 || ((send_mode == 'w' || send_mode == 'W') && (unsigned)cqe->res != reqlen && !(cqe->flags & IORING_CQE_F_NOTIF))) &&
                       !conns[i].dead) {  /* a send failed or (-w) was cut short */
                kill_conn(&conns[i]);
                alive--;
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (recycled) io_uring_buf_ring_advance(br, (int)recycled);
    }
    uint64_t t1 = now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    double el = (double)(t1 - t0) / 1e9;
    double ucpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double scpu = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    printf("requests=%llu duration=%.3f rps=%.1f errors=%llu conns=%u cpu_user=%.3f cpu_sys=%.3f enters=%llu\n",
           (unsigned long long)completed, el, (double)completed / el, (unsigned long long)errors, nconn, ucpu, scpu,
           (unsigned long long)enters);
    return completed ? 0 : 1;
}
