// uring_fixed_micro.c - what a fixed file saves per io_uring operation on this machine: a
// measuring stick for docs/performance.md (session 12), not a part of barrage.
//
// One thread sends N small messages (-s bytes) over a loopback TCP connection with
// IORING_OP_SEND SQEs (IOSQE_CQE_SKIP_SUCCESS), B per io_uring_enter, and drains the peer with
// read() after each batch; with -f the socket is in a fixed file table and every send is
// IOSQE_FIXED_FILE (no fget/fput of the file per operation). Prints the CPU time per send;
// run it with and without -f in turn and compare.
// -s 0 sends nothing: what is left is the operation's own cost, of which the file lookup is part.
// -t starts an idle second thread first, as barrage's process has several (a plain system call's
// fdget skips the file's reference count only in a one-thread process; io_uring's fget never does).
// usage: uring_fixed_micro [-f] [-t] [-n sends] [-b batch] [-s bytes]     (cc ... -luring -pthread)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void *idle(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

int main(int argc, char **argv) {
    int fixed = 0, opt;
    long n = 2000000, batch = 32, size = 40;
    while ((opt = getopt(argc, argv, "ftn:b:s:")) != -1) {
        switch (opt) {
        case 'f': fixed = 1; break;
        case 't': {
            pthread_t t;
            if (pthread_create(&t, NULL, idle, NULL) != 0) { perror("pthread_create"); return 1; }
            break;
        }
        case 'n': n = atol(optarg); break;
        case 'b': batch = atol(optarg); break;
        case 's': size = atol(optarg); break;
        default: fprintf(stderr, "usage: %s [-f] [-t] [-n sends] [-b batch] [-s bytes]\n", argv[0]); return 2;
        }
    }
    if (n < 1 || batch < 1 || batch > 1024 || size < 0 || size > 4096) { fprintf(stderr, "%s: bad arguments\n", argv[0]); return 2; }
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0) { perror("listen"); return 1; }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    int s = accept(l, NULL, NULL);
    if (s < 0) { perror("accept"); return 1; }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct io_uring ring;
    struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    int r = io_uring_queue_init_params(1024, &ring, &p);
    if (r < 0) { fprintf(stderr, "io_uring_queue_init_params: %s\n", strerror(-r)); return 1; }
    io_uring_register_ring_fd(&ring);
    if (fixed && ((r = io_uring_register_files(&ring, &c, 1)) < 0)) { fprintf(stderr, "io_uring_register_files: %s\n", strerror(-r)); return 1; }
    static char msg[4096], sink[1 << 20];
    memset(msg, 'x', sizeof msg);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    long sent = 0, bytes = 0;
    while (sent < n) {
        long k = n - sent < batch ? n - sent : batch;
        for (long i = 0; i < k; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            io_uring_prep_send(sqe, fixed ? 0 : c, msg, (size_t)size, MSG_WAITALL);
            sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | (fixed ? IOSQE_FIXED_FILE : 0);
        }
        io_uring_submit(&ring);
        struct io_uring_cqe *cqe;
        if (io_uring_peek_cqe(&ring, &cqe) == 0) { fprintf(stderr, "send: %s\n", strerror(-cqe->res)); return 1; }
        sent += k;
        bytes += k * size;
        while (bytes > 0) {
            ssize_t got = read(s, sink, sizeof sink);
            if (got <= 0) { perror("read"); return 1; }
            bytes -= got;
        }
    }
    getrusage(RUSAGE_SELF, &r1);
    double us = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
    printf("fixed=%d sends=%ld batch=%ld bytes=%ld cpu_us=%.0f ns_per_send=%.1f\n", fixed, n, batch, size, us, us * 1000 / (double)n);
    return 0;
}
