// A fixed-capacity list of memory regions: the firmware map as given, or its normalised form.
import MemoryCore

/// Up to `MemoryMap.capacity` regions in inline storage (no heap: this exists before any heap).
///
/// Regions that do not fit are never lost silently: `droppedForCapacity` counts them, and the
/// kernel logs the count. Dropping is always on the safe side for normalised maps: a dropped
/// usable region only loses RAM, and a dropped non-usable region cannot make its bytes usable,
/// because usable frames come only from regions that are present and marked usable.
public struct MemoryMap: Sendable {
    public static let capacity = 128

    @usableFromInline var regions = FixedCapacityList<128, MemoryRegion>(filler: .filler)

    /// Regions that did not fit in this map (or in the map it was derived from).
    public internal(set) var droppedForCapacity: Int = 0

    public init() {}

    @inlinable @inline(__always) public var count: Int { regions.count }

    @inlinable @inline(__always) public subscript(index: Int) -> MemoryRegion { regions[index] }

    /// Appends a region, or counts it in `droppedForCapacity` when the map is full.
    public mutating func append(_ region: MemoryRegion) {
        do { try regions.append(region) } catch { droppedForCapacity += 1 }
    }

    /// Total bytes of usable regions.
    public var usableByteCount: UInt64 {
        var total: UInt64 = 0
        for index in 0 ..< count where self[index].kind == .usable {
            total += self[index].range.byteCount
        }
        return total
    }
}
