// realloc and the pointer lookup it shares with malloc_usable_size.
//
// realloc(p, n):  p == nil -> malloc(n);  n == 0 -> free(p), returns nil (glibc's behaviour);
// otherwise in place when the block can hold n without wasting more than half of it (small: the
// slot is big enough; medium: shrink by splitting the tail or grow into a free successor; large:
// the mapping's page slack; large to another large size: the mapping is remapped, no copy), else
// malloc + copy + free. When the new block cannot be had the old one is left untouched and nil is
// returned. A bad p is reported and nil returned.

import MemoryCore

/// A live block found from a user pointer.
@usableFromInline struct LocatedBlock {
    @usableFromInline enum Tier {
        case small(SpanRef)
        case medium(MediumBlock)
        case large(LargeRef)
    }

    @usableFromInline var tier: Tier
    @usableFromInline var usableBytes: Int

    @inlinable init(tier: Tier, usableBytes: Int) {
        self.tier = tier
        self.usableBytes = usableBytes
    }
}

extension UserHeap {
    /// Validates `address` as a live block and says where it lives.
    @inlinable mutating func locate(_ address: UInt) -> Result<LocatedBlock, HeapError> {
        let entry = directory.entry(address)
        switch OwnerKind(rawValue: UInt64(entry & 3)) {
        case .small:
            let span = SpanRef(containing: address)
            if let error = locateSmall(address, span: span) { return .failure(error) }
            guard !isFree(address, in: span) else { return .failure(.doubleFree(VirtualAddress(UInt64(address)))) }
            return .success(LocatedBlock(tier: .small(span), usableBytes: Int(span.header.slotSize)))
        case .medium:
            return locateMedium(address, region: RegionRef(containing: address)).map {
                LocatedBlock(tier: .medium($0), usableBytes: $0.size - MediumBlock.headerBytes)
            }
        case .large:
            let block = LargeRef(base: GranuleMap.largeBase(of: address, entry: entry))
            if let error = locateLarge(address, block: block) { return .failure(error) }
            return .success(LocatedBlock(tier: .large(block), usableBytes: Int(block.header.usableBytes)))
        case nil:
            return .failure(.foreignPointer(VirtualAddress(UInt64(address))))
        }
    }

    /// realloc: see the file comment for the exact rules.
    ///
    /// A live small slot (the common case: interpreters and databases grow and shrink strings
    /// and arrays of a few hundred bytes) takes free()'s checks inline, without locate's
    /// general result: the granule map byte, the slot checks (canary, carved, slot boundary) and
    /// no free marker. A pointer that fails any of them, or a slot that carries the marker (freed,
    /// or user data equal to it), takes the general path, which tells them apart and reports.
    /// Measured (round 20; callgrind, our part of one replay, before -> after): trace-perl-
    /// concordance 111.9 -> 104.8 M instructions (135 475 reallocs), trace-sqlite-index 269.9 ->
    /// 262.9 M (201 108), trace-git-log 43.1 -> 41.9 M, trace-python-ast 50.6 -> 50.3 M;
    /// ratio_vs_best_peer (4 interleaved runs each) perl 0.92 -> 0.95, sqlite 0.92 -> 0.94,
    /// git-log 0.76 -> 0.78, the other traces within 0.03.
    @inlinable public mutating func reallocate(_ pointer: UnsafeMutableRawPointer?, byteCount: Int) -> UnsafeMutableRawPointer? {
        let address = UInt(bitPattern: pointer)
        if directory.entry(address) == UInt8(OwnerKind.small.rawValue), byteCount > 0 {
            let span = SpanRef(containing: address)
            if isCarvedSlotStart(address, span: span) && !carriesFreeMarker(address) {
                return reallocateSmall(address, span: span, byteCount: byteCount)
            }
        }
        return reallocateLocated(pointer, byteCount: byteCount)
    }

    /// realloc of the live slot at `address` of `span` to `byteCount` (> 0) bytes: in place when
    /// the slot keeps it, else malloc + copy + the slot's push.
    @inlinable mutating func reallocateSmall(_ address: UInt, span: SpanRef, byteCount: Int) -> UnsafeMutableRawPointer? {
        let slotSize = Int(span.header.slotSize)
        if Self.slotKeeps(byteCount: byteCount, slotSize: slotSize) { return userPointer(address) }
        guard let moved = allocate(byteCount: byteCount) else { return nil }
        BlockBytes.copy(from: address, to: UInt(bitPattern: moved), byteCount: min(slotSize, byteCount))
        // The span is read afresh: malloc may have moved it between lists (not freed it: it
        // holds this live slot).
        pushFreeSlot(address, span: span)
        return moved
    }

