// serve_floor.c - the floor of an HTTP/1.1 keep-alive server on this machine: a measuring stick
// for `barrage serve` beside nginx (bench/servers.sh), not a part of barrage.
//
// The least a one-thread server can do per request: every request head (found by its
// "\r\n\r\n"; nothing else is parsed, a body is not supported) is answered with the same fixed
// 200, the size of nginx's `return 200 "hello\n"` (Server, Date fixed at start, Content-Type,
// Content-Length, Connection), the answers to what one read brought sent together. Two modes:
//   -m epoll   (default) edge-triggered epoll (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET on every
//              socket from the start, as nginx does, so no epoll_ctl per request), accept4 until
//              EAGAIN, one read per readiness edge unless the read filled the buffer, one write.
//   -m uring   one io_uring (SINGLE_ISSUER | DEFER_TASKRUN): a multishot accept, a multishot
//              receive per connection into a provided-buffer ring, each answer an IORING_OP_SEND
//              SQE from a static buffer (MSG_WAITALL; a successful send posts no completion), and
//              one io_uring_submit_and_wait per loop turn.
// Two flags for -m uring:
//   -f         a fixed file table: a multishot accept *direct* installs each connection in a slot
//              of a sparse table (no file descriptor at all; TCP_NODELAY comes from the listening
//              socket, which accepted sockets inherit) and every operation on it is
//              IOSQE_FIXED_FILE, so the kernel takes no file reference per operation
//   -z         the answers sent by IORING_OP_SEND_ZC from a registered buffer (a plain send cannot
//              use one: IORING_OP_SEND refuses IORING_RECVSEND_FIXED_BUF); each posts a
//              completion and a notification (SEND_ZC refuses IOSQE_CQE_SKIP_SUCCESS)
// It runs until killed. usage: serve_floor [-m epoll|uring] [-f] [-z] [-a addr] -p port
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
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF 4096       /* per connection (epoll) and per provided buffer (uring) */
#define BATCH 64        /* answers sent from one static buffer at a time */
#define MAX_FD 65536
#define BGID 0

static char resp[BATCH * 256];  /* BATCH copies of the answer */
static size_t resp_len;

/* Per connection: how many bytes of a "\r\n\r\n" the last bytes read began (nothing else of a
   request is looked at, so nothing else is kept) and, for epoll, the answer bytes not yet written. */
typedef struct {
    unsigned tail;
    size_t wpend;
} conn_t;

static conn_t *conns;
static const char TERM[] = "\r\n\r\n";

static void build_response(void) {
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&now));
    resp_len = (size_t)snprintf(resp, 256,
                                "HTTP/1.1 200 OK\r\nServer: serve_floor/1\r\nDate: %s\r\n"
                                "Content-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n",
                                date);
    for (int i = 1; i < BATCH; i++) memcpy(resp + (size_t)i * resp_len, resp, resp_len);
}

/* The longest suffix of p[0..n), at most 3 bytes, that begins a "\r\n\r\n". */
static unsigned term_begun(const char *p, size_t n) {
    for (unsigned k = n < 3 ? (unsigned)n : 3; k > 0; k--)
        if (memcmp(p + n - k, TERM, k) == 0) return k;
    return 0;
}

/* Counts the request heads ended in p[0..n) on c, a terminator begun in the bytes before included. */
static int count_heads(conn_t *c, const char *p, size_t n) {
    int heads = 0;
    size_t off = 0;
    if (c->tail) {  /* a terminator begun before ends within the first 3 bytes, or not at all */
        char s[7];
        size_t k = n < 3 ? n : 3;
        memcpy(s, TERM, c->tail);
        memcpy(s + c->tail, p, k);
        const char *e = memmem(s, c->tail + k, TERM, 4);
        if (e) {
            heads++;
            off = (size_t)(e - s) + 4 - c->tail;
        } else if (n < 3) {
            c->tail = term_begun(s, c->tail + k);
            return 0;
        }
    }
    for (const char *e; off < n && (e = memmem(p + off, n - off, TERM, 4)); off = (size_t)(e - p) + 4) heads++;
    c->tail = term_begun(p + off, n - off);
    return heads;
}

