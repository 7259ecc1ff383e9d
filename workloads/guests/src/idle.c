/* idle: touches MiB of memory (argv[1], default 16, 0 allowed; `64k` = KiB), reads it all back
 * into a checksum, says `ready mib=N checksum=X` (`ready kib=N ...` for KiB), then waits until
 * killed (memory/RSS workload). With argv[2] = `return` it returns instead of waiting: an
 * embedding host keeps the finished instance (and its memory) alive, as a density test needs.
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
    int kib = argc > 1 && end != NULL && end != argv[1] && (*end == 'k' || *end == 'K') && end[1] == '\0';
    if (argc > 1 && (*argv[1] == '\0' || (*end != '\0' && !kib) || mib < 0 || mib > (kib ? 67108864L : 65536L))) {
        fprintf(stderr, "idle: expected MiB between 0 and 65536 (or KiB as Nk), got '%s'\n", argv[1]);
        return 2;
    }
    int stay = !(argc > 2 && argv[2][0] == 'r'); /* `return`: leave after touching */
    size_t size = kib ? (size_t)mib << 10 : (size_t)mib << 20;
    unsigned char *buf = size ? malloc(size) : NULL;
    if (size && buf == NULL) {
        fprintf(stderr, "idle: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < size; i++) buf[i] = (unsigned char)(i * 31u + 7u);
    unsigned long long checksum = 0;
    for (size_t i = 0; i < size; i++) checksum += buf[i]; /* every byte, so none is dead */
    printf("ready %s=%ld checksum=%llu\n", kib ? "kib" : "mib", mib, checksum);
    fflush(stdout);
    if (!stay) return 0;
    for (;;) sleep(3600); /* WASI: poll_oneoff on a clock; natively until SIGTERM/SIGINT */
}
