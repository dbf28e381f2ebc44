/*
 * container_readahead.c -- the .evr reader's workers: the blocks after the
 * current one inflated, checked and decoded on other threads.
 *
 * Reading a regular file or memory, once reading goes on from a data block
 * (sequentially, or a run of evrec_reader_seek_block()), the members after
 * it (up to two; the section's index member ends the run) are copied into
 * the slots of a ring, each with its worker thread (two on two or more
 * cores, else one). A worker inflates and checks its member
 * (evr__member_check, the very same code) and decodes the records of a
 * data block into its slot's arena (at most 65,536 records or 16 MiB of
 * messages; it stops at the first record that fails). Loading that member
 * then only swaps the slot's payload, arena and records with the reader's,
 * so the caller's thread does nothing but its own work on the records
 * (JSON encoding, say). Every result, errors, damage and resynchronisation
 * included, is the one the synchronous path gives: a record a worker could
 * not decode is decoded again on the caller's thread, and a seek drops
 * every slot. Memory grows by two members, payloads and arenas; the
 * reader's buffer holds the members ahead. A slot's buffers and arena are
 * kept from block to block (the arena recycled: its largest block stays),
 * so after warm-up reading allocates nothing and touches no fresh pages.
 * Pipes are not read ahead: that would hold the records of a block back
 * until the next block has arrived in full. Random access (a seek, a
 * lookup) starts no worker: it would only inflate blocks nobody reads, and
 * the process would wait for them at the end.
 *
 * Why decoding too, and two workers: with one worker that only inflated,
 * the caller's thread still decoded every record, and .evr -> NDJSON was
 * bound by it (bench/README.md); decoding ahead leaves it only its own
 * work, and with two slots a worker has a block to work on while the
 * caller takes the other slot's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_int.h"

/* Bounds on what a slot decodes ahead (slot_decode). */
#define AHEAD_MAX_RECORDS 65536u
#define AHEAD_MAX_BYTES (16u * 1024u * 1024u)

/* ====================================================================== */
/* Reader: read-ahead                                                     */
/* ====================================================================== */

/* A slot's worker inflates and checks its member, then decodes the records
 * of a data block into the slot's arena. Decoding stops at the first record
 * that fails (or exceeds max_record): evr__next_record() decodes that one and the
 * rest again on the reader's thread, so errors read exactly as without
 * read-ahead. */
static void slot_decode(ahead *a, aslot *s) {
  s->ndec = 0;
  evrec__arena_recycle(s->arena); /* its largest block again: no fresh pages per block */
  if (!a->decode || s->m.kind != EVR__DATA || s->rc != EVREC_OK || s->m.nrec == 0) return;
  /* only now is the payload known to be non-empty (data may be NULL else) */
  const uint8_t *p = (const uint8_t *)s->payload.data, *end = p + s->payload.len;
  /* Decoded records may take more room than their block (a large block of
   * empty records: one message struct each): decoding ahead stops at
   * AHEAD_MAX_RECORDS records or AHEAD_MAX_BYTES of arena, whichever comes
   * first, and the reader decodes the rest itself, one at a time. */
  uint32_t n = s->m.nrec < AHEAD_MAX_RECORDS ? s->m.nrec : AHEAD_MAX_RECORDS;
  if (s->cap_msgs < n) {
    const ProtobufCMessage **v = realloc(s->msgs, n * sizeof *v);
    if (!v) return;
    s->msgs = v;
    s->cap_msgs = n;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint64_t len;
    int h = evrec__varint_get(p, (size_t)(end - p), &len); /* checked by evr__member_check */
    ProtobufCMessage *msg;
    if (len > a->max_record || evrec__arena_used(s->arena) > AHEAD_MAX_BYTES ||
        evrec__pb_decode_ex(&msg, a->type, p + h, (size_t)len, s->arena, a->max_string,
                            NULL) != EVREC_OK)
      return;
    s->msgs[i] = msg;
    s->ndec = i + 1;
    p += (size_t)h + (size_t)len;
  }
}

