#ifndef PULLWATCH_CPCRE2_SHIM_H
#define PULLWATCH_CPCRE2_SHIM_H

/* Only the 8-bit library: Swift then sees pcre2_compile_8, pcre2_jit_match_8, ...
   (the unsuffixed names are macros Swift cannot call). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#endif
