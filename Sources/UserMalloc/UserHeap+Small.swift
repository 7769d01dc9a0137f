// The small tier: 48 size classes (16 ... 4096 bytes) served from spans of 4 ... 64 KiB (each at a
// 64 KiB-aligned base; a class's first spans are small and later ones grow: SpanSizing.swift).
//
// malloc pops its class's list (SizeClassState.freeHead: loads of the link and the free marker, a
// store that clears the marker, two stores to the class state; the span header is not read).
// When that list is empty it takes the current span's own free list whole (gatherFreeList),
// else carves the next never-used slot (bump pointer, so a fresh span's pages are touched only as
// they are used), then falls back to a partial span of the class, a cached empty span, or a new
// span from the page source. free finds the span through the directory, checks canary, slot
// boundary and the free marker, and pushes the slot on the class list if the span is current,
// else on the span's own list.
//
// Span invariants (per span, checked by checkInvariants):
//   carved = (bumpOffset - dataOffset) / slotSize
//   usedCount = carved - length(free list)   (slots on the class list count as used)
//   every free-list link is 0 or a carved slot start of this span carrying the free marker
//   (bytes 8-11 of a free slot = the low half of secret ^ address ^ constant: freeMarker)
//   the class list (SizeClassState.freeHead) is empty unless the class has a current span; its
//   links are carved slot starts of the current span below listCarvedUnits * 16 + dataOffset
//   (= its bumpOffset: carve and gather keep it so),
//   carry the marker, and share no slot with the span's own list
//   live slots of a span = usedCount - (length of the class list if it is current)
//   state == .current <=> the span is its class's current span
//   state == .partial <=> on its class's partial list, free list non-empty
//   state == .full    => free list empty and bumpOffset + slotSize > limitOffset
//   state == .empty   <=> in the empty cache list of its size, usedCount == 0
//   limitOffset = dataOffset + floor((spanBytes - dataOffset) / slotSize) * slotSize, >= 1 slot
// Per class c: classSpanBytes[c] = sum of the sizes of the spans in states current, partial or
// full with classIndex c. Heap: cachedEmptySpanBytes = sum of the sizes of the cached spans.
// Double free is always caught while the span is mapped: a freed slot carries the marker, and a
// free that finds it confirms by searching the span's free list and, for the current span, the
// class list (so user data equal to the marker
// costs one search, never a false report). (After the span goes back to the source, a stale free
// is reported as a foreign pointer; if the slot was handed out again, the stale pointer names a
// live block and no allocator can tell.) An earlier design kept an allocation bitmap in the span
// header instead; its extra cache line per operation cost ~3 ns/op on larson and espresso.
// Measured in round 16 (a throwaway prototype, not landed): a class list that
// takes the freed slots of every span of the class (tcmalloc's shape: free never writes the
// header; half the list flushed back to the spans past 16 KiB): fast-path pairs 4.92 -> 4.65 ns,
// larson-1000 0.51 -> 0.62, espresso 0.87 -> 0.91, but trace-swiftc 0.93 -> 0.72 and python-ast
// 0.90 -> 0.68 (free's D1 misses +74 %, mispredicts 3.4x: the flushes), and footprints up
// (glibc-simple 1.32 -> 2.28, larson-1000 1.55 -> 1.81: the lists pin spans); a 4 KiB limit lost
// larson's gain. It would need flushes of the oldest slots in batches and per-class limits that
// grow only for classes that miss (tcmalloc's), within a byte budget for the whole heap.
// Measured in round 17 (not landed): a prefetch (for write) of the next class-list slot as malloc
// pops one, so that the next malloc's link load and its caller's first store find the line:
// ratio_vs_best_peer unchanged within the runs' spread (4 quiet runs each: larson-1000 0.53 ->
// 0.53, alloc-test 0.84 -> 0.85, glibc-thread 0.74 -> 0.73, perl 0.92 -> 0.89, sample 1.35 ->
// 1.29); the list's next slot is usually not the line a random-free workload waits for.
// Measured in round 17 (a throwaway prototype): span headers in a side table indexed by granule
// (64 bytes apart, so no two share a cache set as 64 KiB-aligned headers all do): free's D1 read
// misses on larson-1000 fell 0.92 -> 0.36 per call (callgrind), but its time did not move
// (ratio_vs_best_peer 0.52 -> 0.53, 3 runs each; the other scenarios within 0.03, fast-path pairs
// 0.05 slower for the table's address arithmetic). The header misses hit L2 and overlap; what
// separates us from tcmalloc there is instructions (free 56 Ir against the peers' 35).
// Measured in round 18 (not landed): the class-list heads in their own array of words (the
// slab heap's activeFreeLists, which took its pairs 6.8 -> 4.4-5.0 ns: free's push address is
// then one scaled index from the class byte, not index * 32 + offset), so that the next malloc's
// load of the head waits less for that store's address: a tie here (8 quiet runs each,
// ratio_vs_best_peer: fast-path pairs 1.00-1.13 both ways, larson-1000 0.50 -> 0.51). This
// free already picks the head with a conditional move after one header load; the slab's chain
// had three more steps.
// Measured in round 19 (what the checks cost; throwaway variants, 3-4 runs each with mimalloc
// and tcmalloc, ratio_vs_best_peer medians): callgrind split per contender (README: Benchmarks)
// puts trace-python-ast at 53 Ir per free and 38 per malloc here against mimalloc's 27 and 24,
// with fewer D1 misses than mimalloc's; the gap is instructions. Without free's slot and marker
// checks, malloc's marker and link checks and the live-byte counters, the traces pass mimalloc:
// gcc 0.94 -> 1.15, perl 0.94 -> 1.09, python-ast 0.92 -> 1.08, swiftc 0.96 -> 1.12, espresso
// 0.87 -> 1.04, sh6bench 0.89 -> 1.00; larson-1000 (0.52 -> 0.67) and glibc-thread (0.73 -> 0.92)
// still trail tcmalloc. Each part alone is worth 0.02-0.11: the slot check (canary, carved,
// slot boundary) perl +0.10, sh6bench +0.11; the link check larson-1000 +0.07-0.09,
// larson-5000 +0.06-0.08 (its `next == 0` branch mispredicts at the end of short lists); the
// counters +0.03-0.05 on most; the markers +0.03-0.06 but fast-path pairs -0.12.
// Two link checks without that branch: the zero case by a conditional move (larson-1000 0.52 ->
// 0.56, larson-5000 0.62 -> 0.65, pairs 1.00 -> 0.93-0.95; not landed), and the head checked as
// it is popped instead of each link as it is read (landed: popClassSlot). The pairs pay for the
// second: they skipped the check (next is always 0 there) and now check the head, 5.3 -> 5.5 ns
// (tcmalloc 5.2). 6 runs each, all peers: larson-1000 0.52 -> 0.59, larson-5000 0.62 -> 0.68,
// glibc-thread 0.74 -> 0.78, espresso 0.87 -> 0.91, alloc-test 0.82 -> 0.85, gcc 0.92 -> 0.96,
// perl 0.93 -> 0.96, swiftc 0.97 -> 1.00, git-log 0.73 -> 0.76, sample 1.31 -> 1.34, python-ast
// 0.93 -> 0.94, glibc-simple 0.84 -> 0.84, sh6bench 0.93 -> 0.91 (a tie); pairs 0.99-1.00 ->
// 0.95-0.96 of tcmalloc (10 runs each).

