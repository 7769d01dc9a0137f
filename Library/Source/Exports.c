/* libswiftmm.so: the C allocation API of a Linux process, served by UserMalloc's UserHeap.
 *
 * This file is the C face of the library: the exported malloc family, the one lock around the
 * process's heap, fork handling, errno, and the two kinds of line the library writes (a misuse
 * report before abort, the SWIFTMM_STATS line at exit). The heap itself is Swift (Embedded Swift
 * for x86_64-unknown-linux-gnu, ProcessHeap.swift), reached through the swiftmm_heap_* functions.
 *
 * Rules that keep it safe to preload into any program:
 * - Nothing here allocates: no stdio, no snprintf, no dlsym, no TLS of our own. Lines are built
 *   in a static buffer and written with write(2). The library's only undefined symbols are the
 *   libc calls named in Library/README section of the main README (checked by make libswiftmm).
 * - One lock (an adaptive pthread mutex with a static initialiser: no init call, no allocation)
 *   serialises every heap operation. It is usable from the first instruction of the process:
 *   malloc calls made by ld.so or libc before our constructor runs simply find the heap
 *   uninitialised and initialise it (ProcessHeap.swift: a lazily initialised global).
 * - fork: pthread_atfork handlers take the lock before fork and release it in the parent;
 *   the child re-initialises it (it is the only thread there, and the heap is consistent
 *   because no operation was in flight). Registered from the constructor, which runs before the
 *   program's own constructors, so our prepare handler runs last and our child handler first.
 * - Misuse (double free, foreign/interior pointer, damaged metadata) is reported by the heap,
 *   which changes nothing; we print one line naming the error, the call and the pointer, release
 *   the lock (so an abort handler that allocates does not deadlock) and abort().
 *
 * Invariant: heap_lock is held exactly while a swiftmm_heap_* function runs (and across fork). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

/* ---- The Swift side (ProcessHeap.swift) ------------------------------------------------------ */

extern void *swiftmm_heap_allocate(size_t size);
extern void swiftmm_heap_free(void *pointer);
extern void *swiftmm_heap_allocate_zeroed(size_t count, size_t size);
extern void *swiftmm_heap_reallocate(void *pointer, size_t size);
extern int swiftmm_heap_allocate_aligned(void **result, size_t alignment, size_t size);
extern size_t swiftmm_heap_usable_size(void *pointer);
extern void swiftmm_heap_trim(void);
extern void swiftmm_heap_write_statistics(void);

/* ---- The lock ---------------------------------------------------------------------------------- */

static pthread_mutex_t heap_lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

/* Counters kept under the lock, for the statistics line. */
static struct {
    uint64_t malloc_calls, free_calls, calloc_calls, realloc_calls, aligned_calls, usable_size_calls;
    uint64_t contended; /* acquisitions that found the lock taken */
} calls;

/* The C call in progress, named in a misuse report ("free", "realloc", ...). */
static const char *current_call = "malloc";

static inline void lock_heap(const char *call) {
    if (__builtin_expect(pthread_mutex_trylock(&heap_lock) != 0, 0)) {
        pthread_mutex_lock(&heap_lock);
        calls.contended++;
    }
    current_call = call;
}

static inline void unlock_heap(void) { pthread_mutex_unlock(&heap_lock); }

static void fork_prepare(void) { pthread_mutex_lock(&heap_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&heap_lock); }
static void fork_child(void) {
    pthread_mutex_t fresh = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    heap_lock = fresh;
}

/* ---- The exported API -------------------------------------------------------------------------- */

#define EXPORT __attribute__((visibility("default")))

EXPORT void *malloc(size_t size) {
    lock_heap("malloc");
    calls.malloc_calls++;
    void *result = swiftmm_heap_allocate(size);
    unlock_heap();
    if (!result) errno = ENOMEM;
    return result;
}

EXPORT void free(void *pointer) {
    if (!pointer) return;
    lock_heap("free");
    calls.free_calls++;
    swiftmm_heap_free(pointer);
    unlock_heap();
}

