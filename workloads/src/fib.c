/* fib: recursive fib(N), N from argv; reports the time spent inside fib only, so start-up
 * cost (runtime, container) stays out of the compute figure. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) static unsigned long long fib(unsigned n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    char *end = NULL;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : 35;
    if (argc > 1 && (*argv[1] == '\0' || *end != '\0' || n < 0 || n > 90)) {
        fprintf(stderr, "fib: expected N between 0 and 90, got '%s'\n", argv[1]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long r = fib((unsigned)n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("fib(%ld) = %llu elapsed_ns=%lld\n", n, r, ns);
    return 0;
}