import MemoryCore

/// A small slot handed out, and whether its bytes are known to be zero (never written since the
/// page source zeroed them), which lets calloc skip the memset.
@usableFromInline struct SmallBlock {
    @usableFromInline var address: UInt
    @usableFromInline var isZeroed: Bool

    @inlinable @inline(__always) init(address: UInt, isZeroed: Bool) {
        self.address = address
        self.isZeroed = isZeroed
    }
}

extension UserHeap {
    /// malloc's fast path for class `index`: a slot popped from the class list or, when that is
    /// empty, carved at the current span's bump offset (the span's own list is empty but for
    /// a moment after trim's settling: its slots wait until carving is done). Address 0 when the
    /// class list's head looks damaged, there is no current span or it is used up
    /// (allocateSmall tells these apart).
    @inline(__always)
    @inlinable mutating func takeSlotFast(classIndex index: Int) -> SmallBlock {
        let none = SmallBlock(address: 0, isZeroed: false)
        let head = classes[index].freeHead
        if _fastPath(head != 0) { return SmallBlock(address: popClassSlot(head, classIndex: index), isZeroed: false) }
        let current = classes[index].current
        guard current != 0 else { return none }
        return carve(from: SpanRef(base: userPointer(current)), classIndex: index) ?? none
    }

    /// Pops `head` (not 0), the first slot of class `index`'s list, when it is a sound free
    /// slot; 0 (nothing changed) otherwise. Reads the slot and the class state only.
    ///
    /// Link validation: the head is checked before any of its bytes is read: a 16-aligned slot
    /// start carved in the current span when the list was gathered (isCarvedLink: one compare;
    /// carved means below the bump offset, which also keeps it inside a short span's mapped
    /// bytes), and still carrying its keyed free marker. Each link read from a slot becomes the
    /// head unchecked and is checked by the malloc that would pop it, so a link damaged by a
    /// use-after-free write is reported there, by the address it holds, and never followed.
    /// Checked here rather than as it is read, the list's end (a link of 0) needs no test: the
    /// caller's empty-list test has it (round 19: checking the read link cost a mispredicted
    /// `next == 0` branch at the end of every short list; figures in the file comment).
    @inline(__always)
    @inlinable mutating func popClassSlot(_ head: UInt, classIndex index: Int) -> UInt {
        guard Self.isCarvedLink(head, ofSpanAt: classes[index].current, carvedUnits: classes[index].listCarvedUnits),
            carriesFreeMarker(head)
        else { return 0 }
        let next = loadLink(at: head)
        storeMarker(0, at: head)  // a live block does not carry the marker
        classes[index].freeHead = next
        counters.noteLive(classes[index].slotSize)
        return head
    }

