/* http: a minimal keep-alive HTTP/1.1 server answering every request with a fixed 200 body.
 * Native: listens on 0.0.0.0:PORT (argv, default 8080, 0 = ephemeral).
 * Wasm: this wasi-libc has accept() but no socket()/bind()/listen(), so the runtime pre-opens
 * the listening socket as fd 3 (e.g. `wasmtime run -S tcplisten=127.0.0.1:PORT`). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef __wasi__
#include <netinet/in.h>
#include <signal.h>
static void on_signal(int sig) { (void)sig; _exit(0); }
#endif

#define MAX_CONN 1024
#define BUF_SIZE 8192

static const char BODY[] = "hello from wasmscope\n";

struct conn { int fd; size_t len; char buf[BUF_SIZE]; };
static struct conn conns[MAX_CONN];
static struct pollfd pfds[MAX_CONN + 1];

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, 0);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd q = {fd, POLLOUT, 0}; poll(&q, 1, 1000); continue; }
            return -1;
        }
        p += w; n -= (size_t)w;
    }
    return 0;
}

static int respond(int fd, int status, int keep_alive) {
    char head[256];
    const char *reason = status == 200 ? "OK" : "Bad Request";
    const char *body = status == 200 ? BODY : "bad request\n";
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n%s",
                     status, reason, strlen(body), keep_alive ? "keep-alive" : "close", body);
    return send_all(fd, head, (size_t)n);
}

static int has_token(const char *headers, const char *name, const char *value) {
    /* case-insensitive search for "name: ...value..." on one header line */
    size_t nl = strlen(name);
    for (const char *p = headers; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *eol = strchr(p, '\r');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            for (size_t i = nl + 1; i + strlen(value) <= len; i++)
                if (strncasecmp(p + i, value, strlen(value)) == 0) return 1;
        }
    }
    return 0;
}

/* Handles every complete request in the buffer; returns 0 to keep the connection, -1 to close. */
static int serve(struct conn *c) {
    for (;;) {
        c->buf[c->len] = '\0';
        char *end = strstr(c->buf, "\r\n\r\n");
        if (end == NULL) return c->len >= BUF_SIZE - 1 ? (respond(c->fd, 400, 0), -1) : 0;
        size_t req_len = (size_t)(end - c->buf) + 4;
        char saved = end[2];
        end[2] = '\0';
        int ok = (strncmp(c->buf, "GET ", 4) == 0 || strncmp(c->buf, "HEAD ", 5) == 0 ||
                  strncmp(c->buf, "POST ", 5) == 0) && strstr(c->buf, " HTTP/1.") != NULL;
        int http10 = strstr(c->buf, " HTTP/1.0\r\n") != NULL;
        int keep = ok && (http10 ? has_token(c->buf, "Connection", "keep-alive")
                                 : !has_token(c->buf, "Connection", "close"));
        if (ok && has_token(c->buf, "Content-Length", "")) {
            /* request bodies are not supported: answer and close rather than misparse */
            keep = 0;
        }
        end[2] = saved;
        if (respond(c->fd, ok ? 200 : 400, keep) < 0 || !keep) return -1;
        memmove(c->buf, c->buf + req_len, c->len - req_len);
        c->len -= req_len;
    }
}

static int open_listener(int argc, char **argv) {
#ifdef __wasi__
    (void)argc; (void)argv;
    return 3;
#else
    char *end = NULL;
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 8080;
    if (argc > 1 && (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535)) {
        fprintf(stderr, "http: expected a port between 0 and 65535, got '%s'\n", argv[1]);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 512) < 0) {
        perror("http: cannot listen");
        exit(1);
    }
    return fd;
#endif
}

static void print_ready(int lfd) {
#ifdef __wasi__
    (void)lfd;
    printf("ready port=preopened\n");
#else
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &len);
    printf("ready port=%d\n", ntohs(addr.sin_port));
#endif
    fflush(stdout);
}

int main(int argc, char **argv) {
#ifndef __wasi__
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
#endif
    int lfd = open_listener(argc, argv);
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    print_ready(lfd);
    int n = 0;
    for (;;) {
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        for (int i = 0; i < n; i++) { pfds[i + 1].fd = conns[i].fd; pfds[i + 1].events = POLLIN; }
        if (poll(pfds, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("http: poll");
            return 1;
        }
        for (int i = n - 1; i >= 0; i--) {
            if (!(pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            struct conn *c = &conns[i];
            ssize_t r = recv(c->fd, c->buf + c->len, BUF_SIZE - 1 - c->len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0 || serve((c->len += (size_t)r, c)) < 0) {
                close(c->fd);
                conns[i] = conns[--n];
            }
        }
        if (pfds[0].revents & POLLIN) {
            for (;;) {
                int cfd = accept(lfd, NULL, NULL);
                if (cfd < 0) break;
                if (n == MAX_CONN) { close(cfd); continue; }
                fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
                conns[n].fd = cfd;
                conns[n].len = 0;
                n++;
            }
        }
    }
}
