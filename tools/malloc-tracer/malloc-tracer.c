/* malloc-tracer: an LD_PRELOAD shim that records a program's heap calls as a SwiftMM replay trace
   (docs/malloc-trace-format.md), forwarding every call to the allocator underneath (glibc's).

     SWIFTMM_TRACE=/tmp/run LD_PRELOAD=build/malloc-tracer.so PROGRAM ARGS...

   writes /tmp/run.PID.trace for every process of the run (fork children and exec'd programs
   each get their own file; a child starts with an empty block table, so frees of blocks it
   inherited are not recorded). Lines: `m ID SIZE`, `f ID`, `r ID SIZE`, `c ID N SIZE`,
   `a ID ALIGN SIZE`. IDs are dense: the lowest recently freed ID is reused (a LIFO stack of
   free IDs), so slot tables stay as small as the peak number of live blocks.

   Recorded: malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
   valloc, pvalloc (the last four as `a`), free. Not recorded: calls that fail (NULL result),
   free(NULL), frees and reallocs of blocks the tracer never saw (allocated before it started,
   or inherited across fork; a realloc of one is recorded as an `m` of the new block).

   Threads: one mutex serialises the recorder, so a multi-threaded program's trace is the order
   in which its calls passed the lock (a replay is single-threaded). Calls the tracer makes
   itself (dlsym, writing the file) are not recorded: a thread-local flag marks them. Memory the
   tracer needs (block table, output buffer) comes from mmap, never from the traced heap. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void *(*reallocarray_fn)(void *, size_t, size_t);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*memalign_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);

static malloc_fn real_malloc;
static free_fn real_free;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static reallocarray_fn real_reallocarray;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static memalign_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;

/* dlsym may call calloc before real_calloc is known: those calls are served from here and never
   freed to the real allocator. */
static _Alignas(16) char bootstrap_arena[8192];
static size_t bootstrap_used;

static int is_bootstrap(void *p) {
    return (char *)p >= bootstrap_arena && (char *)p < bootstrap_arena + sizeof bootstrap_arena;
}

static void *bootstrap_alloc(size_t n) {
    size_t rounded = (n + 15) & ~(size_t)15;
    if (bootstrap_used + rounded > sizeof bootstrap_arena) return NULL;
    void *p = bootstrap_arena + bootstrap_used;
    bootstrap_used += rounded;
    return p; /* static storage: already zero */
}

static __thread int inside_tracer;   /* 1 while the tracer itself runs: calls pass unrecorded */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- Pointer -> ID table: open addressing, linear probing, backward-shift deletion ---------- */
struct entry { uintptr_t pointer; uint32_t id; };
static struct entry *table;          /* capacity is a power of two; pointer 0 = empty */
static size_t table_capacity, table_count;
static uint32_t *free_ids;           /* stack of freed IDs */
static size_t free_id_count, free_id_capacity;
static uint32_t next_id;

static void *map_zeroed(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { static const char m[] = "malloc-tracer: out of memory\n"; write(2, m, sizeof m - 1); _exit(111); }
    return p;
}

static size_t slot_of(uintptr_t pointer) {
    uint64_t h = (uint64_t)pointer * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (table_capacity - 1);
}

static void table_insert_raw(uintptr_t pointer, uint32_t id) {
    size_t i = slot_of(pointer);
    while (table[i].pointer != 0) i = (i + 1) & (table_capacity - 1);
    table[i].pointer = pointer;
    table[i].id = id;
}

static void table_grow(void) {
    struct entry *old = table;
    size_t old_capacity = table_capacity;
    table_capacity = old_capacity ? old_capacity * 2 : 1 << 16;
    table = map_zeroed(table_capacity * sizeof *table);
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].pointer) table_insert_raw(old[i].pointer, old[i].id);
    if (old) munmap(old, old_capacity * sizeof *old);
}

static uint32_t id_take(void) {
    return free_id_count ? free_ids[--free_id_count] : next_id++;
}

static void id_give(uint32_t id) {
    if (free_id_count == free_id_capacity) {
        size_t capacity = free_id_capacity ? free_id_capacity * 2 : 1 << 16;
        uint32_t *grown = map_zeroed(capacity * sizeof *grown);
        if (free_ids) { memcpy(grown, free_ids, free_id_count * sizeof *grown); munmap(free_ids, free_id_capacity * sizeof *grown); }
        free_ids = grown;
        free_id_capacity = capacity;
    }
    free_ids[free_id_count++] = id;
}

