// Calls each system call with hostile arguments and requires an errno from every one.
import KernelLog
import MemoryCore

struct Fuzzer {
    let startBreak: VirtualAddress
    private(set) var calls = 0

    init(startBreak: VirtualAddress) {
        self.startBreak = startBreak
        _ = HostileValues.imageWord  // read the image word before any hostile call
    }

    /// One call that must fail; anything else ends the program with exit code 1.
    mutating func mustFail(_ number: SyscallNumber, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64 = 0) {
        mustFail(number.rawValue, a1, a2, a3)
    }

    mutating func mustFail(
        _ number: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64 = UInt64.max, _ a5: UInt64 = UInt64.max
    ) {
        calls += 1
        let result = SyscallTrap.invoke(number, a1, a2, a3, a4, a5, UInt64.max)
        guard SyscallResult.errno(of: result) == nil else { return }
        Console.line("syscall_fuzz").word("FAILED").phrase("reason", "hostile call succeeded").dec("number", number)
            .hex("a1", a1).hex("a2", a2).hex("a3", a3).hex("result", UInt64(bitPattern: result)).end()
        ProgramExit.exit(1)
    }

    /// A readable, writable page of this program's stack (a valid buffer for the length tests).
    private func withValidBuffer(_ body: (UInt64) -> Void) {
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { body(VirtualAddress(UnsafeRawBufferPointer($0)).raw) }
    }

    mutating func write() {
        for i in HostileValues.addresses.indices {
            for j in HostileValues.bufferLengths.indices {
                mustFail(.write, HostileValues.addresses[i], HostileValues.bufferLengths[j])
            }
        }
        var valid: UInt64 = 0
        withValidBuffer { valid = $0 }
        for i in HostileValues.writeLengths.indices { mustFail(.write, valid, HostileValues.writeLengths[i]) }
        // A buffer that starts in user space and runs past its end.
        mustFail(.write, UserSpace.end.raw - 1, 2)
    }

    mutating func map() {
        let page = UserSpace.pageBytes
        let readWrite = Protection.readWrite.rawValue
        for i in HostileValues.lengths.indices { mustFail(.map, 0, HostileValues.lengths[i], readWrite) }
        for i in HostileValues.addresses.indices where HostileValues.addresses[i] != 0 {
            mustFail(.map, HostileValues.addresses[i], page, readWrite)
        }
        mustFail(.map, UserSpace.imageBase.raw, page, readWrite)  // over the program's text
        mustFail(.map, UserSpace.stackEnd.raw - page, page, readWrite)  // over the stack
        mustFail(.map, UserSpace.stackEnd.raw - UserSpace.stackBytes - page, page, readWrite)  // the guard page
        mustFail(.map, UserSpace.end.raw - page, 2 * page, readWrite)  // runs past the end
        for i in HostileValues.protections.indices { mustFail(.map, 0, page, HostileValues.protections[i]) }
    }

    mutating func unmap() {
        let page = UserSpace.pageBytes
        for i in HostileValues.addresses.indices {
            for j in HostileValues.rangeLengths.indices {
                mustFail(.unmap, HostileValues.addresses[i], HostileValues.rangeLengths[j])
            }
        }
        for i in HostileValues.lengths.indices { mustFail(.unmap, UserSpace.imageBase.raw, HostileValues.lengths[i]) }
        mustFail(.unmap, UserSpace.imageBase.raw, page)  // own text: not from map
        mustFail(.unmap, UserSpace.stackEnd.raw - page, page)  // own stack: not from map
        mustFail(.unmap, startBreak.raw, page)  // above the break: unmapped
        mustFail(.unmap, 0x0000_0100_0000_0000, 16 * page)  // user space, never mapped
    }

    /// brk never fails as such: a refused change answers the unchanged break.
    mutating func brk() {
        for i in HostileValues.addresses.indices where HostileValues.addresses[i] != 0 {
            calls += 1
            let answer = Syscall.brk(VirtualAddress(HostileValues.addresses[i]))
            guard answer == startBreak else {
                Console.line("syscall_fuzz").word("FAILED").phrase("reason", "hostile brk moved the break")
                    .hex("asked", HostileValues.addresses[i]).hex("answer", answer.raw).end()
                ProgramExit.exit(1)
            }
        }
    }