    /// Moves the current span's own free list (non-empty) to class `index`'s empty list. Its
    /// slots now count as used in the span (usedCount = carved slots), so free()'s accounting
    /// stays one decrement and the span settles nothing when it later stops being current.
    @inlinable mutating func gatherFreeList(_ span: SpanRef, classIndex index: Int) {
        let carvedBytes = span.header.bumpOffset &- UInt32(SpanRef.dataOffset)
        classes[index].freeHead = span.header.freeHead
        classes[index].listCarvedUnits = Self.carvedUnits(bumpOffset: span.header.bumpOffset)
        span.header.freeHead = 0
        span.header.usedCount = SizeClass.quotient(carvedBytes, reciprocal: span.header.reciprocal)
    }

    /// A span's carved bytes in 16-byte units (SizeClassState.listCarvedUnits) for `bumpOffset`.
    @inline(__always)
    @inlinable static func carvedUnits(bumpOffset: UInt32) -> UInt {
        UInt(truncatingIfNeeded: (bumpOffset &- UInt32(SpanRef.dataOffset)) &>> 4)
    }

    /// Whether `link` is a 16-aligned slot start carved in the span at `spanAddress` below
    /// `carvedUnits` 16-byte units: with d = link - (span + 64), rotating d right by 4 moves a
    /// misalignment into the top bits, so one unsigned compare tests both (every slot size and
    /// the data offset are multiples of 16).
    @inline(__always)
    @inlinable static func isCarvedLink(_ link: UInt, ofSpanAt spanAddress: UInt, carvedUnits: UInt) -> Bool {
        let d = link &- spanAddress &- UInt(SpanRef.dataOffset)
        return (d &>> 4 | d &<< 60) < carvedUnits
    }

    /// malloc for class `index`: a slot popped from the class list (gathered from the current
    /// span's own list when empty), else a report of a damaged list head, else the slow path
    /// (which carves or changes spans).
    @inlinable mutating func allocateSmall(classIndex index: Int) -> SmallBlock? {
        var head = classes[index].freeHead
        let current = classes[index].current
        if head == 0 && current != 0 {
            let span = SpanRef(base: userPointer(current))
            if span.header.freeHead != 0 {
                gatherFreeList(span, classIndex: index)
                head = classes[index].freeHead
            }
        }
        if head != 0 { return popClassSlotOrReport(classIndex: index) }
        return allocateSmallSlow(classIndex: index)
    }

    /// Serves a light class from the medium regions (UserHeap+Light.swift), else carves from
    /// the current span or installs another span as current and retries. `alignment` (16, 32 or
    /// 64) is what a light block must have (a span's slots of the class already do).
    @inline(never)
    @inlinable mutating func allocateSmallSlow(classIndex index: Int, alignment: Int = 16) -> SmallBlock? {
        if classSpanBytes[index] == 0, let block = allocateLight(classIndex: index, alignment: alignment) { return block }
        return allocateFromSpans(classIndex: index, alignment: alignment)
    }

