/* Threads allocate, fill, hand blocks to each other through a shared ring, and the receiving
 * thread checks the pattern and frees the block: most frees are remote (another thread's
 * allocation). Every block carries its size and a checksum pattern; any mismatch is a failure.
 * Usage: threads THREADS ROUNDS. Prints "threads: ok ..." or the first mismatch; exit 0/1. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RING = 4096 };
static void *ring[RING];
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static int rounds;
static volatile int failed;

static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static void fill(unsigned char *block, size_t length) {
    memcpy(block, &length, sizeof length);
    for (size_t i = sizeof length; i < length; i++) block[i] = (unsigned char)(length * 31 + i);
}

static int intact(const unsigned char *block) {
    size_t length;
    memcpy(&length, block, sizeof length);
    for (size_t i = sizeof length; i < length; i++)
        if (block[i] != (unsigned char)(length * 31 + i)) return 0;
    return 1;
}

static size_t random_length(uint64_t *state) {
    uint64_t r = next_random(state);
    switch (r % 100) {
    case 0: return 4097 + (r >> 8) % 150000;            /* medium and large */
    case 1: case 2: case 3: return 1025 + (r >> 8) % 3072;
    default: return 16 + (r >> 8) % 500;               /* small */
    }
}

static void *worker(void *argument) {
    uint64_t state = 0x9E3779B97F4A7C15ull * (uint64_t)(uintptr_t)argument + 1;
    for (int i = 0; i < rounds && !failed; i++) {
        size_t length = random_length(&state);
        unsigned char *block = malloc(length);
        if (!block) { failed = 1; puts("threads: malloc returned NULL"); break; }
        fill(block, length);
        if (next_random(&state) % 8 == 0) {  /* realloc keeps the prefix */
            size_t grown = length + next_random(&state) % 3000;
            block = realloc(block, grown);
            if (!block || !intact(block)) { failed = 1; puts("threads: realloc lost contents"); break; }
            fill(block, grown);
        }
        size_t slot = next_random(&state) % RING;
        pthread_mutex_lock(&ring_lock);
        void *previous = ring[slot];
        ring[slot] = block;
        pthread_mutex_unlock(&ring_lock);
        if (previous) {
            if (!intact(previous)) { failed = 1; printf("threads: block %p damaged\n", previous); break; }
            free(previous);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    rounds = argc > 2 ? atoi(argv[2]) : 200000;
    pthread_t ids[64];
    if (threads > 64) threads = 64;
    for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, (void *)(uintptr_t)(t + 1));
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    for (int i = 0; i < RING; i++) {
        if (ring[i] && !intact(ring[i])) failed = 1;
        free(ring[i]);
    }
    if (failed) { puts("threads: FAILED"); return 1; }
    printf("threads: ok threads=%d rounds=%d\n", threads, rounds);
    return 0;
}
