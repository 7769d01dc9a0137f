// UserMalloc: the malloc of SwiftMM's ring-3 programs, generic over where its pages come from
// (`UserHeap<Source: PageSource>`; the kernel's map/unmap syscalls in a user program).
//
// Three tiers, chosen by size (a pointer's tier comes from the granule map):
//
// 1. Small, 0 ... 4096 bytes: 48 size classes (SizeClasses.swift), 16-byte steps to 128, then
//    eight steps per doubling (12.5 %):
//        16 32 48 64 80 96 112 128 | 144 160 176 192 208 224 240 256 |
//        288 320 352 384 416 448 480 512 | 576 640 704 768 832 896 960 1024 |
//        1152 1280 1408 1536 1664 1792 1920 2048 | 2304 2560 2816 3072 3328 3584 3840 4096
//    Each class allocates from spans of 4, 8, 16, 32 or 64 KiB, every one at a 64 KiB-aligned
//    base (so the span of a slot is its address rounded down to 64 KiB, and the rest of a short
//    span's granule is simply not the heap's): a 64-byte header, then slots. A class's spans start
//    at the smallest size that holds a slot and grow by half of what the class holds, up to 64 KiB
//    (SpanSizing.swift): a program that touches all 48 classes lightly holds ~250 KiB, not 3 MiB.
//    Free slots form an intrusive singly linked list per span (word 0: next; bytes 8-11: a free
//    marker derived from the heap's seed and the slot address). A class keeps one "current"
//    span (malloc = pop, free = push), a list of partial spans, and full spans on no list.
//    Empty spans go to a cache shared by all classes, one list per span size (hysteresis: up to
//    max(64 KiB, peakLiveBytes) bytes), beyond it back to the source; trim() returns every empty
//    span.
//    Never-used slots are carved with a bump offset, so pages are touched on demand and calloc
//    knows which slots are still zero from the source.
// 2. Medium, 4 KiB < n <= 128 KiB: boundary-tagged blocks in regions of 16 ... 256 KiB
//    (aligned to 256 KiB; the first small, later ones growing with the tier) with TLSF-style
//    segregated bins (8 per power of two) and a non-empty-bin bitmap: O(1) malloc and free,
//    immediate coalescing, realloc growing into a free successor. Empty regions are cached up
//    to max(1, peakLiveBytes / 256 KiB), the rest unmapped; trim() returns them all.
// 3. Large, n > 128 KiB (or alignment > 4 KiB): a mapping of its own; free keeps up to 16
//    mappings (no more bytes than the peak live bytes) for reuse and unmaps the rest; realloc
//    stays in place within the mapping's page slack.
//
// Pointer validation (free, realloc, usable size): one byte per 64 KiB granule over a window of
// the address space (GranuleMap.swift) answers "is this ours, and whose" without touching the
// pointed-to memory (a subtraction, a compare and a byte load); the owner's header is then the
// pointer masked to the span (64 KiB) or region (256 KiB) alignment. Then: header canary; for small, slot boundary (one multiply: a divisibility test with
// the class's reciprocal), carved (offset < bump) and not already free (no free marker, or, when
// the marker is there, not found on the span's free list: exact, and the search only runs on a
// suspected double free); for medium, a block-start bitmap bit, boundary tags and the in-use
// flag; for large, the exact user pointer. malloc checks each free-list link before it reads
// or hands out the slot it names (same span, aligned, past the header, carved, free marker
// intact). Violations go to the caller's handler as a HeapError and change nothing.
//
// Accounting (HeapStatistics.swift), with invariants as equations (UserHeap+Invariants.swift):
//   heldBytes = sum(span sizes) + sum(region sizes) + sum(large mappings, live and cached)
//               + granule map bytes
//   liveBytes = sum(usable bytes of live blocks)
//   per span:   usedCount = carvedSlots - freeListLength, every free slot carries the marker
//   per region: sum(block sizes) = region size - 2112 - 16, no two free blocks adjacent
//   per class:  classSpanBytes = sum(sizes of its current, partial and full spans)
//
// Double free: always reported while the block's span or region is mapped (small: the slot is
// on its span's free list; medium: the in-use flag is clear behind a valid block-start bit); a
// freed large block is unregistered (cached or unmapped), so its second free is reported as a
// foreign pointer. A stale pointer whose slot was handed out again names a live block: no
// allocator without quarantine can tell.
//
// Semantics: malloc(0) returns a unique 16-byte block; free(nil) is a no-op; calloc checks
// n * size for overflow and zeroes only memory that may have been written; realloc(p, 0) frees p
// and returns nil, as glibc does; every pointer is 16-aligned; posix_memalign takes alignments
// that are powers of two >= 8 (EINVAL otherwise, ENOMEM when out of memory). Sizes above
// Int.max (a C size_t) arrive negative and get nil/ENOMEM.
//
// Not thread-safe: one heap per single-threaded program. Raw pointer work lives only in
// HeapMemory.swift. Hot paths are @inlinable so that host clients specialise them (the embedded
// build specialises generics in the client anyway).