    /// The span part of allocateSmallSlow: the current span, a partial one, a cached empty one;
    /// when none has a slot, room left under the class's light limit (its freed light blocks)
    /// before a new span is mapped. `alignment` (16, 32 or 64) is what a light block must have.
    @inlinable mutating func allocateFromSpans(classIndex index: Int, alignment: Int = 16) -> SmallBlock? {
        while true {
            let current = classes[index].current
            if current != 0 {
                let span = SpanRef(base: userPointer(current))
                if classes[index].freeHead != 0 || span.header.freeHead != 0 { return allocateSmall(classIndex: index) }
                // Both lists are empty, so the span settles nothing on leaving (see SizeClassState).
                if let block = carve(from: span, classIndex: index) { return block }
                span.header.state = SpanState.full.rawValue
                classes[index].current = 0
            }
            if let partial = takePartialSpan(classIndex: index) {
                // Its own list is not empty (a partial span's): gather it and pop, here rather
                // than through allocateSmall, which would test again what is known here.
                makeCurrent(partial, classIndex: index)
                gatherFreeList(partial, classIndex: index)
                return popClassSlotOrReport(classIndex: index)
            }
            var taken = takeEmptySpan(classIndex: index)
            if taken == nil {
                if let block = allocateLight(classIndex: index, alignment: alignment) { return block }
                taken = mapSpan(classIndex: index)
            }
            guard let next = taken else { return nil }
            makeCurrent(next, classIndex: index)
        }
    }

    /// The first slot of class `index`'s list (not empty); nil, with a report, when a free slot
    /// is there but its link or free marker is damaged.
    @inline(__always)
    @inlinable mutating func popClassSlotOrReport(classIndex index: Int) -> SmallBlock? {
        let head = classes[index].freeHead
        let address = popClassSlot(head, classIndex: index)
        guard address != 0 else {
            report(.corruptedFreeList(VirtualAddress(UInt64(head))))
            return nil
        }
        return SmallBlock(address: address, isZeroed: false)
    }

    /// Makes `span` (on no list) class `index`'s current span; the class list is empty.
    @inline(__always)
    @inlinable mutating func makeCurrent(_ span: SpanRef, classIndex index: Int) {
        span.header.state = SpanState.current.rawValue
        classes[index].current = span.address
        classes[index].listCarvedUnits = Self.carvedUnits(bumpOffset: span.header.bumpOffset)
    }

    /// The next never-used slot of `span`, or nil when the span is carved to its limit.
    @inline(__always)
    @inlinable mutating func carve(from span: SpanRef, classIndex index: Int) -> SmallBlock? {
        let offset = span.header.bumpOffset
        let slotSize = span.header.slotSize
        guard offset &+ slotSize <= span.header.limitOffset else { return nil }
        span.header.bumpOffset = offset &+ slotSize
        classes[index].listCarvedUnits = Self.carvedUnits(bumpOffset: offset &+ slotSize)
        span.header.usedCount &+= 1
        counters.noteLive(Int(slotSize))
        let address = span.address &+ UInt(offset)
        let isZeroed = offset >= span.header.dirtyEnd
        // A recycled span may still hold a free marker from an earlier life of this very slot
        // address; left in place, every free of the slot would pay for the confirming search.
        if !isZeroed { storeMarker(0, at: address) }
        return SmallBlock(address: address, isZeroed: isZeroed)
    }

    /// free() of a pointer the directory places in the small span at `spanBase`. Inline part:
    /// the slot checks and the push; a rejected pointer, a slot carrying the free marker and a
    /// span changing lists each go to one static function in tail position (see allocate).
    @inline(__always)
    @inlinable mutating func freeSmall(_ address: UInt, spanBase: UInt) {
        let span = SpanRef(base: userPointer(spanBase))
        guard isCarvedSlotStart(address, span: span) else { return Self.rejectSmallFree(&self, address, span: span) }
        if _slowPath(carriesFreeMarker(address)) {
            return Self.freeMarkedSlot(&self, address, span: span)
        }
        pushFreeSlot(address, span: span)
    }

