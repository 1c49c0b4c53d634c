// The Graphviz C libraries as one Swift module: libgvc (layout and rendering) and libcgraph
// (graphs). Installed by `apt-get install libgraphviz-dev`; found with pkg-config (libgvc).
#ifndef CGRAPHVIZ_SHIM_H
#define CGRAPHVIZ_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

#endif
