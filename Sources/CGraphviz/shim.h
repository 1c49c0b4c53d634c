// The Graphviz C libraries as one Swift module: libgvc (layout and rendering) and libcgraph
// (graphs). Installed by `apt-get install libgraphviz-dev`; found with pkg-config (libgvc).
#ifndef CGRAPHVIZ_SHIM_H
#define CGRAPHVIZ_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

// cgraph's default memory and I/O disciplines, for a discipline of our own that reuses them
// (Swift cannot read a mutable C global from concurrent code without a warning).
static inline Agmemdisc_t cgraphviz_memory_discipline(void) { return AgMemDisc; }
static inline Agiodisc_t cgraphviz_io_discipline(void) { return AgIoDisc; }

#endif