    /// Puts the live slot at `address` on the class list when its span is current (where the
    /// next malloc of the class pops it: a malloc/free pair never leaves the class state), else
    /// on its span's own list.
    ///
    /// Branch-free on which list: in a random-free workload (larson, glibc-thread, espresso)
    /// whether the slot's span is current is a coin toss, and a branch on it mispredicted often
    /// enough to cost more than the class list saved (callgrind --branch-sim, glibc-thread:
    /// +468 000 conditional mispredicts for -3.9 M instructions). The head's address is chosen
    /// by a conditional move and that head alone is read and written (pushLink); reading and
    /// writing both heads cost ~5 instructions more per free (callgrind, glibc-thread: free
    /// 62.95 -> 58.07 M Ir, mispredicts unchanged). The current span keeps its usedCount (it
    /// counts the slots on the class list as used).
    @inline(__always)
    @inlinable mutating func pushFreeSlot(_ address: UInt, span: SpanRef) {
        let state = span.header.state
        let isCurrent = state == SpanState.current.rawValue
        let index = Int(truncatingIfNeeded: span.header.classIndex)
        pushFreeLink(address, onClassList: isCurrent, classIndex: index, span: span)
        storeMarker(freeMarker(address), at: address)
        let used = span.header.usedCount &- (isCurrent ? 0 : 1)
        span.header.usedCount = used
        counters.noteFreed(Int(truncatingIfNeeded: span.header.slotSize))
        // Full, or partial and now empty (SpanState's order); never true for the current span
        // (current + 1 < full).
        if _slowPath(state &+ (used == 0 ? 1 : 0) >= SpanState.full.rawValue) {
            Self.spanChangedFill(&self, span)
        }
    }

    @inlinable @inline(never) static func spanChangedFill(_ heap: inout Self, _ span: SpanRef) {
        heap.spanChangedFill(span)
    }

    /// free() of a slot that carries the free marker: a double free, or user data that happens
    /// to equal the marker (then an ordinary free). The exact answer is a walk of the free lists.
    @inlinable @inline(never) static func freeMarkedSlot(_ heap: inout Self, _ address: UInt, span: SpanRef) {
        if freeListContains(address, span: span, classHead: heap.classListHead(of: span)) {
            heap.report(.doubleFree(VirtualAddress(UInt64(address))))
        } else {
            heap.pushFreeSlot(address, span: span)
        }
    }

    /// free() of a pointer isCarvedSlotStart refused: reports what is wrong with it.
    @inlinable @inline(never) static func rejectSmallFree(_ heap: inout Self, _ address: UInt, span: SpanRef) {
        heap.report(heap.smallSlotError(address, span: span) ?? .interiorPointer(VirtualAddress(UInt64(address))))
    }

    /// Whether `address` is a carved slot start of `span` under an intact header (not whether
    /// it is live): the header cookie, then the slot offset o = address - span - 64 below the
    /// carved bytes (`o < bumpOffset - 64` unsigned, which also rejects the header) and a
    /// multiple of the slot size (SizeClass.isMultiple: one multiply, one compare).
    @inline(__always)
    @inlinable func isCarvedSlotStart(_ address: UInt, span: SpanRef) -> Bool {
        guard span.header.canary == secret ^ UInt64(span.address) else { return false }
        let slotOffset = UInt32(truncatingIfNeeded: address &- span.address) &- UInt32(SpanRef.dataOffset)
        return slotOffset < span.header.bumpOffset &- UInt32(SpanRef.dataOffset)
            && SizeClass.isMultiple(slotOffset, reciprocal: span.header.reciprocal)
    }

    /// Validates that `address` is a carved slot start of `span` (not whether it is live).
    @inline(__always)
    @inlinable mutating func locateSmall(_ address: UInt, span: SpanRef) -> HeapError? {
        if _fastPath(isCarvedSlotStart(address, span: span)) { return nil }
        return smallSlotError(address, span: span)
    }

    /// What is wrong with a pointer into `span` that isCarvedSlotStart refused.
    @inlinable @inline(never) mutating func smallSlotError(_ address: UInt, span: SpanRef) -> HeapError? {
        let where_ = VirtualAddress(UInt64(address))
        guard span.header.canary == secret ^ UInt64(span.address) else {
            return .corruptedHeader(VirtualAddress(UInt64(span.address)))
        }
        let offset = address &- span.address
        guard offset >= UInt(SpanRef.dataOffset) else { return .interiorPointer(where_) }
        let slotOffset = UInt32(truncatingIfNeeded: offset &- UInt(SpanRef.dataOffset))
        guard SizeClass.isMultiple(slotOffset, reciprocal: span.header.reciprocal) else {
            return Self.beyondSpan(offset, span) ? .foreignPointer(where_) : .interiorPointer(where_)
        }
        guard offset < UInt(span.header.bumpOffset) else {
            return Self.beyondSpan(offset, span) ? .foreignPointer(where_) : .neverAllocated(where_)
        }
        return nil
    }

