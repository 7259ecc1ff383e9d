/* hello: prints one line and exits — the cold-start workload. */
#include <stdio.h>

int main(void) {
    puts("hello from wasmscope");
    return 0;
}
