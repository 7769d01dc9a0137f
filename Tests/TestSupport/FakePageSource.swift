// A recording page source over one big host buffer, for the tests of every allocator built on
// UserMalloc's PageSource (the heap's, the arena's, the pool's): every mapping is remembered (so
// tests can check that all pages went back), unmaps must name exactly one earlier mapping, mapped
// memory is zeroed and unmapped memory poisoned, and failures can be injected.

#if canImport(Glibc)
import Glibc
#endif
import UserMalloc

/// Linux's mremap in its five-argument form (variadic in C, so Swift does not import it).
public typealias HostMremap =
    @convention(c) (UnsafeMutableRawPointer?, Int, Int, Int32, UnsafeMutableRawPointer?)
    -> UnsafeMutableRawPointer?
public let hostMremap: HostMremap = unsafeBitCast(dlsym(nil, "mremap")!, to: HostMremap.self)

public final class FakePageSource: PageSource {
    public let bufferBase: UInt
    public let bufferBytes: Int
    /// Live mappings: base -> byte count.
    public private(set) var mappings: [UInt: Int] = [:]
    /// Sorted free ranges of the buffer (start, end).
    private var freeRanges: [(start: UInt, end: UInt)]
    public private(set) var mapCount = 0
    /// Of mapCount, the maps asked for as memory to use soon (mapPagesForUse: spans and regions).
    public private(set) var mapsForUse = 0
    public private(set) var unmapCount = 0
    /// Successful remapPages calls, and how many of them moved the pages.
    public private(set) var remapCount = 0
    public private(set) var remapMoves = 0
    /// Contract violations by the heap (bad unmap arguments, bad alignment or size requests).
    public private(set) var misuse: [String] = []
    /// When set, this many more maps succeed, then every map fails.
    public var successesBeforeFailure: Int?
    /// Maps fail while the mapped total would exceed this.
    public var byteLimit = Int.max

    /// Maps refused (budget, injected failure or no room): a heap that returns nil must have
    /// asked and been refused.
    public private(set) var refusedMaps = 0

    /// `fixedBase`: place the buffer at exactly this address (MAP_FIXED_NOREPLACE), so that two
    /// sources created one after the other hand out the same addresses (the exhaustive tests
    /// replay operation sequences and compare states byte for byte).
    public init(bufferBytes: Int = 512 << 20, fixedBase: UInt? = nil) {
        let fixedNoReplace: Int32 = 0x100000
        let raw =
            fixedBase == nil
            ? mmap(nil, bufferBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)!
            : mmap(
                UnsafeMutableRawPointer(bitPattern: fixedBase!), bufferBytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixedNoReplace, -1, 0)!
        precondition(
            raw != MAP_FAILED && (fixedBase == nil || UInt(bitPattern: raw) == fixedBase!), "FakePageSource: mmap failed")
        bufferBase = UInt(bitPattern: raw)
        self.bufferBytes = bufferBytes
        freeRanges = [(bufferBase, bufferBase + UInt(bufferBytes))]
    }

    deinit { munmap(UnsafeMutableRawPointer(bitPattern: bufferBase), bufferBytes) }

    public var mappedBytes: Int { mappings.values.reduce(0, +) }

