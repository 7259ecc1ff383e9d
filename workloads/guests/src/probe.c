/* probe: tries, one at a time, what a sandbox may or may not let a guest reach, and prints one
 * line per capability:  probe <capability> <allowed|denied|absent> <detail>
 *   allowed  the call succeeded (detail: what it saw, so the host can tell whose file/env it was)
 *   denied   the call exists here and failed (detail: the error it got)
 *   absent   the platform has no call for it (WASI preview 1 has no socket/connect, no
 *            getaddrinfo, no fork): the capability cannot even be expressed by the guest
 * argv: [1] TCP port of a listener on 127.0.0.1, [2] hostname to resolve.
 * The same source is built for wasm32-wasi and native; #ifdef __wasi__ marks the calls that
 * wasi-libc (2022, WASI preview 1) does not have. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifndef __wasi__
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#endif

static void report(const char *cap, const char *verdict, const char *detail) {
    printf("probe %s %s %s\n", cap, verdict, detail);
    fflush(stdout);
}

static void denied(const char *cap, const char *call) {
    char buf[160];
    snprintf(buf, sizeof buf, "%s: %s (errno %d)", call, strerror(errno), errno);
    report(cap, "denied", buf);
}

static void read_host_file(void) {
    FILE *f = fopen("/etc/passwd", "r");
    if (!f) { denied("read-file", "open /etc/passwd"); return; }
    /* size and FNV-1a of the whole file let the host tell its own file from an image's copy */
    char line[96] = "";
    unsigned long size = 0;
    unsigned int fnv = 2166136261u;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (size < sizeof line - 1 && !memchr(line, '\n', size)) line[size] = (char)c;
        fnv = (fnv ^ (unsigned char)c) * 16777619u;
        size++;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = 0;
    char buf[200];
    snprintf(buf, sizeof buf, "%lu bytes, fnv1a %08x, first line: %s", size, fnv, line);
    report("read-file", "allowed", buf);
}

static void list_root(void) {
    DIR *d = opendir("/");
    if (!d) { denied("list-root", "opendir /"); return; }
    char names[160] = "";
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n < 6 && strlen(names) + strlen(e->d_name) + 2 < sizeof names) {
            if (n) strcat(names, ",");
            strcat(names, e->d_name);
        }
        n++;
    }
    closedir(d);
    char buf[220];
    snprintf(buf, sizeof buf, "%d entries: %s", n, names);
    report("list-root", "allowed", buf);
}

static void read_env(void) {
    const char *v = getenv("WASMSCOPE_SECRET");
    if (!v) { report("read-env", "denied", "WASMSCOPE_SECRET is not set in the guest"); return; }
    char buf[160];
    snprintf(buf, sizeof buf, "WASMSCOPE_SECRET=%.64s", v);
    report("read-env", "allowed", buf);
}

static void write_cwd(void) {
    int fd = open("wasmscope-probe.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { denied("write-cwd", "create ./wasmscope-probe.txt"); return; }
    const char msg[] = "written by the wasmscope probe\n";
    ssize_t n = write(fd, msg, sizeof msg - 1);
    close(fd);
    if (n != (ssize_t)(sizeof msg - 1)) { denied("write-cwd", "write ./wasmscope-probe.txt"); return; }
    report("write-cwd", "allowed", "created ./wasmscope-probe.txt");
}

static void tcp_connect(const char *port) {
#ifdef __wasi__
    (void)port;
    report("tcp-connect", "absent", "WASI preview 1 has no socket() or connect()");
#else
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { denied("tcp-connect", "socket"); return; }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        char call[64];
        snprintf(call, sizeof call, "connect 127.0.0.1:%s", port);
        denied("tcp-connect", call);
        close(s);
        return;
    }
    const char hello[] = "wasmscope-probe\n";
    ssize_t n = write(s, hello, sizeof hello - 1);
    (void)n;
    close(s);
    char buf[80];
    snprintf(buf, sizeof buf, "connected to 127.0.0.1:%s", port);
    report("tcp-connect", "allowed", buf);
#endif
}

static void resolve(const char *host) {
#ifdef __wasi__
    (void)host;
    report("resolve", "absent", "WASI preview 1 has no getaddrinfo()");
#else
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        char buf[160];
        snprintf(buf, sizeof buf, "getaddrinfo %s: %s", host, gai_strerror(rc));
        report("resolve", "denied", buf);
        return;
    }
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof ip);
    freeaddrinfo(res);
    char buf[160];
    snprintf(buf, sizeof buf, "%s -> %s", host, ip);
    report("resolve", "allowed", buf);
#endif
}

static void spawn(void) {
#ifdef __wasi__
    report("spawn", "absent", "WASI preview 1 has no fork() or exec()");
#else
    pid_t pid = fork();
    if (pid < 0) { denied("spawn", "fork"); return; }
    if (pid == 0) _exit(7);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) { denied("spawn", "waitpid"); return; }
    char buf[80];
    snprintf(buf, sizeof buf, "fork: child exited %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    report("spawn", "allowed", buf);
#endif
}

static void clock_read(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) { denied("clock", "clock_gettime"); return; }
    char buf[80];
    snprintf(buf, sizeof buf, "realtime %lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
    report("clock", "allowed", buf);
}

static void random_bytes(void) {
    unsigned char r[8];
    if (getentropy(r, sizeof r) != 0) { denied("random", "getentropy"); return; }
    char buf[80];
    snprintf(buf, sizeof buf, "8 bytes %02x%02x%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    report("random", "allowed", buf);
}

int main(int argc, char **argv) {
    const char *port = argc > 1 ? argv[1] : "9";
    const char *host = argc > 2 ? argv[2] : "localhost";
    read_host_file();
    list_root();
    read_env();
    write_cwd();
    tcp_connect(port);
    resolve(host);
    spawn();
    clock_read();
    random_bytes();
    puts("probe done");
    return 0;
}
