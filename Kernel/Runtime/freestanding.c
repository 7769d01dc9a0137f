/* The freestanding C memory routines every Embedded Swift binary of this project needs
 * (shared/docs/toolchain.md): the kernel and every user program link this one file, each built
 * with its own flags. The memory routines use `rep movsb/stosb`: no SSE (neither build may touch vector state),
 * and no loop the compiler could turn back into a call to the function itself. */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dest, int value, size_t count) {
    void *d = dest;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
    return dest;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t count) {
    void *d = dest;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
    return dest;
}

void *memmove(void *dest, const void *src, size_t count) {
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (d == s || count == 0) return dest;
    if (d < s || d >= s + count) return memcpy(dest, src, count);
    /* Overlap with dest above src: copy backwards. */
    d += count - 1;
    s += count - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(count) : : "memory");
    return dest;
}

int memcmp(const void *a, const void *b, size_t count) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < count; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *text) {
    size_t n = 0;
    while (text[n]) n++;
    return n;
}

/* Hash seeding for Set/Dictionary (SplitMix64). Neither the kernel nor a user program has an
 * entropy source yet; a fixed, well-mixed sequence keeps runs and their logs reproducible. */
void arc4random_buf(void *buffer, size_t count) {
    static uint64_t state = 0x9E3779B97F4A7C15ull;
    unsigned char *out = buffer;
    for (size_t i = 0; i < count; i++) {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = (unsigned char)(z ^ (z >> 31));
    }
}
