/* fib: recursive fib(N), N = argv[1] (default 35). Times only the fib call, inside the guest,
 * so start-up cost (runtime, container) stays out of the compute figure. */
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
    /* the volatile store pins the call before the second clock read (a call clang may see
     * as pure could otherwise be moved past it) */
    volatile unsigned long long result = fib((unsigned)n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("fib(%ld) = %llu elapsed_ns=%lld\n", n, (unsigned long long)result, ns);
    return 0;
}
