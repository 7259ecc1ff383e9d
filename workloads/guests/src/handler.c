/* handler: answers ONE HTTP/1.1 request read on stdin with a response on stdout, then exits.
 *
 * The CGI / WAGI contract ("one fresh instance per request"): the front that accepted the
 * connection hands the whole request (head, then a Content-Length body if any) to a new
 * instance on stdin and sends back what it writes on stdout. The response carries
 * `Content-Type`, `Content-Length` and the same body as the http workload; connection
 * management (`Connection:` keep-alive or close) is the front's business, not ours.
 *
 * Request bodies are read and discarded. Empty or malformed input (no blank line before EOF,
 * a head over BUF_SIZE, NUL bytes, a bad request line or header, a bad Content-Length,
 * Transfer-Encoding, a body shorter than announced) gets 400. The exit code is 0 either way:
 * a 400 is an answer, not a crash. HEAD gets the head only. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <errno.h>

#define BUF_SIZE 8192 /* a request head must fit in this */

static const char BODY[] = "hello from wasmscope\n";
static const char BAD_BODY[] = "bad request\n";

static char buf[BUF_SIZE];

/* Writes everything to stdout; -1 on error. */
static int write_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int respond(int ok, int head_only) {
    char out[512];
    const char *body = ok ? BODY : BAD_BODY;
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                     ok ? "200 OK" : "400 Bad Request", strlen(body), head_only ? "" : body);
    return write_all(out, (size_t)n);
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

struct request { int ok, head_only; unsigned long long body; };

/* Parses one complete request head b[0..len) (ending in CRLF CRLF). */
static struct request parse(const char *b, size_t len) {
    struct request r = {0, 0, 0};
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
        if (name_is(line, name_len, "Content-Length")) {
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
    return r;
}

/* Reads until the head is complete; returns its length, 0 on EOF/overflow/error first. */
static size_t read_head(size_t *len) {
    *len = 0;
    for (;;) {
        size_t hl = head_length(buf, *len);
        if (hl > 0) return hl;
        if (*len == BUF_SIZE) return 0;
        ssize_t r = read(0, buf + *len, BUF_SIZE - *len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        *len += (size_t)r;
    }
}

/* Discards `n` body bytes, `have` of which are already buffered; 0 if they all came. */
static int skip_body(unsigned long long n, size_t have) {
    if (have >= n) return 0;
    n -= have;
    while (n > 0) {
        ssize_t r = read(0, buf, n < BUF_SIZE ? (size_t)n : BUF_SIZE);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1; /* shorter than its Content-Length */
        n -= (unsigned long long)r;
    }
    return 0;
}

int main(void) {
    size_t len = 0;
    size_t hl = read_head(&len);
    struct request r = {0, 0, 0};
    if (hl > 0) r = parse(buf, hl);
    if (r.ok && skip_body(r.body, len - hl) < 0) r.ok = 0;
    if (respond(r.ok, r.ok && r.head_only) < 0) return 1; /* stdout is gone: nobody to answer */
    return 0;
}
