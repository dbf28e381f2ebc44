/*
 * arena.c -- bump-pointer arena behind evrec_arena.
 *
 * Design: a singly linked chain of blocks; allocation bumps a pointer in the
 * newest block and starts a new block (at least twice the previous size, at
 * least the request) when it runs out. Nothing is freed piecemeal: reset
 * keeps one block and frees the rest, which is what a per-record decode loop
 * wants (after the first few records no system allocation happens at all).
 * evrec__arena_recycle() keeps the largest block, however large, for loops whose
 * rounds each need far more than the first block (the .evr read-ahead
 * decodes a whole block of records per round).
 *
 * The first block is small by default (EVREC_ARENA_DEFAULT_BLOCK, 1 KiB), so
 * an arena for one small message costs little; reset keeps the largest block
 * up to EVREC_ARENA_KEEP_MAX (blocks only grow along the chain, so that is
 * the newest one that small enough), so an arena reused record after record
 * settles on a block that holds a whole record, however small it started.
 * Records larger than that limit allocate their extra blocks anew each time,
 * which costs little next to decoding a megabyte, and one huge record does
 * not pin its memory for the rest of a run.
 *
 * The arena also exposes itself as a ProtobufCAllocator whose free is a no-op,
 * for protobuf_c_message_unpack() and free_unpacked() (evrec's own decoder,
 * binary.c, allocates from the arena directly).
 *
 * The free part of the newest block is the struct's first member
 * (evrec__arena_space, internal.h): the JSON decoder allocates from it
 * inline and decodes strings of unknown length straight into it, claiming
 * the bytes once a string ends (evrec__arena_reserve makes it large enough).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_BLOCK EVREC_ARENA_DEFAULT_BLOCK

typedef struct arena_block {
  struct arena_block *next;
  size_t size; /* usable bytes after the header */
} arena_block;

/* Header rounded up so the payload keeps ARENA_ALIGN alignment. */
#define BLOCK_HDR (((sizeof(arena_block) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

struct evrec_arena {
  evrec__arena_space space; /* free part of head; first, see internal.h */
  arena_block *head;        /* newest block; the chain ends at the first block */
  size_t total;             /* bytes held from the system */
  size_t keep_max;          /* reset keeps the newest block of at most this size */
  ProtobufCAllocator pbc;
};

static void *pbc_alloc(void *data, size_t size) {
  return evrec__arena_alloc((evrec_arena *)data, size);
}

static void pbc_free(void *data, void *ptr) {
  (void)data;
  (void)ptr; /* freed with the arena */
}

static arena_block *block_new(size_t size) {
  if (size > SIZE_MAX - BLOCK_HDR) return NULL;
  arena_block *b = malloc(BLOCK_HDR + size);
  if (b) {
    b->next = NULL;
    b->size = size;
  }
  return b;
}

static void arena_use(evrec_arena *a, arena_block *b) {
  b->next = a->head;
  a->head = b;
  a->space.ptr = (char *)b + BLOCK_HDR;
  a->space.end = a->space.ptr + b->size;
}

evrec_arena *evrec_arena_new(size_t block_size) {
  evrec_arena *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  if (block_size == 0) block_size = ARENA_DEFAULT_BLOCK;
  arena_block *b = block_new(block_size);
  if (!b) {
    free(a);
    return NULL;
  }
  arena_use(a, b);
  a->total = BLOCK_HDR + block_size;
  a->keep_max = block_size > EVREC_ARENA_KEEP_MAX ? block_size : EVREC_ARENA_KEEP_MAX;
  a->pbc.alloc = pbc_alloc;
  a->pbc.free = pbc_free;
  a->pbc.allocator_data = a;
  return a;
}

/* Starts a new block with room for `size` bytes at least. */
static bool arena_grow(evrec_arena *a, size_t size) {
  size_t want = a->head->size * 2;
  if (want < size) want = size;
  arena_block *b = block_new(want);
  if (!b) return false;
  arena_use(a, b);
  a->total += BLOCK_HDR + want;
  return true;
}

void *evrec__arena_alloc(evrec_arena *a, size_t size) {
  if (size > SIZE_MAX - ARENA_ALIGN) return NULL;
  size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (size == 0) size = ARENA_ALIGN;
  if ((size_t)(a->space.end - a->space.ptr) < size && !arena_grow(a, size)) return NULL;
  void *p = a->space.ptr;
  a->space.ptr += size;
  return p;
}

bool evrec__arena_reserve(evrec_arena *a, size_t n) {
  if (n > SIZE_MAX - ARENA_ALIGN) return false;
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  return (size_t)(a->space.end - a->space.ptr) >= n || arena_grow(a, n);
}

char *evrec__arena_strndup(evrec_arena *a, const char *s, size_t len) {
  if (len == SIZE_MAX) return NULL;
  char *p = evrec__arena_alloc(a, len + 1);
  if (p) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

void evrec_arena_reset(evrec_arena *a) {
  if (!a) return;
  arena_block *keep = NULL, *b = a->head;
  while (b) { /* newest first; the first (oldest) block always qualifies */
    arena_block *next = b->next;
    if (!keep && b->size <= a->keep_max) {
      keep = b;
    } else {
      a->total -= BLOCK_HDR + b->size;
      free(b);
    }
    b = next;
  }
  keep->next = NULL;
  a->head = NULL;
  arena_use(a, keep);
}

/* Blocks grow by doubling, so the newest block (the head) is the largest:
 * keeping it, a loop that decodes a similar amount each time stops asking
 * the system for memory (and touching fresh pages) after a few rounds. */
void evrec__arena_recycle(evrec_arena *a) {
  arena_block *keep = a->head, *b = keep->next;
  while (b) {
    arena_block *next = b->next;
    a->total -= BLOCK_HDR + b->size;
    free(b);
    b = next;
  }
  a->head = NULL;
  keep->next = NULL;
  arena_use(a, keep);
}

size_t evrec__arena_used(const evrec_arena *a) {
  return a->total - (size_t)(a->space.end - a->space.ptr);
}

void evrec_arena_free(evrec_arena *a) {
  if (!a) return;
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  free(a);
}

ProtobufCAllocator *evrec_arena_allocator(evrec_arena *a) { return &a->pbc; }

size_t evrec_arena_size(const evrec_arena *a) { return a->total; }
