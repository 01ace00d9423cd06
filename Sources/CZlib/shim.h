#ifndef PULLWATCH_CZLIB_SHIM_H
#define PULLWATCH_CZLIB_SHIM_H

#include <zlib.h>
#include <stddef.h>

/* zlib's init functions are macros that pass the library version and the
   stream size; Swift cannot call macros, so wrap them once here. */
static inline int pw_inflate_init_gzip(z_stream *stream) {
    /* 15 window bits + 16: expect a gzip header (not zlib, not raw). */
    return inflateInit2(stream, 15 + 16);
}

static inline int pw_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/* A GNU extension the Swift Glibc module does not expose (it is imported
   without _GNU_SOURCE). The byte-search hot paths of PullwatchIO and the
   gate need it; declaring it is enough, glibc provides it. */
extern void *memmem(const void *haystack, size_t haystacklen,
                    const void *needle, size_t needlelen);

#endif
