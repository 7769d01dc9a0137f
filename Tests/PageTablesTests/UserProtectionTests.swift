import Testing
import PageTables

@Suite struct UserProtectionTests {
    @Test func everyCombinationOfTheThreeBits() {
        for bits: UInt64 in 0 ..< 8 {
            let flags = UserProtection.pageFlags(forSyscallArgument: bits)
            let read = bits & 1 != 0, write = bits & 2 != 0, execute = bits & 4 != 0
            if !read || (write && execute) {
                #expect(flags == nil, "bits \(bits) must be refused")
                continue
            }
            guard let flags else {
                Issue.record("bits \(bits) must be accepted")
                continue
            }
            #expect(flags.contains([.present, .user]))
            #expect(flags.contains(.writable) == write)
            #expect(flags.contains(.noExecute) == !execute)
            #expect(!flags.contains(.global))
        }
    }

    @Test func hostileValuesAreRefused() {
        for bits: UInt64 in [8, 9, 0x10, 0x8000_0000_0000_0001, UInt64.max, 1 << 63, 0xFF] {
            #expect(UserProtection.pageFlags(forSyscallArgument: bits) == nil, "bits \(bits)")
        }
    }
}