EXPORT void *calloc(size_t count, size_t size) {
    lock_heap("calloc");
    calls.calloc_calls++;
    void *result = swiftmm_heap_allocate_zeroed(count, size);
    unlock_heap();
    if (!result) errno = ENOMEM;
    return result;
}

/* realloc(p, 0) frees p and returns NULL (glibc's behaviour; errno untouched then). */
EXPORT void *realloc(void *pointer, size_t size) {
    lock_heap("realloc");
    calls.realloc_calls++;
    void *result = swiftmm_heap_reallocate(pointer, size);
    unlock_heap();
    if (!result && size != 0) errno = ENOMEM;
    return result;
}

/* reallocarray: glibc's own would call our realloc anyway; exported so the overflow check is
 * ours and the call is counted as what it is. */
EXPORT void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(pointer, total);
}

/* posix_memalign: alignment must be a power of two multiple of sizeof(void *) (else EINVAL);
 * *result is untouched on failure. */
EXPORT int posix_memalign(void **result, size_t alignment, size_t size) {
    lock_heap("posix_memalign");
    calls.aligned_calls++;
    int status = swiftmm_heap_allocate_aligned(result, alignment, size);
    unlock_heap();
    return status;
}

static int is_power_of_two(size_t value) { return value != 0 && (value & (value - 1)) == 0; }

/* memalign / aligned_alloc / valloc / pvalloc share this: alignment is already a power of two;
 * below sizeof(void *) it is raised to it (every block is 16-aligned anyway). */
static void *aligned_block(size_t alignment, size_t size) {
    if (alignment < sizeof(void *)) alignment = sizeof(void *);
    void *result = NULL;
    int status = posix_memalign(&result, alignment, size);
    if (status != 0) {
        errno = status;
        return NULL;
    }
    return result;
}

/* memalign: a non-power-of-two alignment is rounded up to the next power of two (glibc). */
EXPORT void *memalign(size_t alignment, size_t size) {
    if (alignment > ((size_t)1 << 62)) {
        errno = EINVAL;
        return NULL;
    }
    size_t rounded = 1;
    while (rounded < alignment) rounded <<= 1;
    return aligned_block(rounded, size);
}

/* aligned_alloc: C17 says the alignment must be one the implementation supports; as glibc 2.38,
 * a non-power of two is EINVAL. Any size is accepted (C17 dropped the multiple-of rule). */
EXPORT void *aligned_alloc(size_t alignment, size_t size) {
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_block(alignment, size);
}

EXPORT void *valloc(size_t size) { return aligned_block((size_t)getpagesize(), size); }

/* pvalloc: the size rounded up to whole pages (0 -> one page), page-aligned. */
EXPORT void *pvalloc(size_t size) {
    size_t page = (size_t)getpagesize();
    size_t rounded;
    if (__builtin_add_overflow(size ? size : 1, page - 1, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_block(page, rounded & ~(page - 1));
}

/* malloc_usable_size(NULL) is 0; a pointer this heap never returned is misuse (reported). */
EXPORT size_t malloc_usable_size(void *pointer) {
    if (!pointer) return 0;
    lock_heap("malloc_usable_size");
    calls.usable_size_calls++;
    size_t result = swiftmm_heap_usable_size(pointer);
    unlock_heap();
    return result;
}

/* malloc_trim: gives every cached empty span, region and large mapping back to the kernel. */
EXPORT int malloc_trim(size_t pad) {
    (void)pad;
    lock_heap("malloc_trim");
    swiftmm_heap_trim();
    unlock_heap();
    return 1;
}

/* ---- Lines on stderr (or a file): built in a static buffer, written with write(2) ---------- */

enum { LINE_CAPACITY = 1024 };
static char line[LINE_CAPACITY];
static size_t line_used;

/* Appends bytes; what does not fit is dropped (a line is never longer than ~700 bytes). */
void swiftmm_line_text(const char *text, size_t length) {
    for (size_t i = 0; i < length && line_used < LINE_CAPACITY - 1; i++) line[line_used++] = text[i];
}

static void line_cstring(const char *text) {
    size_t length = 0;
    while (text[length]) length++;
    swiftmm_line_text(text, length);
}

void swiftmm_line_decimal(uint64_t value) {
    char digits[20];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count) swiftmm_line_text(&digits[--count], 1);
}

void swiftmm_line_hex(uint64_t value) {
    static const char hex[] = "0123456789abcdef";
    swiftmm_line_text("0x", 2);
    for (int shift = 60; shift >= 0; shift -= 4) swiftmm_line_text(&hex[(value >> shift) & 15], 1);
}

/* " name=value" with a decimal value. */
void swiftmm_line_field(const char *name, size_t length, uint64_t value) {
    swiftmm_line_text(" ", 1);
    swiftmm_line_text(name, length);
    swiftmm_line_text("=", 1);
    swiftmm_line_decimal(value);
}

/* Ends the line and writes it whole to `fd` (short writes retried); resets the buffer. */
static void line_write(int fd) {
    line[line_used++] = '\n';
    size_t done = 0;
    while (done < line_used) {
        ssize_t written = write(fd, line + done, line_used - done);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) break;
        done += (size_t)written;
    }
    line_used = 0;
}