/* A new block: takes an ID and enters it. */
static uint32_t block_added(void *p) {
    if ((table_count + 1) * 2 > table_capacity) table_grow();
    uint32_t id = id_take();
    table_insert_raw((uintptr_t)p, id);
    table_count++;
    return id;
}

/* Removes a block; returns 1 and its ID when it was known. */
static int block_removed(void *p, uint32_t *id) {
    if (!table_capacity) return 0;
    size_t i = slot_of((uintptr_t)p);
    while (table[i].pointer != (uintptr_t)p) {
        if (table[i].pointer == 0) return 0;
        i = (i + 1) & (table_capacity - 1);
    }
    *id = table[i].id;
    /* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
    size_t hole = i;
    for (size_t j = (i + 1) & (table_capacity - 1); table[j].pointer; j = (j + 1) & (table_capacity - 1)) {
        size_t home = slot_of(table[j].pointer);
        /* j's entry may move into the hole unless its home lies cyclically in (hole, j]. */
        int home_in_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_between) { table[hole] = table[j]; hole = j; }
    }
    table[hole].pointer = 0;
    table_count--;
    id_give(*id);
    return 1;
}

/* ---- Output ---------------------------------------------------------------------------------- */
#define BUFFER_BYTES (1 << 20)
static char *buffer;
static size_t buffered;
static int output_fd = -1;
static int disabled;                 /* no SWIFTMM_TRACE, or the file could not be opened */

static void flush_buffer(void) {
    size_t done = 0;
    while (done < buffered) {
        ssize_t n = write(output_fd, buffer + done, buffered - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    buffered = 0;
}

static void put_char(char c) { buffer[buffered++] = c; }

static void put_number(uint64_t value) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value);
    while (n) put_char(digits[--n]);
}

/* One line: the letter, then the numbers, space-separated. */
static void emit(char op, int count, uint64_t a, uint64_t b, uint64_t c) {
    if (buffered > BUFFER_BYTES - 128) flush_buffer();
    put_char(op);
    uint64_t values[3] = {a, b, c};
    for (int i = 0; i < count; i++) { put_char(' '); put_number(values[i]); }
    put_char('\n');
}

static void put_text(const char *text) {
    while (*text) {
        if (buffered > BUFFER_BYTES - 128) flush_buffer();
        put_char(*text++);
    }
}

/* Opens PREFIX.PID.trace and writes the header (the command line, from /proc/self/cmdline). */
static void open_output(void) {
    const char *prefix = getenv("SWIFTMM_TRACE");
    if (!prefix || !*prefix) { disabled = 1; return; }
    char path[4096];
    snprintf(path, sizeof path, "%s.%ld.trace", prefix, (long)getpid());
    output_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (output_fd < 0) { disabled = 1; return; }
    if (!buffer) buffer = map_zeroed(BUFFER_BYTES);
    buffered = 0;
    put_text("# SwiftMM malloc trace recorded by tools/malloc-tracer (docs/malloc-trace-format.md)\n# command:");
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char arguments[2048];
        ssize_t n = read(fd, arguments, sizeof arguments - 1);
        close(fd);
        for (ssize_t i = 0; i < n; i++) {
            if (buffered > BUFFER_BYTES - 128) flush_buffer();
            char c = arguments[i];
            put_char(c == 0 || c == '\n' ? ' ' : c);
        }
    }
    put_char('\n');
}

static void resolve(void) {
    inside_tracer = 1;
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real_malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real_free = (free_fn)dlsym(RTLD_NEXT, "free");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_reallocarray = (reallocarray_fn)dlsym(RTLD_NEXT, "reallocarray");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    inside_tracer = 0;
}

/* Enters the recorder: 1 when this call is to be recorded (lock held), 0 otherwise. */
static int begin(void) {
    if (inside_tracer) return 0;
    pthread_mutex_lock(&lock);
    if (output_fd < 0 && !disabled) {
        inside_tracer = 1;
        open_output();
        inside_tracer = 0;
    }
    if (disabled) { pthread_mutex_unlock(&lock); return 0; }
    inside_tracer = 1;
    return 1;
}

