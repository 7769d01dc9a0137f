// The typed wrappers put each argument in the right register slot, and decode results the Linux
// way (-4095 ... -1 are errnos, everything else a value).
import MemoryCore
import Testing
@testable import UserSyscalls

extension FakeKernelSuite {
    @Suite("Syscall wrappers and result decoding")
    struct SyscallWrapperTests {
        init() { fakeKernel = FakeKernel() }

        @Test func resultDecodingBoundaries() throws {
            #expect(SyscallResult.errno(of: -1) == .notPermitted)
            #expect(SyscallResult.errno(of: -14) == .badAddress)
            #expect(SyscallResult.errno(of: -4095) == Errno(rawValue: 4095))
            #expect(SyscallResult.errno(of: -4096) == nil)
            #expect(SyscallResult.errno(of: 0) == nil)
            #expect(SyscallResult.errno(of: Int64.min) == nil)
            #expect(SyscallResult.errno(of: 0x80_0040_0000) == nil)
            #expect(try SyscallResult.value(of: 0x80_0040_0000) == 0x80_0040_0000)
            #expect(try SyscallResult.value(of: -4096) == UInt64(bitPattern: -4096))
            #expect(throws: Errno.invalidArgument) { try SyscallResult.value(of: -22) }
        }

        @Test func errnoValuesAndNamesMatchTheABI() {
            let table: [(Errno, Int32, String)] = [
                (.notPermitted, 1, "EPERM"), (.noSuchEntry, 2, "ENOENT"), (.outOfMemory, 12, "ENOMEM"),
                (.badAddress, 14, "EFAULT"), (.exists, 17, "EEXIST"), (.invalidArgument, 22, "EINVAL"),
                (.notImplemented, 38, "ENOSYS"),
            ]
            for (errno, raw, name) in table {
                #expect(errno.rawValue == raw)
                #expect(errno.name.description == name)
            }
            #expect(Errno(rawValue: 99).name.description == "E?")
        }

        @Test func numbersAndProtectionBitsMatchTheABI() {
            #expect(SyscallNumber.allCases.map(\.rawValue) == Array(0 ... 21))
            #expect(Protection.read.rawValue == 1 && Protection.write.rawValue == 2 && Protection.execute.rawValue == 4)
            #expect(Protection.readWrite.rawValue == 3 && Protection.readExecute.rawValue == 5 && Protection.none.rawValue == 0)
        }

