/* wasmscope's peak-RSS launcher: `peak OUTFILE PROGRAM [ARGS...]` runs PROGRAM as its child,
 * reaps it with wait4() and writes the child's peak RSS (ru_maxrss, KiB) to OUTFILE, then
 * ends as the child did (its exit code, or the same signal).
 *
 * Why a launcher: the kernel counts the memory a process had before exec into its peak, so a
 * program forked from wasmscope's large Python process would report at least that. Forked
 * from this small static binary, the figure is the program's own. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: peak OUTFILE PROGRAM [ARGS...]\n");
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak: fork");
        return 126;
    }
    if (pid == 0) {
        execv(argv[2], argv + 2);
        fprintf(stderr, "peak: cannot run %s\n", argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("peak: wait4");
            return 126;
        }
    }
    FILE *out = fopen(argv[1], "w");
    if (out != NULL) {
        fprintf(out, "%ld\n", usage.ru_maxrss);
        fclose(out);
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        kill(getpid(), WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}
