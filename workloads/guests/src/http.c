/* http: a minimal keep-alive HTTP/1.1 server answering every request with a fixed 200 body.
 *
 * Native: listens on ADDR:PORT (argv[1] = PORT, default 8080, 0 = ephemeral; argv[2] = an IPv4
 * ADDR, default 0.0.0.0 as a container needs, 127.0.0.1 for a process on the host) and prints
 * `ready port=N`. Wasm (WASI preview 1): this wasi-libc has accept()/recv()/send() but no
 * socket()/bind()/listen(), so the runtime pre-opens the listening socket as fd 3
 * (`wasmtime run -S preview2=n -S tcplisten=127.0.0.1:PORT http.wasm`, wasmtime CLI 36) and
 * the server prints `ready port=preopened`. Both builds run the same poll() loop: poll() on
 * the pre-opened listener becomes a WASI poll_oneoff fd_read subscription, which wasmtime
 * 36 supports (it blocks without spinning).
 *
 * HTTP: keep-alive by default for HTTP/1.1, `Connection: close` honoured, HTTP/1.0 closes
 * unless it asks for keep-alive; pipelined requests are answered in order; request bodies
 * (Content-Length) are read and discarded; anything malformed gets 400 and a close. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef __wasi__
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
static void on_signal(int sig) { (void)sig; _exit(0); } /* PID 1 in a container needs this */
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0 /* wasi-libc's send() rejects any flag */
#endif

#define MAX_CONN 1024
#define BUF_SIZE 8192 /* a request head must fit in this */

static const char BODY[] = "hello from wasmscope\n";
static const char BAD_BODY[] = "bad request\n";

struct conn {
    int fd;
    size_t len;             /* bytes buffered */
    unsigned long long skip; /* request-body bytes still to discard */
    char *buf;              /* BUF_SIZE bytes, allocated per connection */
};
static struct conn conns[MAX_CONN];
static struct pollfd pfds[MAX_CONN + 1];

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Sends everything; waits up to 1 s at a time for a full socket buffer (returns -1 then). */
static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, SEND_FLAGS);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd q = {fd, POLLOUT, 0};
                if (poll(&q, 1, 1000) > 0) continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int respond(int fd, int ok, int head_only, int keep_alive) {
    char out[512];
    const char *body = ok ? BODY : BAD_BODY;
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n%s",
                     ok ? "200 OK" : "400 Bad Request", strlen(body),
                     keep_alive ? "keep-alive" : "close", head_only ? "" : body);
    return send_all(fd, out, (size_t)n);
}

/* Length of the request head including the blank line, or 0 if it is not complete yet. */
static size_t head_length(const char *b, size_t len) {
    for (size_t i = 0; i + 3 < len; i++)
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i + 4;
    return 0;
}

static int name_is(const char *p, size_t n, const char *name) {
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Does the comma-separated header value [p, p+n) hold the token `tok`? */
static int has_token(const char *p, size_t n, const char *tok) {
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ',')) i++;
        size_t s = i;
        while (i < n && p[i] != ',') i++;
        size_t e = i;
        while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t')) e--;
        if (name_is(p + s, e - s, tok)) return 1;
    }
    return 0;
}

struct request { int ok, head_only, keep_alive; unsigned long long body; };

