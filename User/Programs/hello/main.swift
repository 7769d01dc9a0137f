// hello: the smallest SwiftMM user program. Writes a line with the write syscall itself, then one
// through the console (putchar), queries memstat and prints it, and exits 0.
// Expected: exit=0, console lines `hello from ring 3` and `hello memstat ...`.

import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let greeting: StaticString = "hello from ring 3\n"
    do throws(Errno) {
        let written = try Syscall.write(UnsafeRawBufferPointer(start: greeting.utf8Start, count: greeting.utf8CodeUnitCount))
        guard written == UInt64(greeting.utf8CodeUnitCount) else { return 2 }
        let stats = try Syscall.memstat()
        Console.line("hello").word("memstat").dec("pages_mapped", stats.pagesMapped)
            .dec("peak_pages_mapped", stats.peakPagesMapped).hex("break_start", stats.breakStart)
            .hex("break_current", stats.breakCurrent).dec("free_frames_system", stats.freeFramesSystem).end()
        return 0
    } catch {
        Console.line("hello").word("failed").text("errno", error.name).end()
        return 1
    }
}
