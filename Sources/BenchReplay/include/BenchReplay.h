// BenchReplay: the malloc bench's timed loops (trace replay and malloc+free pairs) in C, placed at
// a fixed page offset so their machine code and its place in the page are the same in every build.
//
// Why C and not a Swift generic: a Swift loop specialised per contender lives in SwiftMMBench's
// text beside UserMalloc's code, so every change to our allocator moved the peers' loop and
// changed the PEERS' times by 2-7 % (code alignment, cache sets), e.g. tcmalloc 8.84 -> 9.77
// ns/op on trace-gcc-compile between two builds that differed only in UserMalloc. Here each loop is
// its own function aligned to 4096 bytes (BenchReplay.c), calls nothing but the contender's
// function pointers and touches no global, so its bytes and their page offset do not depend on the
// Swift code around it. Every contender, ours included, is called through the same struct of C
// function pointers: one indirect call per operation.
#ifndef BENCH_REPLAY_H
#define BENCH_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/// One contender's malloc family (the C signatures; ours are @_cdecl Swift functions).
typedef struct BenchReplayAllocator {
    void *_Nullable (*_Nonnull malloc)(size_t byteCount);
    void (*_Nonnull free)(void *_Nullable pointer);
    void *_Nullable (*_Nonnull realloc)(void *_Nullable pointer, size_t byteCount);
    void *_Nullable (*_Nonnull calloc)(size_t count, size_t byteCount);
    int (*_Nonnull posix_memalign)(void *_Nullable *_Nonnull result, size_t alignment, size_t byteCount);
} BenchReplayAllocator;

/// Operation kinds: the raw values of Swift's TraceOpKind (MallocScenarios.swift checks them).
enum {
    BENCH_REPLAY_MALLOC = 0,
    BENCH_REPLAY_FREE = 1,
    BENCH_REPLAY_REALLOC = 2,
    BENCH_REPLAY_CALLOC = 3,
    BENCH_REPLAY_ALIGNED = 4,
};

/// One trace operation, the layout of Swift's TraceOp (16 bytes; MallocScenarios.swift checks it).
typedef struct BenchReplayOp {
    uint8_t kind;
    /// Index into the slot and size tables.
    uint32_t slot;
    /// Bytes (malloc, realloc, aligned), or bytes per element (calloc).
    uint32_t size;
    /// Element count (calloc) or alignment (aligned); 0 otherwise.
    uint32_t extra;
} BenchReplayOp;

/// Replays `count` operations once on `allocator`: each new block gets its slot's tag at its first
/// and last byte, checked before the block is freed or reallocated; `slots` and `sizes` (one entry
/// per slot, NULL/0 for an empty slot) hold the live blocks between operations. Returns the number
/// of failed verifications or allocations.
intptr_t bench_replay_trace(
    const BenchReplayAllocator *_Nonnull allocator, const BenchReplayOp *_Nonnull ops, intptr_t count,
    void *_Nullable *_Nonnull slots, intptr_t *_Nonnull sizes);

/// malloc + tag + verify + free of `byteCount` bytes, `pairs` times (the fast path in isolation).
/// Returns the number of failed allocations or verifications.
intptr_t bench_replay_fast_path_pairs(const BenchReplayAllocator *_Nonnull allocator, intptr_t byteCount, intptr_t pairs);

/// Room for the SwiftMM heap under test (a UserHeap<MmapPageSource>, which MallocScenarios.swift
/// checks fits): static storage, so our functions reach the heap at a link-time constant address,
/// as the Swift wrappers had it in a register, instead of loading a pointer before every operation.
#define BENCH_REPLAY_HEAP_WORDS 4096
typedef struct BenchReplayHeapStorage {
    uint64_t words[BENCH_REPLAY_HEAP_WORDS];
} BenchReplayHeapStorage;
extern BenchReplayHeapStorage bench_replay_heap_storage;

#endif
