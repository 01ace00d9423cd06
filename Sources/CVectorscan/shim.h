#ifndef PULLWATCH_CVECTORSCAN_SHIM_H
#define PULLWATCH_CVECTORSCAN_SHIM_H

/* Vectorscan (Debian libvectorscan-dev), the maintained portable Hyperscan: the gate's
   multi-literal search. pkg-config libhs puts its include directory on the path. */
#include <hs.h>

#endif
