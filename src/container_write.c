/*
 * container_write.c -- the .evr writer: records packed into blocks, blocks
 * compressed on threads, members emitted in order, then the index and the
 * EOF member (container_int.h has the layout).
 *
 * Writer: the producer packs records into the current block; a full block
 * is handed to a slot of a fixed ring (two slots per thread) and compressed
 * by a worker; the producer emits finished members strictly in block order
 * and waits for the oldest slot when the ring is full, so memory stays near
 * 4 x threads x block size and the output is identical for any thread
 * count. Two slots per thread, not one: with one, a worker that finished
 * its block idled until the producer had emitted the *oldest* block and
 * filled the next one, so blocks that deflate at different speeds left a
 * core idle (-j 2 kept about 1.2 cores busy); with two, every worker finds
 * a queued block when it finishes. One thread compresses inline. The
 * producer alone does all I/O (through the emit callback), so I/O errors
 * surface on the caller's thread.
 *
 * The index grows as blocks are emitted (one entry per block, one per
 * record with an id) and is written at the end, after the last block.
 * Appending to an existing file is container_append.c.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container_int.h"

#define MAX_THREADS 128u
#define SLOTS_PER_THREAD 2u /* blocks in flight per compression thread */
#define MAX_WRITER_RECORD (1024u * 1024u * 1024u)
/* The default deflate level, measured with libdeflate 1.14 (issue 11;
 * corpus-16M and corpus-4M of `make corpus`, `convert -t evr -j 2`, best of
 * 11 alternating runs on the loaded 2-core machine; sizes against `gzip -6`
 * of the NDJSON, times against `bgzip -@ 2` of the NDJSON, 0.160 s):
 *
 *   level  16M: size  time     4M: size
 *     2    0.994      -        1.004  (larger than gzip on 4M)
 *     3    0.987      -        0.997
 *     4    0.984      0.103 s  0.994
 *     5    0.968      0.119 s  0.979
 *     6    0.966      0.137 s  0.977
 *   zlib 4 (the old default): 0.985, 0.128 s (CPU 0.210 s against 0.159 s)
 *
 * Level 5: a margin of 2-3% under gzip -6 where 4 leaves 0.6% on small
 * files, 1.34x faster than bgzip -@ 2 (6 costs 15% more time for 0.2%),
 * and still faster and 1.7% smaller than zlib at 4. Deflating pbd is easier
 * than deflating the NDJSON it came from (no repeated key names), which is
 * why a middle level already beats gzip -6. The zlib build (DEFLATE=zlib)
 * uses the same default: 0.966 of gzip -6 at 13% more time than its 4. */
#define DEFAULT_LEVEL 5

/* ====================================================================== */
/* Writer: state and options                                              */
/* ====================================================================== */

static int meta_entry_cmp(const void *a, const void *b) {
  return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Splits "key=value" strings, sorts them by key, rejects bad entries. */
static int wr_meta(evr__writer *w, const char *const *meta, size_t n, evrec_error *err) {
  w->keys = calloc(n + 1, sizeof *w->keys);
  w->vals = calloc(n + 1, sizeof *w->vals);
  if (!w->keys || !w->vals) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *eq = meta[i] ? strchr(meta[i], '=') : NULL;
    if (!eq || eq == meta[i])
      return evrec__err(err, EVREC_E_INVALID_ARG,
                        "metadata \"%s\" is not key=value with a non-empty key",
                        meta[i] ? meta[i] : "(null)");
    if (evrec__utf8_valid_prefix(meta[i], strlen(meta[i])) != strlen(meta[i]))
      return evrec__err(err, EVREC_E_INVALID_ARG, "metadata entry %zu is not valid UTF-8", i);
    w->keys[i] = strndup(meta[i], (size_t)(eq - meta[i]));
    w->vals[i] = strdup(eq + 1);
    w->n_meta = i + 1;
    if (!w->keys[i] || !w->vals[i]) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  /* sort keys and values together through an index of key pointers */
  char ***order = malloc((n + 1) * sizeof *order);
  char **k2 = malloc((n + 1) * sizeof *k2), **v2 = malloc((n + 1) * sizeof *v2);
  int rc = EVREC_OK;
  if (!order || !k2 || !v2) rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; rc == EVREC_OK && i < n; i++) order[i] = &w->keys[i];
  if (rc == EVREC_OK) qsort(order, n, sizeof *order, meta_entry_cmp);
  for (size_t i = 0; rc == EVREC_OK && i < n; i++) {
    size_t j = (size_t)(order[i] - w->keys);
    k2[i] = w->keys[j];
    v2[i] = w->vals[j];
    if (i && strcmp(k2[i - 1], k2[i]) == 0)
      rc = evrec__err(err, EVREC_E_INVALID_ARG, "metadata key \"%s\" given twice", k2[i]);
  }
  if (rc == EVREC_OK) memcpy(w->keys, k2, n * sizeof *k2), memcpy(w->vals, v2, n * sizeof *v2);
  free(order);
  free(k2);
  free(v2);
  return rc;
}