    mutating func memstat() {
        for i in HostileValues.addresses.indices { mustFail(.memstat, HostileValues.addresses[i], 0) }
        mustFail(.memstat, UserSpace.imageBase.raw, 0)  // read-only text: EFAULT
        mustFail(.memstat, UserSpace.end.raw - 8, 0)  // 64 bytes run past the end
        mustFail(.memstat, UserSpace.stackEnd.raw - 8, 0)  // runs off the stack top
    }

    mutating func protect() {
        let page = UserSpace.pageBytes
        let read = Protection.read.rawValue
        for i in HostileValues.addresses.indices {
            for j in HostileValues.rangeLengths.indices {
                mustFail(.protect, HostileValues.addresses[i], HostileValues.rangeLengths[j], read)
            }
        }
        // Making the program's own text writable (or its stack executable) must be refused.
        mustFail(.protect, UserSpace.imageBase.raw, page, Protection.readWrite.rawValue)
        mustFail(.protect, UserSpace.stackEnd.raw - page, page, Protection.readExecute.rawValue)
        guard let mapped = try? Syscall.map(length: page, protection: .readWrite) else { ProgramExit.exit(3) }
        for i in HostileValues.protections.indices { mustFail(.protect, mapped.raw, page, HostileValues.protections[i]) }
        for i in HostileValues.lengths.indices { mustFail(.protect, mapped.raw, HostileValues.lengths[i], read) }
        mustFail(.protect, mapped.raw + 1, page, read)
        guard (try? Syscall.unmap(address: mapped, length: page)) != nil else { ProgramExit.exit(3) }
    }

    /// remap with a fixed destination (flags bit 2, r8) at every hostile address, with hostile
    /// new lengths at a free one, on the run itself, over the image, and the fixed bit without
    /// mayMove or beside an unknown bit: all refused, the run left where it is.
    mutating func remap() {
        let page = UserSpace.pageBytes
        let number = SyscallNumber.remap.rawValue
        guard let run = try? Syscall.map(length: page, protection: .readWrite) else { ProgramExit.exit(3) }
        let fixed = RemapFlags(mayMove: true, fixed: true).rawValue
        let free: UInt64 = 0x0000_0100_0000_0000  // user space, never mapped
        for i in HostileValues.addresses.indices { mustFail(number, run.raw, page, 2 * page, fixed, HostileValues.addresses[i]) }
        for i in HostileValues.lengths.indices { mustFail(number, run.raw, page, HostileValues.lengths[i], fixed, free) }
        mustFail(number, run.raw, page, 2 * page, fixed, run.raw)  // overlaps the run
        mustFail(number, run.raw, page, 2 * page, fixed, UserSpace.imageBase.raw)  // the program's text
        mustFail(number, run.raw, page, 2 * page, fixed, UserSpace.stackEnd.raw - page)  // the stack
        mustFail(number, run.raw, page, 2 * page, RemapFlags.fixedBit, free)  // fixed without mayMove
        mustFail(number, run.raw, page, 2 * page, fixed | 8, free)  // an unknown bit
        guard (try? Syscall.unmap(address: run, length: page)) != nil else { ProgramExit.exit(3) }
    }

    /// spawn with every hostile name buffer (no program is ever named by one), and wait with
    /// hostile pids (this program has no child) and status buffers.
    mutating func processCalls() {
        for i in HostileValues.addresses.indices {
            for j in HostileValues.bufferLengths.indices {
                mustFail(.spawn, HostileValues.addresses[i], HostileValues.bufferLengths[j])
            }
            mustFail(.wait, 0, HostileValues.addresses[i])
            mustFail(.wait, HostileValues.addresses[i], 0)
        }
    }

    mutating func unknownNumbers() {
        for i in HostileValues.unknownNumbers.indices {
            mustFail(HostileValues.unknownNumbers[i], 0, 0, 0)
            mustFail(HostileValues.unknownNumbers[i], UInt64.max, UInt64.max, UInt64.max)
        }
    }
}