    /// Whether `offset` lies past a short span's mapped bytes (in the rest of its granule, which
    /// is not the heap's). Asked only once a pointer has failed a check, so free's fast path
    /// does not pay for it.
    @inlinable static func beyondSpan(_ offset: UInt, _ span: SpanRef) -> Bool {
        offset >= UInt(span.byteCount)
    }

    /// The value a free slot keeps in its bytes 8-11: the low half of `secret ^ address ^
    /// constant` (the first and last folded into markerKey at init). Without the per-heap seed a
    /// program cannot forge it by accident; with it, only on purpose.
    ///
    /// Why 4 bytes and not the whole second word: free() reads the marker of a block its program
    /// may have just written, and a load that overlaps a narrower store still in the store buffer
    /// cannot be forwarded from it, so it waits for the store to reach the cache (~4 ns here). A
    /// 16-byte block whose tail bytes 12-15 were written byte by byte (a string's terminator, the
    /// bench's tag) made every free of the 16-byte class stall: fastpath-16 took 11.0 ns a pair
    /// against 6.6 for 64 bytes. Reading bytes 8-11 only leaves that case out, and as a filter 4
    /// bytes are as exact as 8: a match is confirmed by walking the free list (freeMarkedSlot),
    /// so user data equal to the marker (now 1 in 2^32 instead of 2^64) costs one walk, never a
    /// false report.
    @inline(__always)
    @inlinable func freeMarker(_ address: UInt) -> UInt32 {
        UInt32(truncatingIfNeeded: markerKey ^ UInt64(address))
    }

    /// Whether the carved slot at `address` carries its free marker (free, or user data equal to it).
    @inline(__always)
    @inlinable func carriesFreeMarker(_ address: UInt) -> Bool {
        loadMarker(at: address) == freeMarker(address)
    }

    @inlinable static var freeMarkerConstant: UInt64 { 0xF8EE_5107_F8EE_5107 }

    /// Whether the carved slot at `address` is on its span's free list. The marker test is one
    /// load; only a slot that carries the marker (a double free, or user data that happens to
    /// equal it) pays for the confirming walk of the list, so the answer is exact.
    @inline(__always)
    @inlinable mutating func isFree(_ address: UInt, in span: SpanRef) -> Bool {
        guard carriesFreeMarker(address) else { return false }
        return Self.freeListContains(address, span: span, classHead: classListHead(of: span))
    }

    /// The head of the class list when `span` is its class's current span (the only span whose
    /// free slots may sit there), else 0.
    @inlinable mutating func classListHead(of span: SpanRef) -> UInt {
        let index = Int(span.header.classIndex)
        return classes[index].current == span.address ? classes[index].freeHead : 0
    }

    /// Whether the free slot `address` of `span` is on the span's own list or on the class list
    /// headed by `classHead` (0 unless the span is current).
    @inline(never)
    @inlinable static func freeListContains(_ address: UInt, span: SpanRef, classHead: UInt) -> Bool {
        listContains(address, from: span.header.freeHead, span: span) || listContains(address, from: classHead, span: span)
    }

    /// Whether the list of `span`'s slots starting at `head` reaches `address` (false at the
    /// first link that is not a carved slot of the span, and after as many steps as carved slots).
    @inlinable static func listContains(_ address: UInt, from head: UInt, span: SpanRef) -> Bool {
        let carved = (Int(span.header.bumpOffset) - SpanRef.dataOffset) / Int(span.header.slotSize)
        var link = head
        var steps = 0
        while link != 0 && steps <= carved {
            if link == address { return true }
            guard link & ~UInt(SpanRef.alignment - 1) == span.address,
                link &- span.address < UInt(span.header.bumpOffset)
            else { return false }
            link = loadLink(at: link)
            steps += 1
        }
        return false
    }

