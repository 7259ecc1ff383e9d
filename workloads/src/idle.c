/* idle: touches MiB of memory (argv[1], default 16, 0 allowed), reads it all back into a
 * checksum, says `ready mib=N checksum=X`, then waits until killed (memory/RSS workload).
 * Reading back matters: clang -O2 deletes memory that is written and never read. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifndef __wasi__
#include <signal.h>
static void on_signal(int sig) { (void)sig; _exit(0); } /* PID 1 in a container needs this */
#endif

int main(int argc, char **argv) {
#ifndef __wasi__
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
#endif
    char *end = NULL;
    long mib = argc > 1 ? strtol(argv[1], &end, 10) : 16;
    if (argc > 1 && (*argv[1] == '\0' || *end != '\0' || mib < 0 || mib > 65536)) {
        fprintf(stderr, "idle: expected MiB between 0 and 65536, got '%s'\n", argv[1]);
        return 2;
    }
    size_t size = (size_t)mib << 20;
    unsigned char *buf = size ? malloc(size) : NULL;
    if (size && buf == NULL) {
        fprintf(stderr, "idle: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < size; i++) buf[i] = (unsigned char)(i * 31u + 7u);
    unsigned long long checksum = 0;
    for (size_t i = 0; i < size; i++) checksum += buf[i]; /* every byte, so none is dead */
    printf("ready mib=%ld checksum=%llu\n", mib, checksum);
    fflush(stdout);
    for (;;) sleep(3600); /* WASI: poll_oneoff on a clock; natively until SIGTERM/SIGINT */
}
