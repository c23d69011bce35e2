/* bigmem.h — allocations of many megabytes (activation recordings, a
 * network's batch workspace) on transparent huge pages where the kernel
 * offers them on request (its "madvise" mode, the usual default).
 *
 * Why: the first touch of fresh memory costs a page fault per 4 KiB page.
 * On a virtual machine a fault costs microseconds, so the first forward of
 * a new network over 1000 images (a VGG: ~400 MB of workspace) took three
 * times as long as the next one.  With 2 MiB pages there is one fault per
 * 512 small ones.  Small requests, and kernels without huge pages, get
 * plain malloc behaviour.  Free with free().
 */
#ifndef CF_BIGMEM_H
#define CF_BIGMEM_H

#include <stddef.h>

/* Like malloc(bytes), or calloc(1, bytes) when zero is set. */
void *cf_big_alloc(size_t bytes, int zero);

#endif
