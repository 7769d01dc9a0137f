// The one `summary ` line printed before power-off: what the Makefile and CI check.
import KernelLog
import PhysicalMemory

enum Summary {
    static func print(passed: Bool) {
        let stats = KernelMemory.frames.statistics
        log.bare("summary").text("result", passed ? "pass" : "fail")
            .dec("frames_total", stats.totalFrames).dec("frames_free_boot", KernelMemory.freeFramesAtBoot)
            .dec("frames_free_exit", stats.freeFrames).dec("frames_reserved", stats.reservedFrames)
            .end()
    }
}