    /// A span's fill changed in a way that moves it between lists: full -> partial, or
    /// partial -> empty (an empty current span stays current: the hysteresis that keeps a
    /// malloc/free pair from mapping and unmapping a span every time).
    @inlinable mutating func spanChangedFill(_ span: SpanRef) {
        let index = Int(span.header.classIndex)
        if span.header.state == SpanState.full.rawValue {
            span.header.state = SpanState.partial.rawValue
            pushPartial(span, classIndex: index)
        }
        if span.header.usedCount == 0 && span.header.state == SpanState.partial.rawValue {
            unlinkPartial(span, classIndex: index)
            retireEmptySpan(span)
        }
    }

    /// Appends a span that just got a free slot to the tail of its class's partial list. The
    /// list is FIFO: malloc takes the head, the span that became partial longest ago and so has
    /// gathered the most frees since. (LIFO handed out the span with one free slot, so a class
    /// spread over several short spans switched spans on almost every malloc: larson-1000 lost
    /// a quarter of its speed.)
    /// Measured in round 16: taking the partial span with the most free slots (of the first 8)
    /// instead of the head: larson-1000 0.51 -> 0.41 of tcmalloc (reading 8 span headers on a
    /// switch), for footprints 1.55 -> 1.51 and 1.32 -> 1.30 (larson-5000).
    @inlinable mutating func pushPartial(_ span: SpanRef, classIndex index: Int) {
        partialSpans[index].append(span)
    }

    @inlinable mutating func unlinkPartial(_ span: SpanRef, classIndex index: Int) {
        partialSpans[index].remove(span)
    }

    @inlinable mutating func takePartialSpan(classIndex index: Int) -> SpanRef? {
        partialSpans[index].popFirst()
    }

    /// Bytes of empty spans kept: one 64 KiB span's worth, or the peak live bytes, whichever is
    /// more. Phases that free most of the heap and then refill it (sh6bench, batch workloads)
    /// reuse the cached spans instead of unmapping them and faulting fresh pages in again
    /// (measured: 3-4x slower with a cache of half the peak; with a quarter, sh6bench fell to
    /// 0.28x glibc while no scenario's peak footprint moved). The peak held from the source does
    /// not grow (the spans were held at the peak anyway), and trim() returns them all. (The floor
    /// used to be four 64 KiB spans, which alone was 2.6x the live bytes of a 100 KB heap.)
    @inlinable var emptySpanCacheByteLimit: Int { max(SpanRef.alignment, counters.peakLiveBytes) }

    /// Caches an empty span that has left its class, or returns it to the source when the cache
    /// is full.
    @inlinable mutating func retireEmptySpan(_ span: SpanRef) {
        let bytes = span.byteCount
        classSpanBytes[Int(span.header.classIndex)] -= bytes
        guard counters.cachedEmptySpanBytes + bytes <= emptySpanCacheByteLimit else {
            releaseSpan(span)
            return
        }
        let list = Int(span.header.sizeShift) - SpanRef.smallestShift
        span.header.state = SpanState.empty.rawValue
        emptySpans[list].pushFront(span)
        counters.cachedEmptySpans += 1
        counters.cachedEmptySpanBytes += bytes
    }

    /// A cached empty span for class `index`: of the size the class would map next if there is
    /// one, else the next larger size, else the largest smaller size that still fits a slot
    /// (memory already held always beats a page-source call).
    @inlinable mutating func takeEmptySpan(classIndex index: Int) -> SpanRef? {
        guard counters.cachedEmptySpans > 0 else { return nil }
        let wanted = SpanSizing.shift(forClass: index, heldBytes: classSpanBytes[index])
        let lowest = SpanSizing.minimumShift(forClass: index)
        var shift = wanted
        while shift <= SpanRef.largestShift {
            if let span = popEmptySpan(shift: shift) { return assign(span, classIndex: index) }
            shift += 1
        }
        shift = wanted - 1
        while shift >= lowest {
            if let span = popEmptySpan(shift: shift) { return assign(span, classIndex: index) }
            shift -= 1
        }
        return nil
    }

    @inlinable mutating func popEmptySpan(shift: Int) -> SpanRef? {
        let list = shift - SpanRef.smallestShift
        guard let span = emptySpans[list].popFirst() else { return nil }
        counters.cachedEmptySpans -= 1
        counters.cachedEmptySpanBytes -= span.byteCount
        return span
    }

