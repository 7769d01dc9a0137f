// What a user program does when its heap reports misuse (a double, foreign or interior free, or
// damaged metadata): print one line naming the error and the pointer, then exit with
// 100 + HeapError.code. Continuing would be safe for the heap (it changed nothing), but a program
// that frees what it does not own is broken; stopping at the first report makes the bug visible
// and gives test scripts a distinct exit code per kind.
//
// Runs inside a heap operation: it must not allocate (Console streams bytes through putchar).
import MemoryCore
import UserMalloc

import KernelLog

enum HeapMisuse {
    static func report(_ error: HeapError) {
        Console.line("malloc").word("error").text("kind", error.kindName).hex("ptr", error.address.raw)
            .dec("exit", Int(exitCode(error))).end()
        Console.line("malloc").phrase("message", error.message).end()
        ProgramExit.exit(exitCode(error))
    }

    static func exitCode(_ error: HeapError) -> Int32 {
        ProgramExit.heapMisuseBase + Int32(error.code)
    }
}
