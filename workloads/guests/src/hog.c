/* hog: grows memory until something stops it — a memory limit (a Wasm store limit or runtime
 * flag refusing memory.grow, a ulimit making malloc fail, a container's cgroup OOM kill) or the
 * wasm32 ceiling of 4 GiB. Each step mallocs argv[1] MiB (default 4), touches every page and
 * reads the pages back into a checksum (clang -O2 deletes memory that is written and never
 * read), then prints `grown N MiB` on stderr, so the peak is known from the output even when
 * the guest is killed. A refused allocation ends it with its own message and exit code 3.
 * argv[2] caps the total in MiB (default 0: no cap), for a bounded run. */
#include <stdio.h>
#include <stdlib.h>

#define PAGE 4096

int main(int argc, char **argv) {
    long step = argc > 1 ? atol(argv[1]) : 4;
    long cap = argc > 2 ? atol(argv[2]) : 0;
    if (step < 1 || step > 1024 || cap < 0) {
        fprintf(stderr, "hog: expected a step of 1..1024 MiB and a cap >= 0, got '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    size_t bytes = (size_t)step << 20;
    long total = 0;
    unsigned long long checksum = 0;
    for (;;) {
        if (cap && total + step > cap) {
            printf("capped at %ld MiB checksum=%llu\n", total, checksum);
            return 0;
        }
        unsigned char *block = malloc(bytes);
        if (block == NULL) {
            fprintf(stderr, "hog: malloc failed after %ld MiB\n", total);
            printf("malloc failed after %ld MiB checksum=%llu\n", total, checksum);
            return 3;
        }
        for (size_t i = 0; i < bytes; i += PAGE) block[i] = (unsigned char)(i / PAGE + total);
        for (size_t i = 0; i < bytes; i += PAGE) checksum += block[i];
        total += step;
        fprintf(stderr, "grown %ld MiB\n", total);
        fflush(stderr);
    }
}
