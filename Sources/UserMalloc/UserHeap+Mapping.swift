// Every page-source call of the heap goes through these two functions (so heldBytes is exact),
// and the span directory grows here: a doubled table is mapped, filled, and the old one unmapped.

import MemoryCore

extension UserHeap {
    /// Maps pages and accounts for them; nil when the source is out of memory even after the
    /// large cache was given back (the heap never fails a request while it holds idle mappings).
    @inlinable mutating func mapFromSource(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        var mapped = pageSource.mapPages(byteCount: byteCount, alignment: alignment)
        if mapped == nil && !largeCache.isEmpty {
            releaseCachedLarge()
            mapped = pageSource.mapPages(byteCount: byteCount, alignment: alignment)
        }
        guard let base = mapped else { return nil }
        counters.noteMapped(byteCount)
        return base
    }

    @inlinable mutating func unmapToSource(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        pageSource.unmapPages(base, byteCount: byteCount)
        counters.noteUnmapped(byteCount)
    }

    /// Resizes a mapping through the source's remap (no bytes copied) and accounts for it; nil,
    /// the mapping unchanged, when the source cannot.
    @inlinable mutating func remapAtSource(
        _ base: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        guard
            let moved = pageSource.remapPages(
                base, oldByteCount: oldByteCount, newByteCount: newByteCount,
                alignment: alignment)
        else { return nil }
        counters.noteRemapped(newByteCount - oldByteCount)
        return moved
    }

    /// Makes sure `extra` more granules can be registered, growing the table if needed. False
    /// (and nothing changed) when the source cannot supply the larger table.
    @inlinable mutating func reserveDirectoryRoom(_ extra: Int) -> Bool {
        if directory.hasRoom(for: extra) { return true }
        var capacity = max(SpanDirectory.minimumCapacity, directory.capacity * 2)
        while (directory.count + extra) * 2 > capacity { capacity *= 2 }
        let bytes = capacity * SpanDirectory.entryBytes
        guard let base = mapFromSource(byteCount: bytes, alignment: userPageSize) else { return false }
        let oldTable = directory.table
        let oldBytes = directory.capacity * SpanDirectory.entryBytes
        directory.rehash(into: DirectoryTable(base: base), capacity: capacity)
        counters.directoryBytes = bytes
        if let oldTable { unmapToSource(oldTable.base, byteCount: oldBytes) }
        return true
    }

    /// Gives the directory's table back once nothing is registered (trim()).
    @inlinable mutating func releaseEmptyDirectory() {
        guard directory.count == 0, let table = directory.table else { return }
        unmapToSource(table.base, byteCount: directory.capacity * SpanDirectory.entryBytes)
        directory = SpanDirectory()
        counters.directoryBytes = 0
    }

    /// trim: returns every empty span, empty medium region, cached large mapping and (when the heap is empty) the
    /// directory table to the page source. The caches refill on demand.
    @inlinable public mutating func trim() {
        releaseEmptySpans()
        releaseEmptyRegions()
        releaseCachedLarge()
        releaseEmptyDirectory()
    }
}
