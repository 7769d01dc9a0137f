import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import UserMalloc

@Suite struct GranuleMapTests {
    /// Registers and unregisters random granules of every kind against a Dictionary, moving the
    /// window to a larger map whenever a granule lands outside it; every address of a probe
    /// granule must answer the model's owner (0 outside the window and for free granules).
    @Test func matchesAReferenceDictionary() {
        var maps: [UnsafeMutableRawPointer] = []
        defer { for map in maps { map.deallocate() } }
        var granules = GranuleMap()
        var model: [UInt: UInt64] = [:]
        var rng = SeededGenerator(seed: 7)
        let origin: UInt = 0x7000_0000_0000
        for step in 0 ..< 20_000 {
            // Granules over 3 pages of map (3 x 256 MiB), so the window grows twice or more.
            let granule = origin + (UInt.random(in: 0 ..< 3 * 4096, using: &rng) << 16)
            if model[granule] != nil {
                granules.remove(address: granule + 123)
                model[granule] = nil
            } else {
                let value: UInt64
                switch UInt.random(in: 0 ..< 4, using: &rng) {
                case 0: value = UInt64(granule) | OwnerKind.small.rawValue
                case 1: value = UInt64(granule & ~UInt(RegionRef.alignment - 1)) | OwnerKind.medium.rawValue
                case 2: value = UInt64(granule) | OwnerKind.large.rawValue
                default:
                    // A large block aligned to 2^17 ... 2^20: its header lies that far below.
                    let back = UInt(1) << UInt.random(in: 17 ... 20, using: &rng)
                    value = UInt64(granule - back) | OwnerKind.large.rawValue
                }
                if !granules.covers(granule, byteCount: 1) {
                    let window = try! #require(granules.window(covering: granule, byteCount: 1))
                    let map = UnsafeMutableRawPointer.allocate(byteCount: window.capacity, alignment: 4096)
                    map.initializeMemory(as: UInt8.self, repeating: 0, count: window.capacity)
                    maps.append(map)
                    granules.move(into: UInt(bitPattern: map), first: window.first, capacity: window.capacity)
                }
                granules.insert(address: granule, value: value)
                model[granule] = value
            }
            #expect(granules.count == model.count)
            if step % 97 == 0 {
                #expect(granules.countEntries() == model.count)
                for probe in 0 ..< 3 * 4096 + 8 {
                    let address = origin + (UInt(probe) << 16) - (8 << 16)
                    #expect(granules.lookup(address + 4095) == model[address] ?? 0)
                }
            }
        }
        #expect(granules.lookup(0) == 0 && granules.lookup(UInt.max) == 0)
    }

    /// The window never spans more than maximumCapacity granules.
    @Test func windowIsBounded() {
        var granules = GranuleMap()
        let map = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { map.deallocate() }
        map.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        granules.move(into: UInt(bitPattern: map), first: 0x1000, capacity: 4096)
        let far = UInt(0x1000 + GranuleMap.maximumCapacity) << 16
        #expect(granules.window(covering: far, byteCount: 1) == nil)
        #expect(granules.window(covering: far - (1 << 16) - (4096 << 16), byteCount: 1) != nil)
    }
}
