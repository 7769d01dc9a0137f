/* One misuse per run, chosen by argv[1]. The pointer involved is printed first on stdout as
 * "pointer=0x..." so the runner can check that the library's stderr line names it; the library
 * must then abort (SIGABRT). Reaching the end means the misuse went unnoticed: exit 0 is the
 * failure the runner looks for. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void announce(void *pointer) {
    printf("pointer=%p\n", pointer);
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *kind = argc > 1 ? argv[1] : "";
    char on_stack[64];
    if (!strcmp(kind, "double-free")) {
        char *p = malloc(40);
        announce(p);
        free(p);
        free(p);
    } else if (!strcmp(kind, "double-free-medium")) {
        char *p = malloc(20000);
        announce(p);
        free(p);
        free(p);
    } else if (!strcmp(kind, "foreign-free")) {
        announce(on_stack);
        free(on_stack);
    } else if (!strcmp(kind, "interior-free")) {
        char *p = malloc(100);
        announce(p + 16);
        free(p + 16);
    } else if (!strcmp(kind, "foreign-realloc")) {
        announce(on_stack);
        void *q = realloc(on_stack, 100);
        printf("realloc returned %p\n", q);
    } else if (!strcmp(kind, "foreign-usable-size")) {
        announce(on_stack);
        printf("usable=%zu\n", malloc_usable_size(on_stack));
    } else {
        fprintf(stderr, "usage: misuse double-free|double-free-medium|foreign-free|interior-free|foreign-realloc|foreign-usable-size\n");
        return 2;
    }
    puts("misuse: not detected");
    return 0;
}
