/* The C symbols an Embedded Swift user program needs (shared/docs/toolchain.md), as thin shims.
 *
 * - The memory functions (memset, memcpy, memmove, memcmp, strlen) are the kernel's own
 *   Kernel/Runtime/freestanding.c, linked into every program too.
 * - putchar buffers one line: it flushes through the write syscall on '\n' or when the buffer is
 *   full; `swiftmm_console_flush` (called by _start after user_main and before every abort)
 *   writes whatever is left. One write per line keeps each line whole under the kernel's
 *   "program name" prefix.
 * - The malloc family forwards to Swift functions with other names (User/Runtime/Swift/
 *   HeapExports.swift): a `free` written in Swift is reserved for the Swift runtime.
 * Invariant of the console buffer: 0 <= console_used < CONSOLE_CAPACITY between calls. */
#include <stddef.h>
#include <stdint.h>

extern int64_t swiftmm_syscall6(uint64_t number, uint64_t a1, uint64_t a2, uint64_t a3,
                                uint64_t a4, uint64_t a5, uint64_t a6);

enum { SYSCALL_WRITE = 1, CONSOLE_CAPACITY = 256 };

/* ---- Console ------------------------------------------------------------------------------- */

static unsigned char console_buffer[CONSOLE_CAPACITY];
static size_t console_used;

/* Writes the buffered bytes. A short write is retried for the rest; an error drops the bytes
 * (there is nowhere else to report a broken console). */
void swiftmm_console_flush(void) {
    size_t done = 0;
    while (done < console_used) {
        int64_t written = swiftmm_syscall6(SYSCALL_WRITE, (uint64_t)(console_buffer + done),
                                           console_used - done, 0, 0, 0, 0);
        if (written <= 0) break;
        done += (size_t)written;
    }
    console_used = 0;
}

int putchar(int c) {
    console_buffer[console_used++] = (unsigned char)c;
    if (c == '\n' || console_used == CONSOLE_CAPACITY) swiftmm_console_flush();
    return (unsigned char)c;
}


/* ---- malloc family: forwarded to the UserHeap in Swift ------------------------------------- */

extern void *swiftmm_heap_allocate(size_t size);
extern void swiftmm_heap_free(void *pointer);
extern void *swiftmm_heap_allocate_zeroed(size_t count, size_t size);
extern void *swiftmm_heap_reallocate(void *pointer, size_t size);
extern int swiftmm_heap_allocate_aligned(void **result, size_t alignment, size_t size);
extern size_t swiftmm_heap_usable_size(void *pointer);

void *malloc(size_t size) { return swiftmm_heap_allocate(size); }
void free(void *pointer) { swiftmm_heap_free(pointer); }
void *calloc(size_t count, size_t size) { return swiftmm_heap_allocate_zeroed(count, size); }
void *realloc(void *pointer, size_t size) { return swiftmm_heap_reallocate(pointer, size); }
size_t malloc_usable_size(void *pointer) { return swiftmm_heap_usable_size(pointer); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    return swiftmm_heap_allocate_aligned(result, alignment, size);
}
