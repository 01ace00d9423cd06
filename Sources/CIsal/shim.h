#ifndef PULLWATCH_CISAL_SHIM_H
#define PULLWATCH_CISAL_SHIM_H

/* ISA-L's igzip inflate (Debian libisal-dev): the gzip decoder of the batch path. */
#include <isa-l/igzip_lib.h>

#endif
