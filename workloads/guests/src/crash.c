/* crash: a guest that dies of its own fault, picked by argv[1]:
 *   trap  __builtin_trap(): Wasm `unreachable`, natively an illegal instruction (SIGILL)
 *   segv  a write through a pointer to nowhere: in Wasm an out-of-bounds store (a trap; the
 *         address is near 4 GiB, past any linear memory), natively a segmentation fault
 *   abort abort(): wasi-libc traps (`unreachable`), natively SIGABRT
 * It prints `crash: <mode>` on stderr first, so the report can show the guest's own last words
 * next to how the runtime ended it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "trap";
    fprintf(stderr, "crash: %s\n", mode);
    fflush(stderr);
    if (strcmp(mode, "trap") == 0) {
        __builtin_trap();
    } else if (strcmp(mode, "segv") == 0) {
        volatile int *nowhere = (volatile int *)(uintptr_t)0xFFFFFFF0u;
        *nowhere = 42;
        printf("read back %d\n", *nowhere);
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else {
        fprintf(stderr, "crash: expected trap, segv or abort, got '%s'\n", mode);
        return 2;
    }
    fprintf(stderr, "crash: %s did not crash\n", mode);
    return 1;
}