/* ---- Misuse: one line, then abort --------------------------------------------------------------- */

/* Called by the heap's error handler (ProcessHeap.swift) with the lock held. Never returns. */
void swiftmm_report_misuse(const char *kind, size_t kind_length, const char *message,
                           size_t message_length, uint64_t pointer) {
    int saved_errno = errno;
    line_used = 0;
    line_cstring("libswiftmm: error kind=");
    swiftmm_line_text(kind, kind_length);
    line_cstring(" call=");
    line_cstring(current_call);
    line_cstring(" ptr=");
    swiftmm_line_hex(pointer);
    line_cstring(" pid=");
    swiftmm_line_decimal((uint64_t)getpid());
    line_cstring(" | ");
    swiftmm_line_text(message, message_length);
    line_write(STDERR_FILENO);
    errno = saved_errno;
    unlock_heap();
    abort();
}

/* ---- Per-process secret ------------------------------------------------------------------------- */

/* 8 of the 16 random bytes the kernel hands every process (AT_RANDOM; glibc's stack guard uses
 * the first 8, so we take the second 8), mixed with our own address so two processes that share
 * them still differ. getauxval allocates nothing and works before libc's constructors. */
uint64_t swiftmm_process_secret(void) {
    uint64_t secret = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&heap_lock;
    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    if (random) {
        uint64_t word = 0;
        for (int i = 0; i < 8; i++) word = (word << 8) | random[8 + i];
        secret ^= word;
    }
    return secret;
}

/* ---- SWIFTMM_STATS: the heap's statistics at exit ------------------------------------------------ */

/* 0: off; -1: stderr; -2: append to stats_path. Decided in the constructor. */
static int stats_target;
static const char *stats_path;

__attribute__((constructor)) static void library_start(void) {
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    const char *setting = getenv("SWIFTMM_STATS");
    if (!setting || !setting[0] || (setting[0] == '0' && !setting[1])) return;
    if (setting[0] == '/') {
        stats_target = -2;
        stats_path = setting;
    } else {
        stats_target = -1;
    }
}

/* One line: "libswiftmm: stats pid=... <heap counters> <call counters> invariants=ok". */
__attribute__((destructor)) static void library_finish(void) {
    if (!stats_target) return;
    lock_heap("exit");
    line_used = 0;
    line_cstring("libswiftmm: stats");
    swiftmm_line_field("pid", 3, (uint64_t)getpid());
    swiftmm_heap_write_statistics();
    swiftmm_line_field("malloc_calls", 12, calls.malloc_calls);
    swiftmm_line_field("free_calls", 10, calls.free_calls);
    swiftmm_line_field("calloc_calls", 12, calls.calloc_calls);
    swiftmm_line_field("realloc_calls", 13, calls.realloc_calls);
    swiftmm_line_field("aligned_calls", 13, calls.aligned_calls);
    swiftmm_line_field("usable_size_calls", 17, calls.usable_size_calls);
    swiftmm_line_field("lock_contended", 14, calls.contended);
    if (stats_target == -1) {
        line_write(STDERR_FILENO);
    } else {
        int fd = open(stats_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            line_write(fd);
            close(fd);
        }
        line_used = 0;
    }
    unlock_heap();
}