static void end(void) {
    inside_tracer = 0;
    pthread_mutex_unlock(&lock);
}

static void record_new(char op, void *p, int count, uint64_t a, uint64_t b) {
    uint32_t id = block_added(p);
    if (count == 1) emit(op, 2, id, a, 0); else emit(op, 3, id, a, b);
}

static void record_free(void *p) {
    uint32_t id;
    if (block_removed(p, &id)) emit('f', 1, id, 0, 0);
}

static void record_realloc(void *old, void *p, size_t size) {
    uint32_t id;
    if (old && block_removed(old, &id)) {
        block_added(p);   /* takes `id` back: it is on top of the LIFO stack of free IDs */
        emit('r', 2, id, size, 0);
    } else {
        record_new('m', p, 1, size, 0);
    }
}

static void at_exit_flush(void) {
    pthread_mutex_lock(&lock);
    if (output_fd >= 0) flush_buffer();
    pthread_mutex_unlock(&lock);
}

/* A fork child writes its own file and knows none of its parent's blocks. */
static void before_fork(void) { pthread_mutex_lock(&lock); if (output_fd >= 0) flush_buffer(); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_child(void) {
    if (output_fd >= 0) { close(output_fd); output_fd = -1; }
    buffered = 0;
    if (table) memset(table, 0, table_capacity * sizeof *table);
    table_count = 0;
    free_id_count = 0;
    next_id = 0;
    pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void tracer_start(void) {
    if (!real_malloc) resolve();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    atexit(at_exit_flush);
}

__attribute__((destructor)) static void tracer_stop(void) { at_exit_flush(); }

/* ---- The interposed API --------------------------------------------------------------------- */
void *malloc(size_t size) {
    if (!real_malloc) resolve();
    void *p = real_malloc(size);
    if (p && begin()) { record_new('m', p, 1, size, 0); end(); }
    return p;
}

void free(void *p) {
    if (!p || is_bootstrap(p)) return;
    if (begin()) { record_free(p); end(); }
    real_free(p);
}

void *calloc(size_t count, size_t size) {
    if (!real_calloc) {
        if (inside_tracer) { size_t total; return __builtin_mul_overflow(count, size, &total) ? NULL : bootstrap_alloc(total); }
        resolve();
    }
    void *p = real_calloc(count, size);
    if (p && begin()) { record_new('c', p, 2, count, size); end(); }
    return p;
}

void *realloc(void *old, size_t size) {
    if (!real_realloc) resolve();
    if (is_bootstrap(old)) {   /* never handed to the real allocator: copy out of the arena */
        void *p = malloc(size);
        if (p) memcpy(p, old, size < 256 ? size : 256);
        return p;
    }
    void *p = real_realloc(old, size);
    if (!begin()) return p;
    if (p) record_realloc(old, p, size);
    else if (old && size == 0) record_free(old);   /* realloc(p, 0) freed p */
    end();
    return p;
}

void *reallocarray(void *old, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) { errno = ENOMEM; return NULL; }
    return realloc(old, total);
}

/* Alignments up to 16 are malloc's own (recorded as `m`); others are rounded up to a power of
   two, as glibc's memalign does. */
static void *record_aligned(void *p, size_t alignment, size_t size) {
    if (!p || !begin()) return p;
    if (alignment <= 16) {
        record_new('m', p, 1, size, 0);
    } else {
        size_t power = 32;
        while (power < alignment) power <<= 1;
        record_new('a', p, 2, power, size);
    }
    end();
    return p;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!real_posix_memalign) resolve();
    int result = real_posix_memalign(out, alignment, size);
    if (result == 0) record_aligned(*out, alignment, size);
    return result;
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (!real_aligned_alloc) resolve();
    return record_aligned(real_aligned_alloc(alignment, size), alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (!real_memalign) resolve();
    return record_aligned(real_memalign(alignment, size), alignment, size);
}

void *valloc(size_t size) {
    if (!real_valloc) resolve();
    return record_aligned(real_valloc(size), 4096, size);
}

void *pvalloc(size_t size) {
    if (!real_pvalloc) resolve();
    return record_aligned(real_pvalloc(size), 4096, (size + 4095) & ~(size_t)4095);
}