/* createdAt: the caller's, else now in UTC seconds. */
static int wr_created(evr__writer *w, const char *given, evrec_error *err) {
  if (given) {
    size_t n = strlen(given);
    if (n == 0 || n >= sizeof w->created_at || evrec__utf8_valid_prefix(given, n) != n)
      return evrec__err(err, EVREC_E_INVALID_ARG, "created_at must be an RFC 3339 time");
    memcpy(w->created_at, given, n + 1);
    return EVREC_OK;
  }
  time_t now = time(NULL);
  struct tm tm;
  if (!gmtime_r(&now, &tm) ||
      !strftime(w->created_at, sizeof w->created_at, "%Y-%m-%dT%H:%M:%SZ", &tm))
    return evrec__err(err, EVREC_E_IO, "cannot read the clock");
  return EVREC_OK;
}

static int wr_options(evr__writer *w, const evrec_writer_options *o, evrec_error *err) {
  if (o->level < -1 || o->level > 9)
    return evrec__err(err, EVREC_E_INVALID_ARG, "compression level %d is not in 0-9", o->level);
  w->level = o->level < 0 ? DEFAULT_LEVEL : o->level;
  w->block_size = o->block_size ? o->block_size : EVREC_DEFAULT_BLOCK_SIZE;
  if (w->block_size > EVR__MAX_BLOCK_SIZE)
    return evrec__err(err, EVREC_E_INVALID_ARG, "block size %zu exceeds the maximum of %u bytes",
                      w->block_size, EVR__MAX_BLOCK_SIZE);
  w->max_record = o->max_record_size ? o->max_record_size : EVREC_DEFAULT_MAX_RECORD_SIZE;
  if (w->max_record > MAX_WRITER_RECORD)
    return evrec__err(err, EVREC_E_INVALID_ARG, "maximum record size %zu exceeds %u bytes",
                      w->max_record, MAX_WRITER_RECORD);
  int rc = wr_meta(w, o->meta, o->meta ? o->n_meta : 0, err);
  return rc ? rc : wr_created(w, o->created_at, err);
}

/* ====================================================================== */
/* Writer: the compression pool                                           */
/* ====================================================================== */

/* The queued slot with the lowest sequence number, or NULL. */
static slot *oldest_queued(evr__writer *w) {
  slot *best = NULL;
  for (unsigned i = 0; i < w->nslots; i++)
    if (w->slots[i].state == S_QUEUED && (!best || w->slots[i].seq < best->seq))
      best = &w->slots[i];
  return best;
}