    public func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        if byteCount <= 0 || byteCount % 4096 != 0 || alignment < 4096 || alignment & (alignment - 1) != 0 {
            misuse.append("map(\(byteCount), \(alignment))")
            return nil
        }
        if let remaining = successesBeforeFailure {
            if remaining == 0 {
                refusedMaps += 1
                return nil
            }
            successesBeforeFailure = remaining - 1
        }
        if mappedBytes + byteCount > byteLimit {
            refusedMaps += 1
            return nil
        }
        for (index, range) in freeRanges.enumerated() {
            let start = (range.start + UInt(alignment) - 1) & ~UInt(alignment - 1)
            guard start + UInt(byteCount) <= range.end else { continue }
            freeRanges.remove(at: index)
            if start + UInt(byteCount) < range.end { freeRanges.insert((start + UInt(byteCount), range.end), at: index) }
            if range.start < start { freeRanges.insert((range.start, start), at: index) }
            let pointer = UnsafeMutableRawPointer(bitPattern: start)!
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            mappings[start] = byteCount
            mapCount += 1
            return pointer
        }
        refusedMaps += 1
        return nil
    }

    /// A map like any other (the buffer is already resident), counted in mapsForUse.
    public func mapPagesForUse(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let pointer = mapPages(byteCount: byteCount, alignment: alignment)
        if pointer != nil { mapsForUse += 1 }
        return pointer
    }

    /// Shrinks or grows in place when the pages after are free; else moves the pages with Linux's
    /// mremap (MREMAP_MAYMOVE | MREMAP_FIXED) to a free aligned range of the buffer, and maps
    /// fresh pages over the hole left behind (poisoned, as unmapped memory is here). No byte is
    /// copied, as with the kernel's remap. Budget and injected failures apply to the growth.
    public func remapPages(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        let start = UInt(bitPattern: pointer)
        guard mappings[start] == oldByteCount, newByteCount > 0, newByteCount % 4096 == 0,
            alignment >= 4096, alignment & (alignment - 1) == 0
        else {
            misuse.append("remap(\(start), \(oldByteCount), \(newByteCount), \(alignment))")
            return nil
        }
        if newByteCount <= oldByteCount {
            // The tail becomes a mapping of its own for a moment, and is unmapped as one.
            let tail = start + UInt(newByteCount)
            mappings[start] = newByteCount
            if newByteCount < oldByteCount {
                mappings[tail] = oldByteCount - newByteCount
                unmapPages(UnsafeMutableRawPointer(bitPattern: tail)!, byteCount: oldByteCount - newByteCount)
                unmapCount -= 1
            }
            remapCount += 1
            return pointer
        }
        if let remaining = successesBeforeFailure {
            if remaining == 0 {
                refusedMaps += 1
                return nil
            }
            successesBeforeFailure = remaining - 1
        }
        if mappedBytes + newByteCount - oldByteCount > byteLimit {
            refusedMaps += 1
            return nil
        }
        let end = start + UInt(oldByteCount)
        let growth = UInt(newByteCount - oldByteCount)
        if let index = freeRanges.firstIndex(where: { $0.start == end && $0.end - $0.start >= growth }) {
            if freeRanges[index].end - end == growth {
                freeRanges.remove(at: index)
            } else {
                freeRanges[index].start = end + growth
            }
            UnsafeMutableRawPointer(bitPattern: end)!.initializeMemory(as: UInt8.self, repeating: 0, count: Int(growth))
            mappings[start] = newByteCount
            remapCount += 1
            return pointer
        }
        guard let destination = mapPages(byteCount: newByteCount, alignment: alignment) else { return nil }
        mapCount -= 1  // counted as the remap below
        let mremapFixed: Int32 = 1 | 2  // MREMAP_MAYMOVE | MREMAP_FIXED
        let moved = hostMremap(pointer, oldByteCount, newByteCount, mremapFixed, destination)
        if moved == destination {
            let refill = mmap(
                pointer, oldByteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0)
            precondition(refill == pointer, "FakePageSource: refilling the moved range failed")
        } else {
            // EFAULT: host mremap moves a range of one host mapping only, and this mapping grew in
            // place over buffer pages that an earlier move left in another one. The fake then
            // copies (what the tests check is the bytes; a real source's mapping is one VMA).
            precondition(errno == EFAULT, "FakePageSource: mremap failed (errno \(errno))")
            destination.copyMemory(from: pointer, byteCount: oldByteCount)
        }
        mappings[start] = oldByteCount
        unmapPages(pointer, byteCount: oldByteCount)
        unmapCount -= 1
        remapCount += 1
        remapMoves += 1
        return destination
    }

    public func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let start = UInt(bitPattern: pointer)
        guard mappings[start] == byteCount else {
            misuse.append("unmap(\(start), \(byteCount)) matches no mapping")
            return
        }
        mappings[start] = nil
        unmapCount += 1
        pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: byteCount)
        let end = start + UInt(byteCount)
        var index = freeRanges.firstIndex { $0.start > start } ?? freeRanges.count
        freeRanges.insert((start, end), at: index)
        if index + 1 < freeRanges.count, freeRanges[index + 1].start == end {
            freeRanges[index].end = freeRanges[index + 1].end
            freeRanges.remove(at: index + 1)
        }
        if index > 0, freeRanges[index - 1].end == start {
            freeRanges[index - 1].end = freeRanges[index].end
            freeRanges.remove(at: index)
            index -= 1
        }
    }
}
