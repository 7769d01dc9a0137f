/* fork while other threads are inside malloc: the child must be able to allocate (a malloc
 * lock left held by a thread that does not exist in the child would hang it) and the parent
 * must carry on. Children that hang are killed by alarm() and count as failures.
 * Prints "fork: ok forks=N" or what failed; exit 0/1. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *churn(void *argument) {
    (void)argument;
    unsigned seed = 7;
    void *keep[64] = {0};
    while (!stop) {
        seed = seed * 1103515245 + 12345;
        unsigned slot = (seed >> 8) % 64;
        free(keep[slot]);
        keep[slot] = malloc((seed >> 12) % 20000 + 1);
        memset(keep[slot], 1, 1);
    }
    for (int i = 0; i < 64; i++) free(keep[i]);
    return NULL;
}

int main(int argc, char **argv) {
    int forks = argc > 1 ? atoi(argv[1]) : 200;
    pthread_t threads[3];
    for (int t = 0; t < 3; t++) pthread_create(&threads[t], NULL, churn, NULL);
    int failures = 0;
    for (int i = 0; i < forks; i++) {
        pid_t child = fork();
        if (child == 0) {
            alarm(10);
            void *blocks[100];
            for (int b = 0; b < 100; b++) blocks[b] = malloc((size_t)b * 97 + 1);
            for (int b = 0; b < 100; b++) free(blocks[b]);
            _exit(0);
        }
        if (child < 0) { failures++; continue; }
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failures++;
            printf("fork: child %d ended with status 0x%x\n", i, status);
        }
    }
    stop = 1;
    for (int t = 0; t < 3; t++) pthread_join(threads[t], NULL);
    if (failures) { printf("fork: FAILED %d of %d children\n", failures, forks); return 1; }
    printf("fork: ok forks=%d\n", forks);
    return 0;
}
