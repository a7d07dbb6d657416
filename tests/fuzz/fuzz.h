/* gridr fuzz targets: the libFuzzer entry point and the small helpers the targets share. */
#ifndef GRIDR_FUZZ_H
#define GRIDR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** libFuzzer's entry point, defined by each target; replay_main.c calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** An anonymous in-memory file (memfd) holding data[0 .. size), reachable by the path written
 *  to `path` ("/proc/self/fd/N"): nothing is written to any disk. Returns the descriptor (the
 *  caller closes it) or -1. */
int gridr_fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t cap);

#endif