/* Parses one complete request head b[0..len) (ending in CRLF CRLF). */
static struct request parse(const char *b, size_t len) {
    struct request r = {0, 0, 0, 0};
    if (memchr(b, '\0', len) != NULL) return r;
    /* request line: METHOD SP TARGET SP HTTP/1.x CRLF */
    size_t i = 0;
    while (i < len && b[i] >= 'A' && b[i] <= 'Z') i++;
    if (i == 0 || i >= len || b[i] != ' ') return r;
    r.head_only = i == 4 && memcmp(b, "HEAD", 4) == 0;
    size_t t = ++i;
    while (i < len && b[i] > ' ') i++;
    if (i == t || i + 11 > len || memcmp(b + i, " HTTP/1.", 8) != 0) return r;
    char minor = b[i + 8];
    if ((minor != '0' && minor != '1') || b[i + 9] != '\r' || b[i + 10] != '\n') return r;
    int http10 = minor == '0';
    int saw_close = 0, saw_keep = 0;
    i += 11;
    /* header lines up to the blank line */
    while (i + 2 <= len && !(b[i] == '\r' && b[i + 1] == '\n')) {
        size_t s = i;
        while (i + 1 < len && !(b[i] == '\r' && b[i + 1] == '\n')) i++;
        const char *line = b + s;
        size_t n = i - s;
        i += 2;
        const char *colon = memchr(line, ':', n);
        if (colon == NULL || colon == line) return r;
        size_t name_len = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = n - name_len - 1;
        while (vn > 0 && (*v == ' ' || *v == '\t')) { v++; vn--; }
        while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
        if (name_is(line, name_len, "Connection")) {
            saw_close |= has_token(v, vn, "close");
            saw_keep |= has_token(v, vn, "keep-alive");
        } else if (name_is(line, name_len, "Content-Length")) {
            if (vn == 0 || vn > 15) return r;
            unsigned long long cl = 0;
            for (size_t k = 0; k < vn; k++) {
                if (v[k] < '0' || v[k] > '9') return r;
                cl = cl * 10 + (unsigned)(v[k] - '0');
            }
            r.body = cl;
        } else if (name_is(line, name_len, "Transfer-Encoding")) {
            return r; /* chunked bodies are not supported: 400 rather than misparse */
        }
    }
    r.ok = 1;
    r.keep_alive = saw_close ? 0 : http10 ? saw_keep : 1;
    return r;
}

/* Answers every complete request buffered; 0 keeps the connection, -1 closes it. */
static int serve(struct conn *c) {
    for (;;) {
        if (c->skip > 0) { /* discard the previous request's body */
            size_t d = c->skip < c->len ? (size_t)c->skip : c->len;
            memmove(c->buf, c->buf + d, c->len - d);
            c->len -= d;
            c->skip -= d;
            if (c->skip > 0) return 0;
        }
        size_t hl = head_length(c->buf, c->len);
        if (hl == 0) {
            if (c->len < BUF_SIZE) return 0; /* wait for the rest of the head */
            respond(c->fd, 0, 0, 0);         /* head too large */
            return -1;
        }
        struct request r = parse(c->buf, hl);
        if (respond(c->fd, r.ok, r.head_only, r.keep_alive) < 0 || !r.keep_alive) return -1;
        memmove(c->buf, c->buf + hl, c->len - hl);
        c->len -= hl;
        c->skip = r.body;
    }
}

static int open_listener(int argc, char **argv) {
#ifdef __wasi__
    (void)argc;
    (void)argv;
    return 3; /* the runtime's pre-opened listening socket */
#else
    char *end = NULL;
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 8080;
    if (argc > 1 && (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535)) {
        fprintf(stderr, "http: expected a port between 0 and 65535, got '%s'\n", argv[1]);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("http: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (argc > 2 && inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
        fprintf(stderr, "http: expected an IPv4 address to listen on, got '%s'\n", argv[2]);
        exit(2);
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 511) < 0) {
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
    if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) {
        perror("http: getsockname");
        exit(1);
    }
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
    set_nonblocking(lfd);
    print_ready(lfd);
    int n = 0;
    for (;;) {
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        pfds[0].revents = 0;
        for (int i = 0; i < n; i++) {
            pfds[i + 1].fd = conns[i].fd;
            pfds[i + 1].events = POLLIN;
            pfds[i + 1].revents = 0;
        }
        if (poll(pfds, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("http: poll");
            return 1;
        }
        /* downwards, so moving the last connection into a closed slot skips nothing */
        for (int i = n - 1; i >= 0; i--) {
            if (!(pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
            struct conn *c = &conns[i];
            ssize_t r = recv(c->fd, c->buf + c->len, BUF_SIZE - c->len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
            if (r > 0) c->len += (size_t)r;
            if (r <= 0 || serve(c) < 0) {
                close(c->fd);
                free(c->buf);
                conns[i] = conns[--n];
            }
        }
        if (pfds[0].revents & POLLIN) {
            for (;;) { /* drain the accept queue */
                int cfd = accept(lfd, NULL, NULL);
                if (cfd < 0) break;
                char *buf = n < MAX_CONN ? malloc(BUF_SIZE) : NULL;
                if (buf == NULL) { /* full: refuse rather than queue */
                    close(cfd);
                    continue;
                }
                set_nonblocking(cfd);
                conns[n].fd = cfd;
                conns[n].len = 0;
                conns[n].skip = 0;
                conns[n].buf = buf;
                n++;
            }
        }
    }
}