static void *ahead_main(void *arg) {
  ahead *a = arg;
  pthread_mutex_lock(&a->mu);
  for (;;) {
    aslot *s = NULL;
    for (unsigned i = 0; !a->stop && i < AHEAD_SLOTS && !s; i++) /* not nslots: it grows */
      if (a->s[i].queued && !a->s[i].busy) s = &a->s[i];
    if (a->stop) break;
    if (!s) {
      pthread_cond_wait(&a->cv, &a->mu);
      continue;
    }
    s->busy = true;
    pthread_mutex_unlock(&a->mu);
    s->rc = evr__member_check(&s->m, s->z, (const uint8_t *)s->raw.data, a->plimit, &s->payload);
    slot_decode(a, s);
    pthread_mutex_lock(&a->mu);
    s->queued = s->busy = false;
    pthread_cond_broadcast(&a->cv);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

static bool slot_init(aslot *s) {
  s->arena = evrec_arena_new(0);
  s->z = s->arena ? evr__inflater_new() : NULL;
  return s->z != NULL;
}

/* Decides once whether to read ahead and starts the workers: one per slot,
 * two slots on a machine with two or more cores. Any failure only turns
 * the read-ahead off (or leaves fewer workers): reading goes on. */
static bool ahead_on(evr__reader *c) {
  ahead *a = &c->ra;
  if (a->mode) return a->mode > 0;
  uint64_t size;
  evrec_error e;
  a->mode = -1;
  if (c->io.size(c->io.ctx, &size, &e) != EVREC_OK) return false; /* a pipe */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  a->plimit = c->plimit;
  a->max_record = c->max_record;
  a->max_string = c->max_string;
  a->type = c->type;
  a->decode = true;
  /* The reader's arena for a block decoded ahead: it swaps with a slot's
   * on every take, so each slot always has one. */
  if (!c->dec_arena && !(c->dec_arena = evrec_arena_new(0))) return false;
  if (pthread_mutex_init(&a->mu, NULL)) return false;
  if (pthread_cond_init(&a->cv, NULL)) {
    pthread_mutex_destroy(&a->mu);
    return false;
  }
  a->sync_ok = true;
  unsigned want = cores >= 2 ? AHEAD_SLOTS : 1;
  while (a->nslots < want && slot_init(&a->s[a->nslots]) &&
         pthread_create(&a->tid[a->nslots], NULL, ahead_main, a) == 0)
    a->nslots++;
  if (a->nslots == 0) return false;
  a->mode = 1;
  return true;
}

/* Offset, relative to the read position, of the first member not yet
 * handed to a slot. */
static size_t ahead_skip(const ahead *a) {
  size_t skip = 0;
  for (unsigned i = 0; i < a->n; i++) skip += a->s[(a->head + i) % a->nslots].m.bsize;
  return skip;
}

/* Parses the member `skip` bytes past the read position, if it is all
 * buffered-able and its header parses. */
static bool ahead_member(evr__reader *c, size_t skip, member *m, const uint8_t **pp) {
  const uint8_t *p;
  size_t avail, want = EVR__FIXED, need = 0;
  evrec_error e;
  memset(m, 0, sizeof *m);
  m->off = c->io.tell(c->io.ctx) + skip;
  for (;;) {
    if (c->io.peek(c->io.ctx, skip + want, &p, &avail, &e) != EVREC_OK || avail <= skip)
      return false;
    avail -= skip;
    m->end = m->off + avail;
    head_rc hr = evr__head_parse(m, p + skip, avail, c->blimit, &need);
    if (hr == HEAD_BAD) return false;
    if (hr == HEAD_OK) need = m->bsize;
    if (avail >= need) break;
    if (avail < want) return false; /* the input ends: left to the synchronous load */
    want = need;
  }
  *pp = p + skip;
  return true;
}

/* After a data block was accepted: hands the next members, while they are
 * all there and their headers parse, to free slots. Errors are left for the
 * synchronous load to meet and report. */
void evr__ahead_start(evr__reader *c) {
  ahead *a = &c->ra;
  if (!ahead_on(c)) return;
  while (a->n < a->nslots) {
    aslot *s = &a->s[(a->head + a->n) % a->nslots];
    const uint8_t *p;
    if (!ahead_member(c, ahead_skip(a), &s->m, &p)) return;
    if (c->ahead_end > c->block_off && s->m.off >= c->ahead_end) return; /* past the run */
    s->raw.len = 0;
    if (!evrec__buf_append(&s->raw, p, s->m.bsize)) return;
    a->n++;
    pthread_mutex_lock(&a->mu);
    s->queued = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (s->m.kind != EVR__DATA) return; /* the index or EOF: the section ends */
  }
}

static void slot_wait(ahead *a, aslot *s) {
  pthread_mutex_lock(&a->mu);
  while (s->queued) pthread_cond_wait(&a->cv, &a->mu);
  pthread_mutex_unlock(&a->mu);
}

void evr__ahead_stop(ahead *a) {
  if (a->sync_ok) {
    pthread_mutex_lock(&a->mu);
    a->stop = true; /* queued members are dropped, running ones finish */
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    for (unsigned i = 0; i < a->nslots; i++) pthread_join(a->tid[i], NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
  }
  for (unsigned i = 0; i < AHEAD_SLOTS; i++) {
    aslot *s = &a->s[i];
    evr__inflater_free(s->z);
    evrec_arena_free(s->arena);
    free(s->msgs);
    evrec__buf_free(&s->raw);
    evrec__buf_free(&s->payload);
  }
}

/* Takes the read-ahead result if it is for the member at the read
 * position: true and *rc set, the payload and any decoded records made the
 * current block's; false otherwise (all slots dropped: the reader seeked). */
bool evr__ahead_take(evr__reader *c, member *m, int *rc, evrec_error *err) {
  ahead *a = &c->ra;
  c->ndec = 0;
  if (!a->n) return false;
  aslot *s = &a->s[a->head];
  slot_wait(a, s);
  if (s->m.off != c->io.tell(c->io.ctx)) {
    for (; a->n; a->n--, a->head = (a->head + 1) % a->nslots) slot_wait(a, &a->s[a->head]);
    return false;
  }
  a->head = (a->head + 1) % a->nslots;
  a->n--;
  const uint8_t *p;
  size_t avail;
  *rc = c->io.peek(c->io.ctx, s->m.bsize, &p, &avail, err); /* buffered: no I/O */
  if (*rc) return true;
  *m = s->m;
  evrec__buf t = c->payload; /* swap: the caller's block is done with */
  c->payload = s->payload;
  s->payload = t;
  evrec_arena *ar = c->dec_arena;
  c->dec_arena = s->arena;
  s->arena = ar;
  const ProtobufCMessage **v = c->dec_msgs;
  size_t cap = c->dec_cap;
  c->dec_msgs = s->msgs;
  c->dec_cap = s->cap_msgs;
  c->ndec = s->ndec;
  s->msgs = v;
  s->cap_msgs = cap;
  *rc = s->rc;
  return true;
}

