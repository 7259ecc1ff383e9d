/* spin: a guest that never ends on its own — an infinite loop with no system call in it, so
 * only the host can stop it (wasmtime's epoch deadline, a runtime's own timeout, a signal, a
 * container stop). It says `spinning` first, so a host that keeps the output can tell the loop
 * began. The volatile counter keeps clang -O2 from deleting the loop (an infinite loop without
 * side effects is undefined behaviour it may remove). Natively it installs no SIGTERM handler:
 * the default action ends it, as it would any spinning process. */
#include <stdio.h>

int main(void) {
    printf("spinning\n");
    fflush(stdout);
    volatile unsigned long long n = 0;
    for (;;) n++;
}