static void *worker_main(void *arg) {
  worker *k = arg;
  evr__writer *w = k->w;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    slot *s = NULL;
    while (!w->stop && !(s = oldest_queued(w))) pthread_cond_wait(&w->work, &w->mu);
    if (!s) break; /* stopping */
    s->state = S_BUSY;
    pthread_mutex_unlock(&w->mu);
    int rc = evr__compress_member(k->z, &s->in, s->nrec, &s->out);
    pthread_mutex_lock(&w->mu);
    s->rc = rc;
    s->state = S_DONE;
    pthread_cond_broadcast(&w->done);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static void pool_stop(evr__writer *w);

/* Compress inline, on the caller's thread: no thread, no locks. */
static int pool_inline(evr__writer *w, evrec_error *err) {
  w->nslots = 1;
  if (!(w->z = evr__deflater_new(w->level))) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  return EVREC_OK;
}

static int pool_start(evr__writer *w, unsigned threads, evrec_error *err) {
  w->nslots = threads == 1 ? 1 : SLOTS_PER_THREAD * threads;
  w->slots = calloc(w->nslots, sizeof *w->slots);
  if (!w->slots) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (threads == 1) return pool_inline(w, err);
  w->workers = calloc(threads, sizeof *w->workers);
  w->nthreads = w->workers ? threads : 0;
  if (!w->workers || pthread_mutex_init(&w->mu, NULL))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (pthread_cond_init(&w->work, NULL) || pthread_cond_init(&w->done, NULL))
    return pthread_mutex_destroy(&w->mu), evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->sync_ok = true;
  for (unsigned i = 0; i < threads; i++) {
    worker *k = &w->workers[i];
    k->w = w;
    if (!(k->z = evr__deflater_new(w->level)))
      return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    if (pthread_create(&k->tid, NULL, worker_main, k) != 0) {
      /* as the other thread pools do: go on with fewer threads (the same
       * bytes, blocks do not depend on who compresses them), or none */
      if (i > 0) break;
      pool_stop(w);
      return pool_inline(w, err);
    }
    k->started = true;
    w->nworkers = i + 1;
  }
  return EVREC_OK;
}

static void pool_stop(evr__writer *w) {
  if (!w->sync_ok) return;
  pthread_mutex_lock(&w->mu);
  w->stop = true;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (unsigned i = 0; i < w->nthreads; i++) {
    if (w->workers[i].started) pthread_join(w->workers[i].tid, NULL);
    evr__deflater_free(w->workers[i].z);
  }
  pthread_cond_destroy(&w->work);
  pthread_cond_destroy(&w->done);
  pthread_mutex_destroy(&w->mu);
  w->sync_ok = false;
}

/* ====================================================================== */
/* Writer: ordered emission                                               */
/* ====================================================================== */

/* Writes a finished data member and enters it into the block table. */
static int emit_block(evr__writer *w, slot *s, evrec_error *err) {
  if (s->rc) return evrec__err(err, s->rc, "cannot compress a block: out of memory");
  if (!evr__grow((void **)&w->ix.blocks, &w->ix.cap_blocks, w->ix.nblocks, sizeof *w->ix.blocks))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = w->emit(w->ctx, s->out.data, s->out.len, err);
  if (rc) return rc;
  w->ix.blocks[w->ix.nblocks++] = (blk){w->pos, w->records, s->nrec, (uint32_t)s->out.len};
  w->pos += s->out.len;
  w->records += s->nrec;
  return EVREC_OK;
}

/* Emits block number next_emit, waiting until it is compressed. */
static int emit_next(evr__writer *w, bool wait, bool *emitted, evrec_error *err) {
  slot *s = &w->slots[w->next_emit % w->nslots];
  pthread_mutex_lock(&w->mu);
  while (wait && s->state != S_DONE) pthread_cond_wait(&w->done, &w->mu);
  bool ready = s->state == S_DONE;
  pthread_mutex_unlock(&w->mu);
  *emitted = false;
  if (!ready) return EVREC_OK;
  int rc = emit_block(w, s, err); /* DONE slots belong to the producer */
  pthread_mutex_lock(&w->mu);
  s->state = S_FREE;
  pthread_mutex_unlock(&w->mu);
  w->next_emit++;
  *emitted = true;
  return rc;
}

/* Emits blocks in order until fewer than `outstanding` are in flight; with
 * `wait` false only those already finished. */
static int drain(evr__writer *w, uint64_t outstanding, bool wait, evrec_error *err) {
  bool emitted = true;
  while (emitted && w->next_seq - w->next_emit > outstanding) {
    int rc = emit_next(w, wait, &emitted, err);
    if (rc) return rc;
  }
  return EVREC_OK;
}

/* Hands the current block to a worker (or compresses it inline). */
static int submit(evr__writer *w, evrec_error *err) {
  if (w->cur.len == 0) return EVREC_OK;
  int rc = w->nworkers ? drain(w, w->nslots - 1, true, err) : EVREC_OK;
  if (rc) return rc;
  slot *s = &w->slots[w->next_seq % w->nslots];
  evrec__buf t = s->in; /* swap buffers: no copy, capacity reused */
  s->in = w->cur;
  w->cur = t;
  w->cur.len = 0;
  s->nrec = w->cur_nrec;
  s->seq = w->next_seq++;
  w->cur_nrec = 0;
  if (!w->nworkers) {
    s->rc = evr__compress_member(w->z, &s->in, s->nrec, &s->out);
    w->next_emit++;
    return emit_block(w, s, err);
  }
  pthread_mutex_lock(&w->mu);
  s->state = S_QUEUED;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  return drain(w, 0, false, err);
}

/* ====================================================================== */
/* Writer: header, records, index, EOF                                    */
/* ====================================================================== */

static int emit_buf(evr__writer *w, evrec__buf *b, evrec_error *err) {
  if (b->oom) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = w->emit(w->ctx, b->data, b->len, err);
  if (rc == EVREC_OK) w->pos += b->len;
  return rc;
}

static int emit_header(evr__writer *w, const ProtobufCMessageDescriptor *type, evrec_error *err) {
  size_t slen = 0;
  const void *schema = evrec_schema_descriptor_set(&slen);
  if (strcmp(type->package_name, "evrec.v1") != 0) schema = NULL, slen = 0;
  evrec__buf blob, mem;
  evrec__buf_init(&blob);
  evrec__buf_init(&mem);
  evr__header_blob(&blob, type->name, w->created_at, w->keys, w->vals, w->n_meta, schema, slen);
  int rc = blob.oom || !evr__put_blob_members(&mem, EVR__HEADER, 'H', &blob)
               ? evrec__err(err, EVREC_E_NOMEM, "out of memory")
               : emit_buf(w, &mem, err);
  evrec__buf_free(&blob);
  evrec__buf_free(&mem);
  w->header_done = rc == EVREC_OK;
  return rc;
}

/* Settles the record type at the first record and writes the header. */
static int wr_first(evr__writer *w, const ProtobufCMessageDescriptor *d, evrec_error *err) {
  if (w->append_type && strcmp(w->append_type, d->name) != 0)
    return evrec__err(err, EVREC_E_FORMAT, "cannot append %s records to a container of %s",
                      d->name, w->append_type);
  w->type = d;
  w->id_field = evr__id_field(d);
  return w->header_done ? EVREC_OK : emit_header(w, d, err);
}

/* A record to add: a message, or (msg NULL) its encoding. */
typedef struct wr_rec {
  const ProtobufCMessage *msg;
  const void *data;
  size_t len;
} wr_rec;

static int wr_note_id(evr__writer *w, const wr_rec *r, evrec_error *err) {
  const char *id = NULL;
  size_t n = 0;
  if (r->msg) {
    id = *(char *const *)evrec__field_ptr(r->msg, w->id_field);
    n = id ? strlen(id) : 0;
  } else {
    const uint8_t *s;
    if (evr__wire_string(r->data, r->len, w->id_field->id, &s, &n)) id = (const char *)s;
    else n = 0;
  }
  if (!n) return EVREC_OK;
  if (!evr__grow((void **)&w->ix.ids, &w->ix.cap_ids, w->ix.nids, sizeof *w->ix.ids))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  uint32_t block = (uint32_t)(w->base_blocks + w->next_seq);
  w->ix.ids[w->ix.nids++] = (idh){evr__id_hash(id, n), block};
  return EVREC_OK;
}

/* Appends the record with its length to the current block. @return its
 * length, or SIZE_MAX when out of memory (nothing appended). */
static size_t wr_put(evr__writer *w, const wr_rec *r) {
  if (r->msg) return evrec__pack_delimited(&w->cur, r->msg);
  char prefix[EVREC__VARINT_MAX];
  size_t h = evrec__varint_put(r->len, prefix);
  if (!evrec__buf_reserve(&w->cur, h + r->len)) return SIZE_MAX;
  evrec__buf_append(&w->cur, prefix, h);
  evrec__buf_append(&w->cur, r->data, r->len);
  return r->len;
}

static int wr_add(evr__writer *w, const ProtobufCMessageDescriptor *type, const wr_rec *r,
                  uint64_t index, evrec_error *err) {
  int rc = w->type ? EVREC_OK : wr_first(w, type, err);
  if (rc) return rc;
  if (type != w->type)
    return evrec__err(err, EVREC_E_INVALID_ARG,
                      "record %" PRIu64 " is a %s, the container holds %s",
                      index + 1, type->name, w->type->name);
  if (r->msg && !w->valid_utf8 && (rc = evrec__check_utf8(r->msg, err)) != EVREC_OK) return rc;
  /* Pack first (one walk), then check: a record too large is dropped again,
   * one that overflows a non-empty block is packed again into the next one
   * (once per block, cheaper than measuring every record first). */
  size_t mark = w->cur.len, n = wr_put(w, r);
  if (n == SIZE_MAX) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (n > w->max_record) {
    w->cur.len = mark;
    return evrec__err(err, EVREC_E_LIMIT,
                      "record %" PRIu64 " of %zu bytes exceeds the maximum record size of %zu "
                      "bytes",
                      index + 1, n, w->max_record);
  }
  if (mark && w->cur.len > w->block_size) {
    w->cur.len = mark;
    if ((rc = submit(w, err))) return rc;
    if (wr_put(w, r) == SIZE_MAX) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  w->cur_nrec++;
  if (w->id_field && (rc = wr_note_id(w, r, err))) return rc;
  return w->cur.len >= w->block_size ? submit(w, err) : EVREC_OK;
}

int evr__writer_write(evr__writer *w, const ProtobufCMessage *msg, uint64_t index,
                      evrec_error *err) {
  wr_rec r = {msg, NULL, 0};
  return wr_add(w, msg->descriptor, &r, index, err);
}

int evr__writer_write_packed(evr__writer *w, const ProtobufCMessageDescriptor *type,
                             const void *data, size_t len, uint64_t index, evrec_error *err) {
  wr_rec r = {NULL, data, len};
  return wr_add(w, type, &r, index, err);
}

int evr__writer_finish(evr__writer *w, evrec_error *err) {
  int rc = w->header_done ? EVREC_OK : emit_header(w, evrec_record_descriptor(), err);
  if (rc == EVREC_OK) rc = submit(w, err);
  if (rc == EVREC_OK && w->nworkers) rc = drain(w, 0, true, err);
  if (rc) return rc;
  uint64_t idx_off = w->pos;
  evrec__buf blob, mem;
  evrec__buf_init(&blob);
  evrec__buf_init(&mem);
  bool ok = evr__index_blob(&blob, &w->ix, idx_off) &&
            evr__put_blob_members(&mem, EVR__INDEX, 'X', &blob);
  uint64_t eof_off = idx_off + mem.len;
  ok = ok && evr__put_eof_member(&mem, eof_off - idx_off, eof_off - w->section_start, w->records);
  rc = ok ? emit_buf(w, &mem, err) : evrec__err(err, EVREC_E_NOMEM, "out of memory");
  evrec__buf_free(&blob);
  evrec__buf_free(&mem);
  return rc;
}

int evr__writer_new(evr__writer **out, const evrec_writer_options *opts, evr__emit_fn emit,
                    void *ctx, evrec_error *err) {
  evr__writer *w = calloc(1, sizeof *w);
  *out = w;
  if (!w) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->emit = emit;
  w->ctx = ctx;
  w->valid_utf8 = (opts->flags & EVREC_WRITE_VALID_UTF8) != 0;
  int rc = wr_options(w, opts, err);
  if (rc) return rc;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = opts->threads ? opts->threads : cores > 0 ? (unsigned)cores : 1;
  return pool_start(w, threads > MAX_THREADS ? MAX_THREADS : threads, err);
}

void evr__writer_free(evr__writer *w) {
  if (!w) return;
  pool_stop(w);
  evr__deflater_free(w->z);
  for (unsigned i = 0; w->slots && i < w->nslots; i++) {
    evrec__buf_free(&w->slots[i].in);
    evrec__buf_free(&w->slots[i].out);
  }
  for (size_t i = 0; i < w->n_meta; i++) free(w->keys[i]), free(w->vals[i]);
  free(w->keys);
  free(w->vals);
  free(w->slots);
  free(w->workers);
  free(w->append_type);
  evrec__buf_free(&w->cur);
  evr__index_free(&w->ix);
  free(w);
}