static int listen_on(const char *addr, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  /* inherited by accepted sockets */
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 4096) < 0) return -1;
    return fd;
}

/* ---- epoll ---- */

/* Writes `heads` answers (and whatever was pending) on fd; returns -1 on a write error. */
static int epoll_answer(int fd, conn_t *c, size_t heads) {
    c->wpend += heads * resp_len;
    while (c->wpend) {
        size_t off = (BATCH * resp_len - c->wpend % (BATCH * resp_len)) % (BATCH * resp_len);
        size_t chunk = BATCH * resp_len - off;
        if (chunk > c->wpend) chunk = c->wpend;
        ssize_t w = write(fd, resp + off, chunk);
        if (w < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;  /* EPOLLOUT resumes */
        c->wpend -= (size_t)w;
    }
    return 0;
}

static void epoll_close(int fd) {
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd);  /* also leaves the epoll set */
}

static int run_epoll(int lfd) {
    int ep = epoll_create1(EPOLL_CLOEXEC), one = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) { perror("epoll"); return 1; }
    struct epoll_event evs[512];
    static char rbuf[RBUF];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (cfd >= MAX_FD) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            conn_t *c = &conns[fd];
            if ((evs[i].events & EPOLLOUT) && c->wpend && epoll_answer(fd, c, 0) < 0) { epoll_close(fd); continue; }
            if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            size_t heads = 0;
            ssize_t r;
            do {  /* a short read drained the socket: the next bytes bring a new edge */
                r = read(fd, rbuf, RBUF);
                if (r <= 0) break;
                heads += (size_t)count_heads(c, rbuf, (size_t)r);
            } while (r == RBUF || (r > 0 && (evs[i].events & (EPOLLRDHUP | EPOLLHUP))));  /* to the EOF */
            if (heads && epoll_answer(fd, c, heads) < 0) { epoll_close(fd); continue; }
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) epoll_close(fd);
        }
    }
}

/* ---- io_uring ---- */

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static unsigned nbufs;
#define TAG_ACCEPT 0ull
#define TAG_RECV 1ull
#define TAG_SEND 2ull
static int fixed_files, send_zc;

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    while (!sqe) {  /* the queue is full: hand it to the kernel early */
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void uring_accept(int lfd) {
    struct io_uring_sqe *sqe = sqe_get();
    if (fixed_files) io_uring_prep_multishot_accept_direct(sqe, lfd, NULL, NULL, 0);
    else io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, TAG_ACCEPT);
}

static void uring_recv(int fd) {
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT | (fixed_files ? IOSQE_FIXED_FILE : 0);
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, (uint64_t)fd << 2 | TAG_RECV);
}

/* Sends `heads` answers on fd, BATCH at a time, linked so that they go out in order. */
static void uring_answer(int fd, size_t heads) {
    while (heads) {
        size_t k = heads < BATCH ? heads : BATCH;
        heads -= k;
        struct io_uring_sqe *sqe = sqe_get();
        if (send_zc) io_uring_prep_send_zc_fixed(sqe, fd, resp, k * resp_len, MSG_WAITALL, 0, 0);
        else io_uring_prep_send(sqe, fd, resp, k * resp_len, MSG_WAITALL);
        sqe->flags |= (send_zc ? 0 : IOSQE_CQE_SKIP_SUCCESS) | (heads ? IOSQE_IO_LINK : 0) |
                      (fixed_files ? IOSQE_FIXED_FILE : 0);
        io_uring_sqe_set_data64(sqe, (uint64_t)fd << 2 | TAG_SEND);
    }
}

static void uring_close(int fd) {
    memset(&conns[fd], 0, sizeof conns[fd]);
    if (fixed_files) {  /* fd is a slot: free it (a queued send holds the file until it ends) */
        struct io_uring_sqe *sqe = sqe_get();
        io_uring_prep_close_direct(sqe, (unsigned)fd);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data64(sqe, TAG_SEND);
        return;
    }
    close(fd);  /* only after its receive ended; a send still queued holds the socket until it ends */
}

