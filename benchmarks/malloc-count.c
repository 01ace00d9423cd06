/* LD_PRELOAD shim counting heap allocations (malloc, calloc, realloc, posix_memalign,
   aligned_alloc) of a whole process; prints the count to stderr at exit. Used by
   benchmarks/bench.sh to check that lines the gate rejects cost no allocation. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_ulong count;
static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static int (*real_memalign)(void **, size_t, size_t);
static void *(*real_aligned)(size_t, size_t);
static char bootstrap[4096]; static size_t used;   /* dlsym itself may call calloc */

static void init(void) {
    real_malloc = dlsym(RTLD_NEXT, "malloc"); real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc"); real_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned = dlsym(RTLD_NEXT, "aligned_alloc");
}
void *malloc(size_t n) { if (!real_malloc) init(); atomic_fetch_add(&count, 1); return real_malloc(n); }
void *calloc(size_t a, size_t b) {
    if (!real_calloc) { void *p = bootstrap + used; used += (a * b + 15) & ~15UL; return p; }
    atomic_fetch_add(&count, 1); return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { if (!real_realloc) init(); atomic_fetch_add(&count, 1); return real_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { if (!real_memalign) init(); atomic_fetch_add(&count, 1); return real_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { if (!real_aligned) init(); atomic_fetch_add(&count, 1); return real_aligned(a, n); }
void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
__attribute__((destructor)) static void report(void) { fprintf(stderr, "MALLOCS %lu\n", (unsigned long)atomic_load(&count)); }
