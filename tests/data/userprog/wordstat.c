/* A user's program for wasmscope's tests: `wordstat INPUT OUTPUT LABEL` reads INPUT (a file,
 * or "-" for stdin), counts its lines, words and bytes, and writes one report line to OUTPUT:
 * the label (its arguments arrived), the counts and FNV-1a of the input (it read the file),
 * and $GREETING (its environment arrived). It prints the same line on stdout. With LABEL
 * "dry-run" it writes nothing and still exits 0 (a run that did nothing). Built three ways by
 * the tests: clang --target=wasm32-wasi, natively, and into a FROM-scratch image. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: wordstat INPUT OUTPUT LABEL\n");
        return 2;
    }
    FILE *in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (in == NULL) {
        fprintf(stderr, "wordstat: cannot open %s\n", argv[1]);
        return 3;
    }
    unsigned long lines = 0, words = 0, bytes = 0;
    uint32_t hash = 2166136261u;
    int c, in_word = 0;
    while ((c = fgetc(in)) != EOF) {
        bytes++;
        hash = (hash ^ (uint32_t)(unsigned char)c) * 16777619u;
        lines += c == '\n';
        int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        words += !space && !in_word;
        in_word = !space;
    }
    const char *greeting = getenv("GREETING");
    char report[256];
    snprintf(report, sizeof report, "label=%s lines=%lu words=%lu bytes=%lu fnv=%08x greeting=%s\n", argv[3],
             lines, words, bytes, hash, greeting ? greeting : "(none)");
    fputs(report, stdout);
    if (strcmp(argv[3], "dry-run") == 0)
        return 0;
    FILE *out = fopen(argv[2], "w");
    if (out == NULL || fputs(report, out) < 0 || fclose(out) != 0) {
        fprintf(stderr, "wordstat: cannot write %s\n", argv[2]);
        return 4;
    }
    return 0;
}
