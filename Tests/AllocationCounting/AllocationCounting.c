// Counts the heap allocations of the calling thread, for tests that expect none.
//
// The test executable defines malloc and its siblings. On Linux with glibc an executable's
// definitions come first in the dynamic linker's symbol lookup, so every allocation in the
// process (Swift arrays and class instances, the runtime's own, the C library's) comes through
// here. Each forwards to glibc's allocator through its exported __libc_* entry points (no dlsym,
// which could itself allocate), after counting if the calling thread asked for it. free is left
// to glibc: the blocks are glibc's own.
//
// Counts are per thread because tests run in parallel: other threads allocate at any moment.

#include "AllocationCounting.h"

#include <errno.h>  // also defines __GLIBC__ on glibc, through <features.h>
#include <stddef.h>

// Under ThreadSanitizer (swift test --sanitize=thread) the sanitizer's runtime, linked into the
// executable, defines malloc and its siblings itself, to track every block: definitions here
// would replace its own, and its start-up (which allocates before it can track anything) would
// call into this file's instrumented code and crash. Nothing is defined then, and nothing counted.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ALLOCATION_COUNTING_UNDER_SANITIZER 1
#endif
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(ALLOCATION_COUNTING_UNDER_SANITIZER)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

// initial-exec: the executable's static TLS block, reached without a call that might allocate.
static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread long allocations __attribute__((tls_model("initial-exec")));

static inline void note(void) {
    if (counting) allocations += 1;
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

// glibc's aligned_alloc is its memalign (one function, two names).
void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    note();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    note();
    return __libc_pvalloc(size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note();
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

int allocation_counting_available(void) { return 1; }

const char *allocation_counting_unavailable_reason(void) { return NULL; }

void allocation_counting_start(void) {
    allocations = 0;
    counting = 1;
}

long allocation_counting_stop(void) {
    counting = 0;
    return allocations;
}

#else

// Elsewhere an executable's malloc does not replace the system's (macOS binds each library to
// its own), or must not (under ThreadSanitizer): nothing can be counted, and the tests that need
// counts say so and do not run.
int allocation_counting_available(void) { return 0; }

const char *allocation_counting_unavailable_reason(void) {
#if defined(ALLOCATION_COUNTING_UNDER_SANITIZER)
    return "allocations are not counted under ThreadSanitizer, whose runtime defines malloc itself";
#else
    return "allocations are counted only on Linux with glibc, where the test executable's malloc replaces the C library's";
#endif
}
void allocation_counting_start(void) {}
long allocation_counting_stop(void) { return 0; }

#endif