    /// A new span from the page source, registered and prepared for class `index`, of the size
    /// SpanSizing picks for the class.
    @inlinable mutating func mapSpan(classIndex index: Int) -> SpanRef? {
        var shift = SpanSizing.shift(forClass: index, heldBytes: classSpanBytes[index])
        if counters.wouldRaisePeak(adding: 1 << shift) {
            shift = SpanSizing.peakRaisingShift(shift, forClass: index, slackBytes: counters.peakSlackBytes)
        }
        if let span = takeIdleCurrentSpan(forClass: index, shift: shift) { return span }
        guard
            let (base, isZeroed) = mapCovered(
                byteCount: 1 << shift, alignment: SpanRef.alignment, headerBytes: SpanRef.dataOffset)
        else { return nil }
        let span = SpanRef.format(base, sizeShift: shift)
        span.header.canary = secret ^ UInt64(span.address)
        // A recycled mapping (UserHeap+Mapping.swift) holds old bytes past its zeroed header:
        // none of its slots is zero, and carve clears any free marker left there.
        if !isZeroed { span.header.dirtyEnd = UInt32(1 << shift) }
        directory.insert(address: span.address, value: UInt64(span.address) | OwnerKind.small.rawValue)
        counters.smallSpans += 1
        counters.smallSpanBytes += 1 << shift
        return assign(span, classIndex: index)
    }

    /// Hands an empty span (usedCount == 0) to class `index`: its old free list is dropped and
    /// its slots are re-cut for the class. Precondition: the span holds at least one such slot.
    @inlinable mutating func assign(_ span: SpanRef, classIndex index: Int) -> SpanRef {
        let slotSize = SizeClass.byteCount(ofClass: index)
        let capacity = (span.byteCount - SpanRef.dataOffset) / slotSize
        span.header.dirtyEnd = max(span.header.dirtyEnd, span.header.bumpOffset)
        span.header.freeHead = 0
        span.header.bumpOffset = UInt32(SpanRef.dataOffset)
        span.header.limitOffset = UInt32(SpanRef.dataOffset + capacity * slotSize)
        span.header.slotSize = UInt32(slotSize)
        span.header.reciprocal = SizeClass.reciprocal(ofSlotSize: slotSize)
        span.header.usedCount = 0
        span.header.classIndex = UInt16(index)
        classSpanBytes[index] += span.byteCount
        return span
    }

    /// Unregisters and unmaps a span that holds no live block and belongs to no class.
    @inlinable mutating func releaseSpan(_ span: SpanRef) {
        unmapToSource(span.base, byteCount: unregisterSpan(span))
    }

    /// Unregisters such a span and takes it out of the counts; returns its bytes (the caller
    /// unmaps or recycles the mapping: UserHeap+Mapping.swift).
    @inlinable mutating func unregisterSpan(_ span: SpanRef) -> Int {
        let bytes = span.byteCount
        directory.remove(address: span.address)
        counters.smallSpans -= 1
        counters.smallSpanBytes -= bytes
        return bytes
    }

    /// trim() for the small tier: every cached empty span and every empty current span.
    @inlinable mutating func releaseEmptySpans() {
        for shift in SpanRef.smallestShift ... SpanRef.largestShift {
            while let span = popEmptySpan(shift: shift) { releaseSpan(span) }
        }
        for index in 0 ..< SizeClass.count {
            let current = classes[index].current
            guard current != 0 else { continue }
            let span = SpanRef(base: userPointer(current))
            settleClassList(classIndex: index)
            if span.header.usedCount == 0 {
                classes[index].current = 0
                classSpanBytes[index] -= span.byteCount
                releaseSpan(span)
            }
        }
    }

    /// Gives class `index`'s list back to its current span (appended before the span's own
    /// list), so the span's usedCount counts live slots only again (trim asks whether it is
    /// empty). A damaged list is left where it is (the next malloc reports it).
    @inlinable mutating func settleClassList(classIndex index: Int) {
        let head = classes[index].freeHead
        guard head != 0 else { return }
        let span = SpanRef(base: userPointer(classes[index].current))
        // Each slot is checked before its link is read, the head included (a damaged link
        // reaches the head unchecked: popClassSlot).
        var tail = head
        var count: UInt32 = 0
        while true {
            guard Self.isCarvedLink(tail, ofSpanAt: span.address, carvedUnits: classes[index].listCarvedUnits),
                count < span.header.usedCount
            else { return }
            count &+= 1
            let next = loadLink(at: tail)
            if next == 0 { break }
            tail = next
        }
        storeLink(span.header.freeHead, at: tail)
        span.header.freeHead = head
        span.header.usedCount &-= count
        classes[index].freeHead = 0
    }
}
