// The malloc bench's timed loops; see include/BenchReplay.h for why they are C at a fixed page offset.
// A faithful port of the Swift loops they replaced (MallocScenarios.swift before round 16): the
// same bytes tagged and checked, the same failures counted, per operation kind.
#include "BenchReplay.h"

__attribute__((aligned(4096))) BenchReplayHeapStorage bench_replay_heap_storage;

/// Writes the slot's tag at the first and last byte of a new block (nothing for an empty block).
static inline __attribute__((always_inline)) void tag_block(unsigned char *pointer, intptr_t size, intptr_t slot) {
    if (size <= 0) return;
    unsigned char tag = (unsigned char)slot | 1;
    pointer[0] = tag;
    pointer[size - 1] = tag;
}

/// Whether the block still carries its tag (first byte, and last byte of `size`).
static inline __attribute__((always_inline)) int block_is_intact(const unsigned char *pointer, intptr_t size, intptr_t slot) {
    if (size <= 0) return 1;
    unsigned char tag = (unsigned char)slot | 1;
    return pointer[0] == tag && pointer[size - 1] == tag;
}

// Each loop starts a page of its own: its code and page offset stay put whatever the Swift code
// linked before it (noinline: the Swift caller cannot see into C anyway; this says so for LTO).
#define BENCH_REPLAY_PLACED __attribute__((aligned(4096), noinline))

BENCH_REPLAY_PLACED intptr_t bench_replay_trace(
    const BenchReplayAllocator *allocator, const BenchReplayOp *ops, intptr_t count, void **slots, intptr_t *sizes) {
    // A local copy: the function pointers stay in registers across the calls, as they did when the
    // Swift loop was specialised for a contender struct.
    const BenchReplayAllocator a = *allocator;
    intptr_t failures = 0;
    for (const BenchReplayOp *op = ops, *end = ops + count; op != end; op++) {
        intptr_t slot = (intptr_t)op->slot;
        intptr_t size = (intptr_t)op->size;
        switch (op->kind) {
        case BENCH_REPLAY_MALLOC: {
            unsigned char *p = a.malloc((size_t)size);
            if (p) tag_block(p, size, slot); else failures++;
            slots[slot] = p;
            sizes[slot] = size;
            break;
        }
        case BENCH_REPLAY_FREE: {
            unsigned char *p = slots[slot];
            if (p && !block_is_intact(p, sizes[slot], slot)) failures++;
            a.free(p);
            slots[slot] = 0;
            sizes[slot] = 0;
            break;
        }
        case BENCH_REPLAY_REALLOC: {
            intptr_t old = sizes[slot];
            unsigned char *p = a.realloc(slots[slot], (size_t)size);
            if (p) {
                // A grown block keeps both old tags; a shrunk one keeps the first.
                if (!block_is_intact(p, size >= old ? old : 1, slot)) failures++;
                tag_block(p, size, slot);
            } else if (size != 0) {
                failures++;
            }
            slots[slot] = p;
            sizes[slot] = size;
            break;
        }
        case BENCH_REPLAY_CALLOC: {
            intptr_t total = size * (intptr_t)op->extra;
            unsigned char *p = a.calloc((size_t)op->extra, (size_t)size);
            if (p) {
                if (total > 0 && p[total - 1] != 0) failures++;
                tag_block(p, total, slot);
            } else {
                failures++;
            }
            slots[slot] = p;
            sizes[slot] = total;
            break;
        }
        case BENCH_REPLAY_ALIGNED: {
            void *result = 0;
            unsigned char *p = a.posix_memalign(&result, (size_t)op->extra, (size_t)size) == 0 ? result : 0;
            if (p) tag_block(p, size, slot); else failures++;
            slots[slot] = p;
            sizes[slot] = size;
            break;
        }
        }
    }
    return failures;
}

BENCH_REPLAY_PLACED intptr_t bench_replay_fast_path_pairs(const BenchReplayAllocator *allocator, intptr_t byteCount, intptr_t pairs) {
    const BenchReplayAllocator a = *allocator;
    intptr_t failures = 0;
    for (intptr_t i = 0; i < pairs; i++) {
        unsigned char *p = a.malloc((size_t)byteCount);
        if (!p) {
            failures++;
            continue;
        }
        tag_block(p, byteCount, i);
        if (!block_is_intact(p, byteCount, i)) failures++;
        a.free(p);
    }
    return failures;
}
