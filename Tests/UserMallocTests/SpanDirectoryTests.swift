import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import UserMalloc

@Suite struct SpanDirectoryTests {
    /// Inserts and removes random granules against a Dictionary, with the table at its maximum
    /// load (1/2) so long probe runs and wrap-around are exercised by the backward-shift delete.
    @Test func matchesAReferenceDictionary() {
        let capacity = 256
        let memory = UnsafeMutableRawPointer.allocate(byteCount: capacity * 16, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * 16)
        defer { memory.deallocate() }
        var directory = SpanDirectory()
        directory.rehash(into: DirectoryTable(base: memory), capacity: capacity)
        var model: [UInt: UInt64] = [:]
        var rng = SeededGenerator(seed: 7)
        for step in 0 ..< 20_000 {
            let granule = UInt.random(in: 0 ..< 600, using: &rng) << 16 | 0x7000_0000_0000
            if model[granule] != nil {
                directory.remove(address: granule + 123)
                model[granule] = nil
            } else if directory.hasRoom(for: 1) {
                let value = UInt64(granule) | 1
                directory.insert(address: granule, value: value)
                model[granule] = value
            }
            #expect(directory.count == model.count)
            if step % 97 == 0 {
                #expect(directory.firstUnreachableGranule() == nil)
                for probe in 0 ..< 600 {
                    let address = UInt(probe) << 16 | 0x7000_0000_0000
                    #expect(directory.lookup(address + 4095) == model[address] ?? 0)
                }
            }
        }
    }
}