static void uring_on_recv(int fd, int res, unsigned flags, unsigned *recycled) {
    if (flags & IORING_CQE_F_BUFFER) {
        unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
        char *b = bufs + (size_t)bid * RBUF;
        int heads = res > 0 ? count_heads(&conns[fd], b, (size_t)res) : 0;
        io_uring_buf_ring_add(br, b, RBUF, (unsigned short)bid, io_uring_buf_ring_mask(nbufs), (int)(*recycled)++);
        if (heads) uring_answer(fd, (size_t)heads);
    }
    if (res == 0 || (res < 0 && res != -ENOBUFS)) { uring_close(fd); return; }
    if (!(flags & IORING_CQE_F_MORE)) uring_recv(fd);  /* ended (the pool ran dry): again */
}

static int run_uring(int lfd) {
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 16384;
    int r = io_uring_queue_init_params(4096, &ring, &p);
    if (r < 0) { fprintf(stderr, "io_uring_queue_init_params: %s\n", strerror(-r)); return 1; }
    io_uring_register_ring_fd(&ring);
    if (fixed_files) {
        struct rlimit rl;
        unsigned slots = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_FD ? (unsigned)rl.rlim_cur : MAX_FD;
        if ((r = io_uring_register_files_sparse(&ring, slots)) < 0) {
            fprintf(stderr, "io_uring_register_files_sparse: %s\n", strerror(-r));
            return 1;
        }
    }
    if (send_zc) {
        struct iovec iov = {.iov_base = resp, .iov_len = sizeof resp};
        if ((r = io_uring_register_buffers(&ring, &iov, 1)) < 0) {
            fprintf(stderr, "io_uring_register_buffers: %s\n", strerror(-r));
            return 1;
        }
    }
    nbufs = 4096;
    br = mmap(NULL, nbufs * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    bufs = malloc((size_t)nbufs * RBUF);
    if (br == MAP_FAILED || !bufs) { perror("buffers"); return 1; }
    struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)br, .ring_entries = nbufs, .bgid = BGID};
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-r));
        return 1;
    }
    io_uring_buf_ring_init(br);
    for (unsigned b = 0; b < nbufs; b++)
        io_uring_buf_ring_add(br, bufs + (size_t)b * RBUF, RBUF, (unsigned short)b, io_uring_buf_ring_mask(nbufs), (int)b);
    io_uring_buf_ring_advance(br, (int)nbufs);
    uring_accept(lfd);
    int one = 1;
    for (;;) {
        r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) { fprintf(stderr, "io_uring_enter: %s\n", strerror(-r)); return 1; }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0, recycled = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            int fd = (int)(cqe->user_data >> 2);
            switch (cqe->user_data & 3) {
            case TAG_ACCEPT:
                if (cqe->res >= MAX_FD) close(cqe->res);
                else if (cqe->res >= 0) {
                    if (!fixed_files) setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    uring_recv(cqe->res);
                }
                if (!(cqe->flags & IORING_CQE_F_MORE)) uring_accept(lfd);
                break;
            case TAG_RECV:
                uring_on_recv(fd, cqe->res, cqe->flags, &recycled);
                break;
            default:  /* a send failed: the receive sees the end of the connection */
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (recycled) io_uring_buf_ring_advance(br, (int)recycled);
    }
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1", *mode = "epoll";
    int port = 0, opt;
    while ((opt = getopt(argc, argv, "m:a:p:fz")) != -1) {
        switch (opt) {
        case 'm': mode = optarg; break;
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'f': fixed_files = 1; break;
        case 'z': send_zc = 1; break;
        default: port = -1; break;
        }
    }
    int uring = strcmp(mode, "uring") == 0;
    if (port <= 0 || port > 65535 || (!uring && strcmp(mode, "epoll") != 0)) {
        fprintf(stderr, "usage: %s [-m epoll|uring] [-f] [-z] [-a addr] -p port\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    build_response();
    conns = calloc(MAX_FD, sizeof(conn_t));
    int lfd = listen_on(addr, port);
    if (lfd < 0 || !conns) { perror("listen"); return 1; }
    return uring ? run_uring(lfd) : run_epoll(lfd);
}
