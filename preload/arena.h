/* Layer 2, memory: ovc's own memory, never from the hooked functions
 * (arena.c). Stands over the log: an exhausted arena warns through it,
 * and the log's buffers are fixed, never the arena's. */
#ifndef OVC_PRELOAD_ARENA_H
#define OVC_PRELOAD_ARENA_H

#include "base.h"

/** Zeroed, 64-byte aligned memory from mmap'd chunks; never freed. NULL when
 * mmap fails. Takes the arena lock (held over fork by the atfork handlers).
 * Hook-safe; errno untouched. */
void *ovc_arena_alloc(size_t size) OVC_HIDDEN;
/** Memory straight from mmap for large temporary buffers; NULL on failure.
 * Hook-safe; errno untouched. */
void *ovc_pages_alloc(size_t size) OVC_HIDDEN;
/** The same, its pages present at once (MAP_POPULATE): for a table read
 * before it is written, where each page would fault twice (the shared
 * zero page on the read, a page of its own on the write). */
void *ovc_pages_alloc_present(size_t size) OVC_HIDDEN;
void ovc_pages_free(void *p, size_t size) OVC_HIDDEN;
/** Fork handlers of the arena lock. */
void ovc_arena_fork_prepare(void) OVC_HIDDEN;
void ovc_arena_fork_parent(void) OVC_HIDDEN;
void ovc_arena_fork_child(void) OVC_HIDDEN;

/** Returns memory from ovc_arena_alloc: large blocks go back to the system,
 * small ones are kept (the arena only grows). For uthash's bucket arrays. */
void ovc_arena_release(void *p, size_t size) OVC_HIDDEN;

#endif
