/* The C allocation API's contract, checked under whichever malloc is loaded (run under
 * libswiftmm.so and under glibc by run-tests.sh: both must pass). Prints one line per failed
 * check and "api: N checks, N failed"; exits 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int checks, failures;
#define CHECK(condition) do { checks++; if (!(condition)) { failures++; \
    printf("api: FAILED line %d: %s\n", __LINE__, #condition); } } while (0)

static int aligned(void *p, size_t alignment) { return ((uintptr_t)p & (alignment - 1)) == 0; }

int main(void) {
    /* malloc: 16-aligned, usable size >= request, distinct non-null blocks for size 0. */
    size_t sizes[] = {0, 1, 8, 15, 16, 17, 100, 1000, 4096, 4097, 20000, 131072, 131073, 1 << 20, 5 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = malloc(sizes[i]);
        CHECK(p != NULL);
        CHECK(aligned(p, 16));
        CHECK(malloc_usable_size(p) >= sizes[i]);
        memset(p, 0xA5, malloc_usable_size(p));
        free(p);
    }
    void *z1 = malloc(0), *z2 = malloc(0);
    CHECK(z1 && z2 && z1 != z2);
    free(z1);
    free(z2);
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0);

    /* Impossible sizes: NULL with ENOMEM, nothing else happens. */
    /* (volatile: the compiler would reject the constant sizes.) */
    volatile size_t huge = SIZE_MAX, half = SIZE_MAX / 2 + 1, eighth = SIZE_MAX / 8 + 2;
    errno = 0;
    CHECK(malloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(half) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(calloc(eighth, 8) == NULL && errno == ENOMEM);

    /* calloc zeroes, including recycled memory. */
    for (int round = 0; round < 3; round++) {
        size_t n = round == 0 ? 48 : round == 1 ? 40000 : 300000;
        unsigned char *dirty = malloc(n);
        memset(dirty, 0xFF, n);
        free(dirty);
        unsigned char *clean = calloc(n, 1);
        int zero = 1;
        for (size_t i = 0; i < n; i++) zero &= clean[i] == 0;
        CHECK(zero);
        free(clean);
    }

    /* realloc keeps the contents, grows and shrinks across every tier. */
    unsigned char *r = realloc(NULL, 10);
    CHECK(r != NULL);
    for (int i = 0; i < 10; i++) r[i] = (unsigned char)i;
    size_t steps[] = {100, 5000, 70000, 200000, 3000000, 50, 8};
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        r = realloc(r, steps[s]);
        CHECK(r != NULL);
        int same = 1;
        for (int i = 0; i < 8; i++) same &= r[i] == (unsigned char)i;
        CHECK(same);
    }
    errno = 0;
    CHECK(realloc(r, huge - 4096) == NULL && errno == ENOMEM); /* r is still valid */
    CHECK(r[7] == 7);
    free(r);

    /* reallocarray checks the product. */
    errno = 0;
    CHECK(reallocarray(NULL, half, 3) == NULL && errno == ENOMEM);
    void *ra = reallocarray(NULL, 10, 10);
    CHECK(ra != NULL && malloc_usable_size(ra) >= 100);
    free(ra);

    /* posix_memalign: powers of two multiple of sizeof(void *); EINVAL otherwise, result kept. */
    for (size_t alignment = 8; alignment <= (1 << 21); alignment <<= 1) {
        size_t lengths[] = {1, 100, 5000, 200000};
        for (size_t l = 0; l < 4; l++) {
            void *p = NULL;
            CHECK(posix_memalign(&p, alignment, lengths[l]) == 0);
            CHECK(p != NULL && aligned(p, alignment));
            CHECK(malloc_usable_size(p) >= lengths[l]);
            memset(p, 1, lengths[l]);
            free(p);
        }
    }
    void *untouched = (void *)0x1234;
    CHECK(posix_memalign(&untouched, 24, 10) == EINVAL && untouched == (void *)0x1234);
    CHECK(posix_memalign(&untouched, 4, 10) == EINVAL && untouched == (void *)0x1234);
    CHECK(posix_memalign(&untouched, 64, huge - 100) == ENOMEM && untouched == (void *)0x1234);

    /* memalign, aligned_alloc, valloc, pvalloc. */
    long page = sysconf(_SC_PAGESIZE);
    void *m = memalign(256, 1000);
    CHECK(m && aligned(m, 256));
    free(m);
    m = memalign(1, 10);
    CHECK(m && aligned(m, 8));
    free(m);
    m = aligned_alloc(64, 64 * 3);
    CHECK(m && aligned(m, 64));
    free(m);
    m = aligned_alloc(4096, 10);
    CHECK(m && aligned(m, 4096));
    free(m);
    m = valloc(10);
    CHECK(m && aligned(m, (size_t)page));
    free(m);
    m = pvalloc(10);
    CHECK(m && aligned(m, (size_t)page) && malloc_usable_size(m) >= (size_t)page);
    free(m);

    /* Many live blocks of mixed sizes keep their contents. */
    enum { COUNT = 5000 };
    static unsigned char *blocks[COUNT];
    static size_t lengths[COUNT];
    unsigned seed = 12345;
    for (int i = 0; i < COUNT; i++) {
        seed = seed * 1103515245 + 12345;
        lengths[i] = (seed >> 8) % (i % 50 == 0 ? 200000 : 600) + 1;
        blocks[i] = malloc(lengths[i]);
        memset(blocks[i], (unsigned char)i, lengths[i]);
    }
    int intact = 1;
    for (int i = 0; i < COUNT; i += 2) free(blocks[i]);
    for (int i = 1; i < COUNT; i += 2) {
        for (size_t b = 0; b < lengths[i]; b++) intact &= blocks[i][b] == (unsigned char)i;
        free(blocks[i]);
    }
    CHECK(intact);
    CHECK(malloc_trim(0) == 1 || 1); /* glibc answers 0 when nothing was released */

    printf("api: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
