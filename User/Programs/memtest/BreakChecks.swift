// brk: query, grow (zeroed pages), shrink (pages unmapped), regrow (zeroed again), refusals that
// leave the break unchanged, and the return to the starting break.
import MemoryCore

enum BreakChecks {
    static func run(_ check: inout Checker, baseline: MemoryStatistics) {
        let page = UserSpace.pageBytes
        check.group("brk query")
        let start = Syscall.currentBreak()
        check.require(start.raw == baseline.breakCurrent, "brk(0) == memstat break_current")

        check.group("brk grow 3 pages")
        let grown = VirtualAddress(start.raw + 3 * page)
        check.requireSuccess("brk grow") { () throws(Errno) in try Syscall.setBreak(grown) }
        check.require(MemoryProbe.isZero(start, byteCount: 3 * page), "grown break memory is zero")
        MemoryProbe.fill(start, byteCount: 3 * page, seed: 21)
        check.require(MemoryProbe.holdsPattern(start, byteCount: 3 * page, seed: 21), "break memory keeps what was written")
        let afterGrow = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        check.require(
            afterGrow.breakCurrent == grown.raw && afterGrow.breakStart == baseline.breakStart, "memstat sees the new break")
        check.require(afterGrow.pagesMapped == baseline.pagesMapped + 3, "grow maps 3 pages")
        check.require(afterGrow.brkCalls > baseline.brkCalls, "memstat counts brk calls")

        check.group("brk shrink to 1 page")
        let shrunk = VirtualAddress(start.raw + page)
        check.requireSuccess("brk shrink") { () throws(Errno) in try Syscall.setBreak(shrunk) }
        let afterShrink = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        check.require(afterShrink.pagesMapped == baseline.pagesMapped + 1, "shrink unmaps 2 pages")
        check.require(MemoryProbe.holdsPattern(start, byteCount: page, seed: 21), "shrink keeps the page below the break")

        check.group("brk regrow is zeroed")
        check.requireSuccess("brk regrow") { () throws(Errno) in try Syscall.setBreak(grown) }
        check.require(MemoryProbe.isZero(shrunk, byteCount: 2 * page), "regrown pages are zero, not the old bytes")

        check.group("brk refusals leave the break unchanged")
        check.require(Syscall.brk(VirtualAddress(baseline.breakStart - page)) == grown, "below break_start refused")
        check.require(Syscall.brk(UserSpace.kernelAddress) == grown, "kernel address refused")
        check.require(Syscall.brk(VirtualAddress(UserSpace.end.raw + page)) == grown, "past user space refused")
        check.require(Syscall.brk(VirtualAddress(UInt64.max)) == grown, "UInt64.max refused")
        check.require(Syscall.currentBreak() == grown, "query after refusals")

        check.group("brk into a mapping refused")
        let blocker = check.requireSuccess("map above the break") { () throws(Errno) in
            try Syscall.map(hint: grown.adding(16 * page)!, length: page, protection: .readWrite)
        }
        check.require(Syscall.brk(grown.adding(32 * page)!) == grown, "growth over a mapping refused")
        check.requireSuccess("unmap blocker") { () throws(Errno) in try Syscall.unmap(address: blocker, length: page) }

        check.group("brk back to the start")
        check.requireSuccess("brk to start") { () throws(Errno) in try Syscall.setBreak(start) }
        let afterReset = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        check.require(
            afterReset.pagesMapped == baseline.pagesMapped && afterReset.breakCurrent == start.raw,
            "every break page returned")
        check.requireErrno(.invalidArgument, "break pages cannot be unmapped with unmap") { () throws(Errno) in
            try Syscall.setBreak(grown)
            defer { _ = Syscall.brk(start) }
            try Syscall.unmap(address: start, length: page)
        }
    }
}
