// UserAllocators: the allocators a user program picks instead of (or beside) malloc, as in the
// article the project began from. Both take whole pages from the same `PageSource` as UserMalloc's
// heap (in a program: the map/unmap syscalls), so every byte they hold is visible and returned.
//
// - BumpArena: allocation is a pointer bump inside chunks of pages; there is no per-object free.
//   `reset()` gives every page back; `withScope { }` rewinds to where the scope began on exit
//   (keeping the chunk the scope started in, or the first chunk, so a loop of scopes makes no
//   syscall after its first).
// - ObjectPool: equal slots on an intrusive free list inside one mapping; O(1) get and put; a
//   put of a foreign, misaligned or already-free slot is refused with an error value.
// - Fixed-capacity ("heapless") collections live in MemoryCore (FixedCapacityList), shared with
//   the kernel's early boot: a full append is an error value, never an allocation.
//
// Unsafe memory is formed and dereferenced only in ChunkMemory.swift and PoolMemory.swift.
// Bad input (zero or negative sizes, non-power-of-two alignments, arithmetic that would overflow)
// is rejected with an error value and changes nothing but the failure counter.
// Neither allocator is thread-safe (one per single-threaded user program, like UserHeap).
