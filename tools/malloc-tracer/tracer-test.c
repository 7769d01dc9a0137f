/* The tracer's test program: a known sequence of heap calls between two marker allocations
   (sizes 1000001 and 1000002); tracer-test.sh checks the lines the tracer records between them. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    void *start = malloc(1000001);
    char *a = malloc(100);
    int *b = calloc(3, 8);
    a = realloc(a, 200);
    void *c = NULL;
    if (posix_memalign(&c, 64, 40) != 0) return 1;
    void *d = aligned_alloc(4096, 8192);
    void *e = memalign(16, 24);                   /* malloc's own alignment: recorded as m */
    void *f = reallocarray(NULL, 5, 10);          /* realloc(NULL, 50): recorded as m */
    free(b);
    void *g = malloc(7);                          /* takes b's freed ID */
    free(NULL);                                   /* not recorded */
    char *h = realloc(malloc(30), 0);             /* realloc(p, 0) frees p */
    memset(a, 1, 200);
    free(a); free(c); free(d); free(e); free(f); free(g); free(h);
    free(start);
    void *end = malloc(1000002);
    free(end);
    return 0;
}