        /// remap passes its flags in the fourth register (r10) and keeps the bytes; the fake
        /// kernel grows (populated, as its maps) and shrinks in place, and never moves (it cannot
        /// show moved entries: FakeKernel.swift).
        @Test func remapPassesFourArgumentsAndKeepsTheBytes() throws {
            let address = try Syscall.map(length: 4096, protection: .readWrite)
            address.storeByte(0x5A)
            let flags = RemapFlags(mayMove: true, alignment: 64 << 10)
            #expect(try Syscall.remap(address: address, oldLength: 4096, newLength: 3 * 4096, flags: flags) == address)
            #expect(
                fakeKernel.calls.last == RecordedCall(number: 11, arguments: [address.raw, 4096, 3 * 4096, 1 | 16 << 8, 0, 0]))
            #expect(address.loadByte() == 0x5A && fakeKernel.mappedPageCount == 3, "the growth is backed (populate)")
            let grown = VirtualAddress(address.raw + 2 * 4096)
            grown.storeByte(0xA5)  // the host touches it directly: it must be backed already
            #expect(grown.loadByte() == 0xA5 && fakeKernel.checkInvariants() == nil)
            #expect(
                try Syscall.remap(address: address, oldLength: 3 * 4096, newLength: 4096, flags: RemapFlags(mayMove: false))
                    == address)
            #expect(fakeKernel.mappedPageCount == 1)
            let blocker = try Syscall.map(hint: VirtualAddress(address.raw + 2 * 4096), length: 4096, protection: .readWrite)
            #expect(throws: Errno.outOfMemory) {  // growth would have to move: the fake kernel never moves
                try Syscall.remap(address: address, oldLength: 4096, newLength: 8 * 4096, flags: flags)
            }
            try Syscall.unmap(address: blocker, length: 4096)
            let refused = SyscallTrap.invoke(.remap, address.raw, 4096, 8192, 1 | 31 << 8)
            #expect(refused == -22, "an alignment above 2^30 is EINVAL")
            try Syscall.unmap(address: address, length: 4096)
        }

        @Test func writePassesBufferAndLength() throws {
            // The kernel reads the buffer through the process's page tables: it must be mapped.
            let page = try Syscall.map(length: 4096, protection: .readWrite)
            let buffer = UnsafeRawBufferPointer(start: page.pointer, count: 5)
            page.bytes(count: 5).copyBytes(from: Array("line\n".utf8))
            #expect(try Syscall.write(buffer) == 5)
            #expect(fakeKernel.calls.last == RecordedCall(number: 1, arguments: [page.raw, 5, 0, 0, 0, 0]))
            #expect(fakeKernel.written == Array("line\n".utf8))
            #expect(throws: Errno.invalidArgument) { try Syscall.write(address: page, length: 4097) }
            #expect(throws: Errno.badAddress) { try Syscall.write(address: VirtualAddress(page.raw + 4090), length: 100) }
        }

        @Test func mapUnmapProtectBrkPassArgumentsInOrder() throws {
            let address = try Syscall.map(length: 8192, protection: .readWrite)
            #expect(fakeKernel.calls.last == RecordedCall(number: 2, arguments: [0, 8192, 3, 0, 0, 0]))
            fakeKernel.forcedResult = -17
            #expect(throws: Errno.exists) { try Syscall.map(hint: address, length: 4096, protection: .read) }
            #expect(fakeKernel.calls.last == RecordedCall(number: 2, arguments: [address.raw, 4096, 1, 0, 0, 0]))
            fakeKernel.forcedResult = 0
            try Syscall.protect(address: address, length: 4096, protection: .readExecute)
            #expect(fakeKernel.calls.last == RecordedCall(number: 6, arguments: [address.raw, 4096, 5, 0, 0, 0]))
            try Syscall.unmap(address: address, length: 8192)
            #expect(fakeKernel.calls.last == RecordedCall(number: 3, arguments: [address.raw, 8192, 0, 0, 0, 0]))
            #expect(fakeKernel.mappedPageCount == 0)
            fakeKernel.forcedResult = 0x80_0041_0000
            #expect(Syscall.currentBreak() == VirtualAddress(0x80_0041_0000))
            #expect(fakeKernel.calls.last == RecordedCall(number: 4, arguments: [0, 0, 0, 0, 0, 0]))
        }

        @Test func setBreakThrowsWhenTheKernelLeavesTheBreak() throws {
            fakeKernel.forcedResult = 0x80_0041_0000
            #expect(throws: Errno.outOfMemory) { try Syscall.setBreak(VirtualAddress(0x80_0042_0000)) }
            #expect(fakeKernel.calls.last == RecordedCall(number: 4, arguments: [0x80_0042_0000, 0, 0, 0, 0, 0]))
            fakeKernel.forcedResult = 0x80_0042_0000
            try Syscall.setBreak(VirtualAddress(0x80_0042_0000))
        }

        @Test func memstatDecodesTheRecordInABIOrder() throws {
            let first = try Syscall.map(length: 3 * 4096, protection: .readWrite)
            try Syscall.unmap(address: first, length: 4096)
            // The kernel writes through the page tables: into a mapped page (the host stack, where
            // memstat() puts its record, is not in the fake process's tables).
            let out = VirtualAddress(first.raw + 4096 + 8)
            try Syscall.memstat(into: out)
            #expect(fakeKernel.calls.last == RecordedCall(number: 5, arguments: [out.raw, 0, 0, 0, 0, 0]))
            let stats = MemoryStatistics(record: out.pointer!.loadUnaligned(as: MemoryStatistics.Record.self))
            var expected = fakeKernel.memory.statistics
            expected.freeFramesSystem = fakeKernel.machine.freeFrameCount
            expected.commitLimitSystem = fakeKernel.machine.commit.limitPages
            expected.committedSystem = fakeKernel.machine.commit.committedPages
            #expect(stats == expected)
            #expect(stats.residentPages == 2 && stats.committedPages >= 2 && stats.committedSystem == stats.committedPages)
            #expect(stats.pagesMapped == 2 && stats.peakPagesMapped == 3 && stats.mapCalls == 1 && stats.unmapCalls == 1)
            #expect(stats.brkCalls == 0 && stats.breakStart == 0 && stats.breakCurrent == 0)
            #expect(MemoryLayout<MemoryStatistics.Record>.size == MemoryStatistics.recordBytes)
            #expect(throws: Errno.badAddress) { try Syscall.memstat(into: VirtualAddress(0x10_0000)) }
            fakeKernel.forcedResult = 0
            #expect(try Syscall.memstat() == MemoryStatistics(), "memstat() decodes the record it passed")
            #expect(fakeKernel.calls.last?.number == 5)
        }

        @Test func processCallsPassTheirArgumentsAndDecodeTheStatus() throws {
            // The kernel reads the name and writes the status through the page tables: a mapped page.
            let page = try Syscall.map(length: 4096, protection: .readWrite)
            let name = Array("hellobad_pointer".utf8)
            page.pointer!.copyMemory(from: name, byteCount: name.count)
            let hello = try Syscall.spawn(address: page, length: 5)
            #expect(fakeKernel.calls.last == RecordedCall(number: 7, arguments: [page.raw, 5, 0, 0, 0, 0]))
            let bad = try Syscall.spawn(address: VirtualAddress(page.raw + 5), length: 11)
            #expect(throws: Errno.noSuchEntry) { try Syscall.spawn(address: page, length: 4) }
            #expect(throws: Errno.badAddress) { try Syscall.spawn("hello") }  // a host address: not in the fake's tables
            let status = VirtualAddress(page.raw + 64)
            #expect(try Syscall.wait(for: bad, statusInto: status) == bad)
            #expect(fakeKernel.calls.last == RecordedCall(number: 8, arguments: [bad, status.raw, 0, 0, 0, 0]))
            #expect(ProcessStatus(word: status.pointer!.load(as: UInt64.self)) == .killed(faultNumber: 14))
            #expect(try Syscall.wait(for: nil, statusInto: status) == hello)
            #expect(ProcessStatus(word: status.pointer!.load(as: UInt64.self)) == .exited(code: 0))
            #expect(throws: Errno.noChild) { try Syscall.wait(for: nil, statusInto: status) }
            #expect(Syscall.getpid() == 1)
            Syscall.yield()
            #expect(fakeKernel.yields == 1 && fakeKernel.calls.last?.number == 9)
            try Syscall.unmap(address: page, length: 4096)
        }

        @Test func userSpaceLayoutConstants() {
            #expect(UserSpace.contains(UserSpace.start) && !UserSpace.contains(UserSpace.end))
            #expect(UserSpace.contains(UserSpace.imageBase) && UserSpace.contains(VirtualAddress(UserSpace.stackEnd.raw - 1)))
            #expect(!UserSpace.contains(UserSpace.kernelAddress))
            #expect(
                UserSpace.pageRounded(1) == 4096 && UserSpace.pageRounded(4096) == 4096
                    && UserSpace.pageRounded(UInt64.max) == nil)
        }
    }
}
