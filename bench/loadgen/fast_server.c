/* A fast HTTP/1.1 keep-alive server for the load generator's benchmark (loopback only).
 * One thread, epoll; answers POST /predict with a fixed one-prediction body and GET /health
 * with the feature list. It exists so that the clients, not the server, are measured.
 * Usage: fast_server PORT   (binds 127.0.0.1; prints "ready PORT" when listening) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536
#define MAXFD 4096

static const char PREDICT_BODY[] =
    "{\"predictions\":[{\"probability\":0.25,\"anomaly\":false}],\"model_version\":\"bench\"}";
static const char HEALTH_BODY[] =
    "{\"model_version\":\"bench\",\"runtime\":\"c\",\"subset\":\"http\","
    "\"features\":[\"duration\",\"src_bytes\",\"dst_bytes\"]}";
static char predict_resp[512], health_resp[512];
static int predict_len, health_len;

struct conn { char buf[BUF]; size_t len; };
static struct conn *conns[MAXFD];

static int build(char *out, const char *body) {
    return sprintf(out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
        "x-cold-start: false\r\nx-instance-id: bench-1\r\nx-runtime: c\r\n"
        "x-model-version: bench\r\n\r\n%s", strlen(body), body);
}

static long content_length(const char *head, size_t head_len) {
    const char *p = head, *end = head + head_len;
    while (p < end) {
        const char *eol = memmem(p, end - p, "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) return atol(p + 15);
        p = eol + 2;
    }
    return 0;
}

static void drop(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]);
    conns[fd] = NULL;
}

static void serve(int ep, int fd) {
    struct conn *c = conns[fd];
    for (;;) {
        ssize_t n = read(fd, c->buf + c->len, BUF - c->len);
        if (n == 0) { drop(ep, fd); return; }
        if (n < 0) { if (errno == EAGAIN) break; drop(ep, fd); return; }
        c->len += (size_t)n;
        if (c->len == BUF) { drop(ep, fd); return; }
    }
    size_t off = 0;
    for (;;) {
        char *hdr_end = memmem(c->buf + off, c->len - off, "\r\n\r\n", 4);
        if (!hdr_end) break;
        size_t head_len = (size_t)(hdr_end - (c->buf + off)) + 4;
        long body = content_length(c->buf + off, head_len);
        if (off + head_len + (size_t)body > c->len) break;
        int health = strncmp(c->buf + off, "GET /health", 11) == 0;
        const char *resp = health ? health_resp : predict_resp;
        int len = health ? health_len : predict_len;
        if (write(fd, resp, (size_t)len) != len) { drop(ep, fd); return; }
        off += head_len + (size_t)body;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    predict_len = build(predict_resp, PREDICT_BODY);
    health_len = build(health_resp, HEALTH_BODY);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 1024)) { perror("bind"); return 1; }
    socklen_t alen = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &alen);
    printf("ready %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, events[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                int cfd;
                while ((cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (cfd >= MAXFD) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[cfd] = calloc(1, sizeof(struct conn));
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
            } else {
                serve(ep, fd);
            }
        }
    }
}