    /// Whether a small slot of `slotSize` bytes keeps a block resized to `byteCount` bytes: it
    /// fits, and wastes at most half of the slot (any fit in the 16 ... 64-byte classes). Also the
    /// rule for a light block (UserHeap+Light.swift: its slot is >= smallestLightSlot bytes).
    @inlinable static func slotKeeps(byteCount: Int, slotSize: Int) -> Bool {
        byteCount <= slotSize && (byteCount > slotSize / 2 || slotSize <= 64)
    }

    /// realloc of anything but a live small slot (nil, a medium or large block, byteCount <= 0,
    /// and every pointer that free() would report), by locate.
    @inlinable mutating func reallocateLocated(_ pointer: UnsafeMutableRawPointer?, byteCount: Int) -> UnsafeMutableRawPointer? {
        guard let pointer else { return allocate(byteCount: byteCount) }
        guard byteCount >= 0 else { return nil }
        let address = UInt(pointer)
        let block: LocatedBlock
        switch locate(address) {
        case .failure(let error):
            report(error)
            return nil
        case .success(let found): block = found
        }
        if byteCount == 0 {
            releaseLocated(block, at: address)
            return nil
        }
        if resizeInPlace(block, byteCount: byteCount) { return pointer }
        if case .large(let large) = block.tier, byteCount > Self.largestMediumByteCount,
            let remapped = remapLarge(large, byteCount: byteCount)
        {
            return userPointer(remapped)
        }
        guard let moved = allocate(byteCount: byteCount) else { return nil }
        BlockBytes.copy(from: address, to: UInt(moved), byteCount: min(block.usableBytes, byteCount))
        releaseLocated(block, at: address)
        return moved
    }

    /// Frees the block at `address` that locate() found live: free() without the checks locate
    /// made already (granule map, header canary, slot or block start, boundary tags, free
    /// marker). Still true after realloc's malloc, which hands out free blocks only: the block
    /// is live where locate found it (a small slot's span may have changed state, a medium
    /// block's neighbours may have changed: both are read afresh here). A large block takes
    /// free() (rare, and its checks are a few compares).
    /// Measured (callgrind, the bench's realloc wrapper, with locate's single dispatch on the map
    /// byte): trace-perl-concordance 67.64 -> 60.28 M Ir (262 K moves, ~28 instructions each),
    /// trace-git-log 11.13 -> 9.97 M Ir; with this inline and the medium case a call, 59.39 and
    /// 9.82 M.
    /// Inline in realloc with the small push (the common move); the medium release is one call.
    @inlinable @inline(__always) mutating func releaseLocated(_ block: LocatedBlock, at address: UInt) {
        switch block.tier {
        case .small(let span): pushFreeSlot(address, span: span)
        case .medium(let medium): releaseLocatedMedium(medium)
        case .large: free(userPointer(address))
        }
    }

    /// releaseLocated of a medium block (out of line: releaseMediumBlock is inlined here once).
    @inlinable @inline(never) mutating func releaseLocatedMedium(_ block: MediumBlock) {
        releaseMediumBlock(block, region: RegionRef(containing: block.address))
    }

    /// Whether the block now holds `byteCount` bytes without moving.
    @inlinable mutating func resizeInPlace(_ block: LocatedBlock, byteCount: Int) -> Bool {
        switch block.tier {
        case .small:
            return Self.slotKeeps(byteCount: byteCount, slotSize: block.usableBytes)
        case .medium(let medium):
            // A light block keeps its size (its class's byte count must stay exact): the small rule.
            if medium.lightClass != nil { return Self.slotKeeps(byteCount: byteCount, slotSize: block.usableBytes) }
            guard byteCount > SizeClass.largestByteCount else { return false }
            return resizeMediumInPlace(medium, byteCount: byteCount)
        case .large:
            return byteCount <= block.usableBytes && byteCount > block.usableBytes / 2
        }
    }
}
