/*
 * import_gdelt.c -- GDELT 2.0 event export rows (+ mentions) -> records.
 *
 * One record per article. An export row says "event E was first seen in
 * article SOURCEURL"; a mentions row says "article U mentions event E, at
 * these offsets, with this confidence". So the articles are the export's
 * SOURCEURLs and the mentions' identifiers, and each article's record holds
 * every event of the export that it reports, with its mentions in that
 * article as evidence. Reports of one event in several records share
 * `cluster_id` "gdelt:<GLOBALEVENTID>" (the link between repeated reports
 * that GDELT leaves to its users). Mentions of events that are not in the
 * export files (orphans: GDELT's mentions files also cover events added in
 * earlier batches) are counted and reported, not imported: nothing says
 * what those events were.
 *
 * Grouping without the whole file in memory. Rows of one article usually
 * follow each other but may be spread out. A pending record collects its
 * rows (as raw bytes) until it is written:
 *   window mode (default)  when `window` rows have passed since its last
 *                          row; a row for an article already written is an
 *                          error that names both lines (raise --window or
 *                          use --two-pass). Memory: the pending rows, plus
 *                          18 bytes per article written (to detect that:
 *                          see written_set).
 *   --two-pass (files)     a first pass notes the last row of every article
 *                          (16 bytes per article); the second writes each
 *                          record right after its last row. Exact.
 * Mentions files are indexed first (40 bytes per row: event id, article
 * key hash, file offset) and their rows are read back with pread() when
 * their event's export row comes, so they are never held whole either.
 *
 * Rows are validated when read (so errors come in line order) and parsed
 * again when their record is built; `--skip-bad` drops a bad row (and a bad
 * mentions row) and counts it.
 *
 * Threads (unless -j 1 or one core; see "The writing thread"): a thread
 * reads the input ahead (imp_csv_readahead), the main thread checks and
 * groups rows and queues each complete record, and a writing thread
 * encodes and writes it. The output and the messages about rows are those
 * of one thread; only the writer's refusals come later than they would.
 * Where the time goes (bench/README.md): on the 64 MB bench file the main
 * thread needs ~0.17 s of CPU (splitting and checking rows ~60%), the
 * writing one ~0.14 s.
 *
 * Mapping (docs/INTEROP.md has the full table): CAMEO codes as strings with
 * their labels, QuadClass, GoldsteinScale, IsRootEvent, SQLDATE ->
 * start_date, both actors (code, name, country when the CAMEO country code
 * is an ISO 3166 alpha-3 code, known-group/ethnic/religion codes, type
 * codes as sectors), three places (FIPS 10-4 -> ISO alpha-3, ADM1/ADM2
 * codes, lat/lon, Geo_Type as precision, FeatureID), AvgTone -> tone,
 * DATEADDED -> updated_at and provenance.coded_at, GLOBALEVENTID ->
 * source_ids; mentions -> evidence (ActionCharOffset as a zero-width span,
 * SentenceID - 1, Confidence / 100, InRawText = 0 as inferred), actor
 * offsets -> actor mentions, source name, translation. The rest goes into
 * "evrec/gdelt.*" extensions.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp.h"
#include "imp_wire.h"

/* ====================================================================== */
/* Columns                                                                */
/* ====================================================================== */

enum {
  C_ID, C_SQLDATE, C_MONTHYEAR, C_YEAR, C_FRACTIONDATE,
  C_A1 = 5,   /* Actor1Code .. Actor1Type3Code: 10 columns */
  C_A2 = 15,  /* Actor2Code .. Actor2Type3Code */
  C_ISROOT = 25, C_EVENTCODE, C_BASECODE, C_ROOTCODE, C_QUAD, C_GOLDSTEIN, C_NUMMENTIONS,
  C_NUMSOURCES, C_NUMARTICLES, C_AVGTONE,
  C_G1 = 35,  /* Actor1Geo_Type .. Actor1Geo_FeatureID: 8 columns */
  C_G2 = 43,
  C_GA = 51,  /* ActionGeo_* */
  C_DATEADDED = 59, C_SOURCEURL, N_COLS
};

/* Offsets inside an actor block and a geo block. */
enum { A_CODE, A_NAME, A_COUNTRY, A_KNOWN, A_ETHNIC, A_REL1, A_REL2, A_TYPE1, A_TYPE2, A_TYPE3 };
enum { G_TYPE, G_NAME, G_COUNTRY, G_ADM1, G_ADM2, G_LAT, G_LON, G_FEATURE };

static const char *const COL_NAMES[N_COLS] = {
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code",
    "Actor1Geo_ADM2Code", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code",
    "Actor2Geo_ADM2Code", "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_ADM2Code", "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL"};

enum {
  M_ID, M_EVENTTIME, M_MENTIONTIME, M_TYPE, M_SOURCENAME, M_IDENTIFIER, M_SENTENCE, M_A1OFF,
  M_A2OFF, M_ACTIONOFF, M_INRAW, M_CONFIDENCE, M_DOCLEN, M_DOCTONE, M_TRANSLATION, M_EXTRAS,
  N_MCOLS
};

static const char *const MCOL_NAMES[N_MCOLS] = {
    "GLOBALEVENTID", "EventTimeDate", "MentionTimeDate", "MentionType", "MentionSourceName",
    "MentionIdentifier", "SentenceID", "Actor1CharOffset", "Actor2CharOffset",
    "ActionCharOffset", "InRawText", "Confidence", "MentionDocLen", "MentionDocTone",
    "MentionDocTranslationInfo", "Extras"};

/* ====================================================================== */
/* A map of 64-bit keys to 64-bit values (open addressing)                 */
/* ====================================================================== */

/* Each key beside its value: a lookup in a table larger than the caches
 * (one entry per article written) costs one cache miss, not two. */
typedef struct u64slot {
  uint64_t key; /* 0 = empty (see map_key) */
  uint64_t val;
} u64slot;

typedef struct u64map {
  u64slot *slot;
  size_t cap, n;
} u64map;

/* Keys are hashes or event ids; 0 marks an empty slot, so key 0 is stored
 * as UINT64_MAX (no event id or FNV hash we meet is either). */
static uint64_t map_key(uint64_t k) { return k ? k : UINT64_MAX; }

/* Where key k (before map_key) would be looked for first. */
static size_t map_slot_home(const u64map *m, uint64_t k) {
  return (size_t)((map_key(k) * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (m->cap - 1);
}

/* The slot of key k (after map_key), or the empty one where it goes. */
static size_t map_slot(const u64map *m, uint64_t k) {
  size_t i = map_slot_home(m, k); /* map_key(k) is k here: it is not 0 */
  while (m->slot[i].key && m->slot[i].key != k) i = (i + 1) & (m->cap - 1);
  return i;
}

/* Puts slots s[0..n) into m, which has room for them: all their slots are
 * asked for first, so that the cache misses overlap instead of coming one
 * after the other. */
static void map_put_batch(u64map *m, const u64slot *s, size_t n) {
#if defined(__GNUC__)
  for (size_t i = 0; i < n; i++) __builtin_prefetch(&m->slot[map_slot_home(m, s[i].key)], 1);
#endif
  for (size_t i = 0; i < n; i++) {
    size_t j = map_slot(m, map_key(s[i].key));
    if (!m->slot[j].key) m->n++;
    m->slot[j].key = map_key(s[i].key);
    m->slot[j].val = s[i].val;
  }
}

#define MAP_BATCH 32 /* slots put at once by map_grow() and written_add() */

static bool map_grow(u64map *m) {
  size_t cap = m->cap ? m->cap * 2 : 1024;
  u64map g = {calloc(cap, sizeof *g.slot), cap, 0};
  if (!g.slot) return false;
  u64slot batch[MAP_BATCH];
  size_t n = 0;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->slot[i].key) batch[n++] = m->slot[i];
    if (n == MAP_BATCH || (n && i + 1 == m->cap)) map_put_batch(&g, batch, n), n = 0;
  }
  free(m->slot);
  *m = g;
  return true;
}

/* @return the value slot for k (inserting k with value `init`), or NULL. */
static uint64_t *map_put(u64map *m, uint64_t k, uint64_t init) {
  k = map_key(k);
  if ((m->n + 1) * 2 > m->cap && !map_grow(m)) return NULL;
  size_t i = map_slot(m, k);
  if (!m->slot[i].key) {
    m->slot[i].key = k;
    m->slot[i].val = init;
    m->n++;
  }
  return &m->slot[i].val;
}

static const uint64_t *map_get(const u64map *m, uint64_t k) {
  if (!m->cap) return NULL;
  k = map_key(k);
  size_t i = map_slot(m, k);
  return m->slot[i].key ? &m->slot[i].val : NULL;
}

static void map_free(u64map *m) {
  free(m->slot);
  memset(m, 0, sizeof *m);
}

/* ====================================================================== */
/* The articles written (window mode)                                     */
/* ====================================================================== */

/* Every new article is looked up among the articles written, and almost
 * never found; every article written is added. The map of them holds 16
 * bytes per article (32 at half load), far beyond the caches on a large
 * file, so each lookup and each insert was a trip to memory: ~0.3 s of a
 * one-thread import of 1 GB, 815k articles (rdtsc: ~450 cycles an insert
 * although prefetched a row ahead). So:
 *  - a Bloom filter in front answers "not written" from 1.6 bytes per
 *    article, small enough to stay cached: one 64-bit word per key, four
 *    of its bits set. At 12.8 bits per article it says "maybe" for a few
 *    percent of the new articles; only those go on to the map;
 *  - articles written are queued and put into the map MAP_BATCH at a time
 *    (map_put_batch), their cache misses overlapping. */
typedef struct written_set {
  u64map map;     /* key hash -> line of the record's first row */
  uint64_t *bits; /* the filter: n_words words, a power of two */
  size_t n_words;
  u64slot queue[MAP_BATCH]; /* added, not in the map yet (in the filter) */
  size_t n_queued;
} written_set;

#define WORDS_MIN 1024
#define KEYS_PER_WORD 5 /* the filter is doubled beyond this many keys per word */

static size_t bloom_word(const written_set *w, uint64_t hash) {
  return (size_t)(hash >> 24) & (w->n_words - 1);
}

/* Four bits of the word, from the hash's low 24 bits (the word's index
 * comes from the bits above them). */
static uint64_t bloom_mask(uint64_t hash) {
  return UINT64_C(1) << (hash & 63) | UINT64_C(1) << (hash >> 6 & 63) |
         UINT64_C(1) << (hash >> 12 & 63) | UINT64_C(1) << (hash >> 18 & 63);
}

/* Rebuilds the filter at n_words from the map and the queue (the map is
 * read in order: cheap next to the lookups it saves). */
static bool bloom_resize(written_set *w, size_t n_words) {
  uint64_t *bits = calloc(n_words, sizeof *bits);
  if (!bits) return false;
  free(w->bits);
  w->bits = bits;
  w->n_words = n_words;
  for (size_t i = 0; i < w->map.cap; i++)
    if (w->map.slot[i].key) {
      uint64_t h = w->map.slot[i].key == UINT64_MAX ? 0 : w->map.slot[i].key; /* map_key() undone */
      bits[bloom_word(w, h)] |= bloom_mask(h);
    }
  for (size_t i = 0; i < w->n_queued; i++)
    bits[bloom_word(w, w->queue[i].key)] |= bloom_mask(w->queue[i].key);
  return true;
}

/* Notes article `hash` as written, its record begun on `line`. */
static bool written_add(written_set *w, uint64_t hash, uint64_t line) {
  if (w->n_queued == MAP_BATCH) {
    while ((w->map.n + MAP_BATCH) * 2 > w->map.cap)
      if (!map_grow(&w->map)) return false;
    map_put_batch(&w->map, w->queue, MAP_BATCH);
    w->n_queued = 0;
  }
  w->queue[w->n_queued++] = (u64slot){hash, line};
  if (w->map.n + w->n_queued > w->n_words * KEYS_PER_WORD &&
      !bloom_resize(w, w->n_words ? 2 * w->n_words : WORDS_MIN))
    return false;
  w->bits[bloom_word(w, hash)] |= bloom_mask(hash);
  return true;
}

/* @return the first line of written article `hash`, or NULL. */
static const uint64_t *written_get(const written_set *w, uint64_t hash) {
  if (!w->n_words) return NULL;
  uint64_t mask = bloom_mask(hash);
  if ((w->bits[bloom_word(w, hash)] & mask) != mask) return NULL;
  for (size_t i = 0; i < w->n_queued; i++)
    if (w->queue[i].key == hash) return &w->queue[i].val;
  return map_get(&w->map, hash);
}

static void written_free(written_set *w) {
  map_free(&w->map);
  free(w->bits);
  w->bits = NULL;
  w->n_words = 0;
}

/* ====================================================================== */
/* Code lookups, memoised                                                 */
/* ====================================================================== */

/* The code lists are searched with bsearch() and strcmp() (about 300
 * instructions a lookup), and a row needs up to six lookups (its CAMEO code,
 * the actors' countries, the places' FIPS countries) among a few hundred
 * distinct codes. A direct-mapped memo of the answers, keyed by the code's
 * bytes (codes of 1-7 bytes; longer ones are looked up every time), makes
 * a repeated lookup a multiplication and a compare. */
#define MEMO_SLOTS 256

typedef struct memo {
  uint64_t key[MEMO_SLOTS]; /* the code's bytes, little endian; 0 = empty */
  const void *val[MEMO_SLOTS];
} memo;

typedef const void *(*lookup_fn)(const char *code);

static const void *memo_find(memo *mo, const char *s, lookup_fn look) {
  uint64_t k = 0;
  size_t i = 0;
  for (; i < 8 && s[i]; i++) k |= (uint64_t)(unsigned char)s[i] << (8 * i);
  if (i == 0 || i == 8) return look(s);
  size_t slot = (size_t)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
  if (mo->key[slot] != k) {
    mo->val[slot] = look(s);
    mo->key[slot] = k;
  }
  return mo->val[slot];
}

static const void *look_cameo(const char *code) { return vocab_cameo_label(code, strlen(code)); }
static const void *look_alpha3(const char *code) { return vocab_country_by_alpha3(code); }
static const void *look_fips(const char *code) { return vocab_fips_to_iso3(code); }

/* ====================================================================== */
/* State                                                                  */
/* ====================================================================== */

/* One indexed mentions row. */
typedef struct mention_ref {
  uint64_t event_id;
  uint64_t key_hash; /* of its article key */
  uint64_t offset;   /* of the row in its file */
  uint64_t line;
  uint32_t len;      /* bytes of the row */
  uint32_t file;
  uint32_t next;     /* next mention of the same event, or NONE */
  bool used;
} mention_ref;

#define NONE UINT32_MAX

/* An event of a record: GLOBALEVENTID, and its digits as written (two
 * rows with the same number and length have the same digits). */
typedef struct evid {
  uint64_t id;
  uint32_t len;
} evid;

/* A record waiting for more rows: its entries as raw bytes (see add_entry). */
typedef struct pend {
  uint64_t hash;
  char *key;            /* article key: URL without scheme, or "<id>|<citation>" */
  char *url;            /* the URL as seen (https preferred), NULL if none */
  size_t key_len, url_len; /* their lengths (strlen() on them was 3% of a run) */
  size_t key_cap, url_cap;
  char *url_mem;        /* where url is kept */
  uint64_t last;        /* row number of the last row added */
  uint64_t first_line;  /* for messages */
  char *buf;
  size_t len, cap;
  uint32_t n_entries;
  struct evid *ids, *dups; /* its events, and the rows that repeated one of them */
  size_t n_ids, cap_ids, n_dups, cap_dups;
  uint64_t done_line;   /* where the reading side was when it was complete, */
  const char *done_file; /* for the writing side's messages */
  struct pend *prev, *next; /* in order of last use (head = oldest) */
  struct pend *chain;       /* in the spares, or the written records coming back */
} pend;

/* What encoding records needs besides the records: with a writing thread
 * (see "The writing thread"), that thread owns it, with an imp of its own
 * (arena, counters, messages) that shares the writer. */
typedef struct encoder {
  imp *m;
  memo alpha3, fips; /* code lookups */
  struct body_cache *actor_bodies, *place_bodies; /* see body_cache */
  evrec__buf events, record; /* the record being encoded (see encode_record) */
  struct count_ext *counts;   /* NumMentions/NumSources/NumArticles (count_ext_make) */
} encoder;

struct pipeline;

#define SQLDATE_BITS 8
#define SQLDATE_SLOTS (1u << SQLDATE_BITS)

typedef struct gdelt {
  imp *m;
  const imp_gdelt_options *o;
  /* mentions */
  int *mfd;
  const char *const *mnames;
  mention_ref *refs;
  size_t n_refs, cap_refs;
  u64map by_event;   /* event id -> first ref index */
  /* grouping */
  struct pslot *slots; /* the pending records by key hash (pend_find) */
  size_t n_slots, n_pending;
  pend *head, *tail;
  pend *spares;      /* written records' pends, kept for new ones */
  const pend *prefetched; /* the last record prefetch_next() asked for */
  written_set written; /* the articles written (window mode) */
  u64map last_row;   /* key hash -> row number of its last row (two-pass) */
  uint64_t row;      /* rows read so far (all files) */
  const char *file;  /* current export file (display name) */
  uint32_t file_no;
  const char **files; /* export display names, by file_no */
  /* per export row: the articles it touched */
  pend **touched;
  size_t n_touched, cap_touched;
  char *scratch;     /* a pread mentions row */
  size_t scratch_cap;
  uint64_t orphans, orphan_events;
  memo cameo;        /* CAMEO code lookups (reading rows) */
  struct date_memo {  /* the last valid DATEADDED read (date_added) */
    char s[14];
    bool kept;
    int64_t secs;
  } last_added;
  struct sqldate_slot { /* SQLDATEs read (fast_export): see sqldate() */
    uint64_t key;       /* its 8 bytes; 0: empty */
    char date[11];
  } sqldates[SQLDATE_SLOTS];
  encoder enc;       /* writing records */
  imp m2;            /* the writing thread's imp, when there is one */
  struct pipeline *pipe; /* the writing thread, NULL when there is none */
  bool threads;      /* more than one thread may be used (-j) */
  struct {                 /* the last SOURCEURL that was a web URL (source_key) */
    char src[512];
    size_t len, key_at, key_n; /* its key is src[key_at .. key_at + key_n) */
    uint64_t hash;
  } last_source;
} gdelt;

/* ====================================================================== */
/* Values                                                                 */
/* ====================================================================== */

/* The value parsers, shared by the careful path (col_*, which reports what
 * is wrong) and the fast path of export rows (take_*, which only tells). */
enum { VAL_OK, VAL_SYNTAX, VAL_RANGE };

typedef struct irange {
  int64_t lo, hi;
} irange;

typedef struct drange {
  double lo, hi;
} drange;

/* The ranges of the export's numeric columns. */
static const irange R_ISROOT = {0, 1}, R_QUAD = {1, 4}, R_COUNT = {0, INT64_MAX},
                    R_GEO_TYPE = {0, 5};
static const drange R_GOLDSTEIN = {-10, 10}, R_TONE = {-100, 100}, R_LAT = {-90, 90},
                    R_LON = {-180, 180};

/* A decimal integer of n > 0 bytes within r. */
IMP_INLINE int int_value(const char *s, size_t n, irange r, int64_t *out) {
  if (n == 1 && (unsigned char)(s[0] - '0') < 10) *out = s[0] - '0'; /* the usual value */
  else if (!imp_parse_i64(s, n, out)) return VAL_SYNTAX;
  return *out >= r.lo && *out <= r.hi ? VAL_OK : VAL_RANGE;
}

/* A decimal number of n > 0 bytes within r. */
IMP_INLINE int num_value(const char *s, size_t n, drange r, double *out) {
  if (!imp_parse_double(s, n, out)) return VAL_SYNTAX;
  return *out < r.lo || *out > r.hi ? VAL_RANGE : VAL_OK;
}

/* The values of 8 decimal digits (s[0] in the lowest byte), or false when
 * they are not all digits: one test for the 8 (simdjson's SWAR check). */
static bool eight_digits(const char *s, uint64_t *digits) {
  uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(&w, s, 8);
#else
  for (int i = 7; i >= 0; i--) w = w << 8 | (unsigned char)s[i];
#endif
  const uint64_t F0 = UINT64_C(0xF0F0F0F0F0F0F0F0);
  if (((w & F0) | (((w + UINT64_C(0x0606060606060606)) & F0) >> 4)) != UINT64_C(0x3333333333333333))
    return false;
  *digits = w - UINT64_C(0x3030303030303030);
  return true;
}

/* Digits i and i + 1 of eight_digits() as a number. */
static unsigned two_digits(uint64_t d, int i) {
  return (unsigned)(d >> (8 * i) & 0xF) * 10 + (unsigned)(d >> (8 * i + 8) & 0xF);
}

/* YYYYMMDD or YYYYMMDDHHMMSS -> seconds (and the date as YYYY-MM-DD). */
static bool datetime_value(const char *s, size_t n, bool with_time, int64_t *secs,
                           char date[11]) {
  uint64_t d, t = 0;
  if (n != (with_time ? 14 : 8) || !eight_digits(s, &d) || (with_time && !eight_digits(s + 6, &t)))
    return false; /* t: digits 6-13 */
  unsigned y = two_digits(d, 0) * 100 + two_digits(d, 2), mo = two_digits(d, 4),
           day = two_digits(d, 6), h = 0, mi = 0, sec = 0;
  if (with_time) h = two_digits(t, 2), mi = two_digits(t, 4), sec = two_digits(t, 6);
  if (!imp_valid_date(y, mo, day) || h > 23 || mi > 59 || sec > 59) return false;
  if (date) { /* "YYYY-MM-DD" from the digits just checked */
    memcpy(date, s, 4), date[4] = '-', memcpy(date + 5, s + 4, 2), date[7] = '-';
    memcpy(date + 8, s + 6, 2), date[10] = '\0';
  }
  if (secs) *secs = imp_days_from_civil(y, mo, day) * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

/* EventBaseCode (empty, or a prefix of EventCode) and EventRootCode
 * (empty, or its first two digits). */
static bool base_of(const char *base, size_t n, const char *code, size_t code_len) {
  return !n || (n <= code_len && memcmp(base, code, n) == 0);
}

static bool root_of(const char *root, size_t n, const char *code) {
  return !n || (n == 2 && memcmp(root, code, 2) == 0);
}

/* ====================================================================== */
/* Field checks                                                           */
/* ====================================================================== */

typedef struct cols {
  char **f;
  size_t *len;
  const char *const *names;
  imp *m;
} cols;

/* Reports a bad field. @return 1 (the row is bad, whether or not --skip-bad
 * lets the run go on: callers then look at m->status). */
static int col_bad(const cols *c, unsigned i, const char *what) {
  imp_bad_col(c->m, i + 1, c->names[i], "\"%s\" %s", c->f[i], what);
  return 1;
}

/* An optional decimal integer within [lo, hi]; empty = absent (*present false). */
static int col_int(const cols *c, unsigned i, int64_t lo, int64_t hi, int64_t *out,
                   bool *present) {
  *present = c->len[i] > 0;
  if (!*present) return 0;
  int v = int_value(c->f[i], c->len[i], (irange){lo, hi}, out);
  if (v == VAL_OK) return 0;
  if (v == VAL_SYNTAX) return col_bad(c, i, "is not an integer");
  char what[64];
  if (hi == INT64_MAX) snprintf(what, sizeof what, "is out of range (%lld or more)", (long long)lo);
  else snprintf(what, sizeof what, "is out of range (%lld to %lld)", (long long)lo, (long long)hi);
  return col_bad(c, i, what);
}

static int col_num(const cols *c, unsigned i, drange r, double *out, bool *present) {
  *present = c->len[i] > 0;
  if (!*present) return 0;
  int v = num_value(c->f[i], c->len[i], r, out);
  if (v == VAL_OK) return 0;
  if (v == VAL_SYNTAX) return col_bad(c, i, "is not a number");
  char what[64];
  snprintf(what, sizeof what, "is out of range (%g to %g)", r.lo, r.hi);
  return col_bad(c, i, what);
}

static int col_datetime(const cols *c, unsigned i, bool with_time, int64_t *secs, char date[11]) {
  if (datetime_value(c->f[i], c->len[i], with_time, secs, date)) return 0;
  return col_bad(c, i, with_time ? "is not a date and time YYYYMMDDHHMMSS" : "is not a date YYYYMMDD");
}

/* ====================================================================== */
/* Export rows                                                            */
/* ====================================================================== */

/* The parsed values of an export row. */
typedef struct erow { /* stored with its row (store_row): small types, no holes */
  const char *label;    /* of the CAMEO code */
  uint64_t id;
  int64_t added;
  double goldstein, tone; /* (coordinates are parsed when needed: place_body) */
  char date[11];
  int8_t quad;
  int8_t geo_type[3];
  bool has_goldstein, has_tone;
  bool is_root;
  bool has_point[3];
} erow;

static const unsigned GEO_BASE[3] = {C_G1, C_G2, C_GA};

/* Trailing empty fields past the last column are tolerated. @return 1 when
 * the row is bad (reported). */
static int check_width(imp *m, size_t nf, const size_t *len, size_t want, const char *what) {
  while (nf > want && len[nf - 1] == 0) nf--;
  if (nf == want) return 0;
  imp_bad(m, "%zu columns; %s rows have %zu (tab-separated, no header)", nf, what, want);
  return 1;
}

static int parse_geo(const cols *c, erow *r, int g) {
  unsigned b = GEO_BASE[g];
  int64_t t;
  bool present, has_lat, has_lon;
  double lat, lon;
  if (col_int(c, b + G_TYPE, R_GEO_TYPE.lo, R_GEO_TYPE.hi, &t, &present)) return 1;
  r->geo_type[g] = present ? (int8_t)t : 0;
  if (col_num(c, b + G_LAT, R_LAT, &lat, &has_lat) || col_num(c, b + G_LON, R_LON, &lon, &has_lon))
    return 1;
  r->has_point[g] = has_lat && has_lon;
  return 0;
}

/* Validates and parses an export row (fields NUL-terminated), saying what
 * is wrong. @return 0, or 1 when the row is bad (reported). */
static int parse_export(gdelt *g, char **f, size_t *len, size_t nf, erow *r) {
  imp *m = g->m;
  cols c = {f, len, COL_NAMES, m};
  int64_t v;
  bool present;
  if (check_width(m, nf, len, N_COLS, "GDELT 2.0 export")) return 1;
  memset(r, 0, sizeof *r);
  if (!imp_parse_u64(f[C_ID], len[C_ID], &r->id)) return col_bad(&c, C_ID, "is not an event id");
  if (col_datetime(&c, C_SQLDATE, false, NULL, r->date) ||
      col_datetime(&c, C_DATEADDED, true, &r->added, NULL))
    return 1;
  if (!(r->label = memo_find(&g->cameo, f[C_EVENTCODE], look_cameo)))
    return col_bad(&c, C_EVENTCODE, "is not a CAMEO code");
  if (!base_of(f[C_BASECODE], len[C_BASECODE], f[C_EVENTCODE], len[C_EVENTCODE]))
    return col_bad(&c, C_BASECODE, "is not the base of EventCode");
  if (!root_of(f[C_ROOTCODE], len[C_ROOTCODE], f[C_EVENTCODE]))
    return col_bad(&c, C_ROOTCODE, "is not the root of EventCode");
  if (col_int(&c, C_QUAD, R_QUAD.lo, R_QUAD.hi, &v, &present)) return 1;
  r->quad = present ? (int8_t)v : 0;
  if (present && r->quad != vocab_cameo_quad(f[C_EVENTCODE]))
    return col_bad(&c, C_QUAD, "does not match the quad class of the CAMEO root");
  if (col_int(&c, C_ISROOT, R_ISROOT.lo, R_ISROOT.hi, &v, &present)) return 1;
  r->is_root = present && v == 1;
  if (col_num(&c, C_GOLDSTEIN, R_GOLDSTEIN, &r->goldstein, &r->has_goldstein) ||
      col_num(&c, C_AVGTONE, R_TONE, &r->tone, &r->has_tone))
    return 1;
  for (unsigned i = C_NUMMENTIONS; i <= C_NUMARTICLES; i++)
    if (col_int(&c, i, R_COUNT.lo, R_COUNT.hi, &v, &present)) return 1;
  for (int k = 0; k < 3; k++)
    if (parse_geo(&c, r, k)) return 1;
  if (!len[C_SOURCEURL]) return col_bad(&c, C_SOURCEURL, "is empty");
  return 0;
}

/* ---------------------------------------------------------------- the fast path */

/* The usual export row (plain ASCII, 61 columns, every value valid) is
 * split in one pass over its bytes (imp_csv_split_tabs: a mask of its tabs,
 * 64 bytes at a time), then its values are checked column by column with
 * the value parsers parse_export uses (fast_export). Any other row is put
 * back as it was read and goes through imp_csv_split_row() and
 * parse_export(), which say what is wrong, in the order they always did. */

/* The steps are inlined, so that column numbers are constants. */
#define STEP IMP_INLINE

typedef struct cursor {
  char *row;           /* the row, its fields NUL-terminated */
  const uint32_t *off; /* off[i]: where field i starts; off[N_COLS] = length + 1 */
} cursor;

/* Field i and its length. */
STEP const char *take(const cursor *c, unsigned i, size_t *n) {
  *n = c->off[i + 1] - c->off[i] - 1;
  return c->row + c->off[i];
}

STEP bool take_int(const cursor *c, unsigned i, irange r, int64_t *v, bool *present) {
  size_t n;
  const char *s = take(c, i, &n);
  *present = n > 0;
  return !n || int_value(s, n, r, v) == VAL_OK;
}

STEP bool take_num(const cursor *c, unsigned i, drange r, double *v, bool *present) {
  size_t n;
  const char *s = take(c, i, &n);
  *present = n > 0;
  return !n || num_value(s, n, r, v) == VAL_OK;
}

/* Puts back the tabs imp_csv_split_tabs() turned into NULs. */
static void untake(cursor *c) {
  for (unsigned i = 1; i < N_COLS; i++) c->row[c->off[i] - 1] = '\t';
}

/* Columns 26-35: IsRootEvent .. AvgTone. */
STEP bool fast_event(gdelt *g, const cursor *c, erow *r) {
  const char *code, *s;
  size_t code_len, n;
  int64_t v;
  bool present;
  if (!take_int(c, C_ISROOT, R_ISROOT, &v, &present)) return false;
  r->is_root = present && v == 1;
  code = take(c, C_EVENTCODE, &code_len);
  if (!(r->label = memo_find(&g->cameo, code, look_cameo))) return false;
  s = take(c, C_BASECODE, &n);
  if (!base_of(s, n, code, code_len)) return false;
  s = take(c, C_ROOTCODE, &n);
  if (!root_of(s, n, code) || !take_int(c, C_QUAD, R_QUAD, &v, &present) ||
      (present && v != vocab_cameo_quad(code)))
    return false;
  r->quad = present ? (int8_t)v : 0;
  return take_num(c, C_GOLDSTEIN, R_GOLDSTEIN, &r->goldstein, &r->has_goldstein) &&
         take_int(c, C_NUMMENTIONS, R_COUNT, &v, &present) &&
         take_int(c, C_NUMSOURCES, R_COUNT, &v, &present) &&
         take_int(c, C_NUMARTICLES, R_COUNT, &v, &present) &&
         take_num(c, C_AVGTONE, R_TONE, &r->tone, &r->has_tone);
}

/* A coordinate as GDELT writes them ("-118.327", "54"), seen to be one
 * without parsing it: '-'?, 1-3 digits whose value is below `limit`, then
 * '.' and digits, or nothing. Its value is parsed only if its place's body
 * is encoded (place_body; most are cached), and this is half the cost of
 * parsing it (six coordinates a row). Any other form (too long, 90.0, an
 * exponent) goes the careful way, which parses it. */
STEP bool take_coord(const cursor *c, unsigned i, unsigned limit, bool *present) {
  size_t n;
  const char *s = take(c, i, &n);
  unsigned v = 0;
  *present = n > 0;
  if (!n) return true;
  size_t digits = s[0] == '-', k = digits, int_end = digits + 3 < n ? digits + 3 : n;
  for (; k < int_end && (unsigned char)(s[k] - '0') < 10; k++) v = v * 10 + (unsigned)(s[k] - '0');
  if (k == digits || v >= limit) return false;
  if (k == n) return true;
  if (s[k++] != '.' || k == n) return false;
  for (; k < n; k++)
    if ((unsigned char)(s[k] - '0') >= 10) return false;
  return true;
}

STEP bool fast_geo(const cursor *c, erow *r, int g, unsigned b) {
  int64_t t;
  bool present, has_lat, has_lon;
  if (!take_int(c, b + G_TYPE, R_GEO_TYPE, &t, &present) ||
      !take_coord(c, b + G_LAT, 90, &has_lat) || !take_coord(c, b + G_LON, 180, &has_lon))
    return false;
  r->geo_type[g] = present ? (int8_t)t : 0;
  r->has_point[g] = has_lat && has_lon;
  return true;
}

/* DATEADDED as seconds, remembering the last value: all rows of a
 * 15-minute batch have one, so most rows cost a 14-byte compare instead of
 * checking and converting a date and time. */
static bool date_added(gdelt *g, const char *s, size_t n, int64_t *secs) {
  struct date_memo *d = &g->last_added;
  if (n != sizeof d->s) return false; /* not YYYYMMDDhhmmss (careful_export() says so) */
  if (d->kept && memcmp(d->s, s, n) == 0) {
    *secs = d->secs;
    return true;
  }
  if (!datetime_value(s, n, true, &d->secs, NULL)) return false;
  memcpy(d->s, s, n);
  d->kept = true;
  *secs = d->secs;
  return true;
}

/* SQLDATE as "YYYY-MM-DD": the events of a batch happened on a few hundred
 * days, in no order (the last value, kept as DATEADDED's is, almost never
 * matched), so the dates met are kept by their 8 bytes in a direct-mapped
 * table: a hit costs a load and a compare instead of ~130 instructions. */
static bool sqldate(gdelt *g, const char *s, size_t n, char date[11]) {
  uint64_t key;
  if (n != 8) return false; /* not YYYYMMDD (careful_export() says so) */
  memcpy(&key, s, 8);       /* not 0: a field holds no NUL */
  struct sqldate_slot *sl = &g->sqldates[(key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - SQLDATE_BITS)];
  if (sl->key != key) {
    if (!datetime_value(s, n, false, NULL, sl->date)) return false; /* writes only when valid */
    sl->key = key;
  }
  memcpy(date, sl->date, 11);
  return true;
}

/* @return true with the row parsed when every column is as it should be
 * (the row already split by imp_csv_split_tabs()). */
static bool fast_export(gdelt *g, const cursor *c, erow *r) {
  const char *s;
  size_t n;
  memset(r, 0, sizeof *r);
  s = take(c, C_ID, &n);
  if (!imp_parse_u64(s, n, &r->id)) return false;
  s = take(c, C_SQLDATE, &n);
  if (!sqldate(g, s, n, r->date) || !fast_event(g, c, r) ||
      !fast_geo(c, r, 0, C_G1) || !fast_geo(c, r, 1, C_G2) || !fast_geo(c, r, 2, C_GA))
    return false;
  s = take(c, C_DATEADDED, &n);
  if (!date_added(g, s, n, &r->added)) return false;
  take(c, C_SOURCEURL, &n);
  return n > 0;
}

/* ====================================================================== */
/* Mentions rows                                                          */
/* ====================================================================== */

typedef struct mrow {
  char **f;
  uint64_t id;
  int type;
  int64_t sentence, a1, a2, action, inraw, confidence, doclen;
  bool has_sentence, has_a1, has_a2, has_action, has_inraw, has_confidence, has_doclen;
  double tone;
  bool has_tone;
  int64_t mention_time;
} mrow;

static int parse_mention(imp *m, char **f, size_t *len, size_t nf, mrow *r) {
  cols c = {f, len, MCOL_NAMES, m};
  int64_t t;
  bool present;
  size_t width = nf == N_MCOLS - 1 ? N_MCOLS - 1 : N_MCOLS; /* Extras may be missing */
  if (check_width(m, nf, len, width, "GDELT 2.0 mentions")) return 1;
  if (nf == N_MCOLS - 1) {
    f[M_EXTRAS] = (char *)"";
    len[M_EXTRAS] = 0;
  }
  memset(r, 0, sizeof *r);
  r->f = f;
  if (!imp_parse_u64(f[M_ID], len[M_ID], &r->id)) return col_bad(&c, M_ID, "is not an event id");
  if (col_datetime(&c, M_MENTIONTIME, true, &r->mention_time, NULL)) return 1;
  if (col_int(&c, M_TYPE, 1, 6, &t, &present)) return 1;
  r->type = present ? (int)t : 1;
  if (!len[M_IDENTIFIER]) return col_bad(&c, M_IDENTIFIER, "is empty");
  if (col_int(&c, M_SENTENCE, 0, UINT32_MAX, &r->sentence, &r->has_sentence) ||
      col_int(&c, M_A1OFF, -1, UINT32_MAX, &r->a1, &r->has_a1) ||
      col_int(&c, M_A2OFF, -1, UINT32_MAX, &r->a2, &r->has_a2) ||
      col_int(&c, M_ACTIONOFF, -1, UINT32_MAX, &r->action, &r->has_action) ||
      col_int(&c, M_INRAW, 0, 1, &r->inraw, &r->has_inraw) ||
      col_int(&c, M_CONFIDENCE, 0, 100, &r->confidence, &r->has_confidence) ||
      col_int(&c, M_DOCLEN, 0, INT64_MAX, &r->doclen, &r->has_doclen) ||
      col_num(&c, M_DOCTONE, R_TONE, &r->tone, &r->has_tone))
    return 1;
  return 0;
}

/* ====================================================================== */
/* Article keys                                                           */
/* ====================================================================== */

/* Whether a source is a web URL: "http://" or "https://" and a host. Only
 * the start is looked at: this runs for every row; the URL itself is taken
 * as GDELT gives it. */
static bool web_url(const char *s) {
  const char *k = imp_url_key(s);
  return k != s && *k && *k != '/';
}

/* The grouping key of an article: its URL without the scheme (http and
 * https copies of one article are one article), or for a source that is
 * not a URL (a citation) "<event id>|<citation>", one per event. */
typedef struct akey {
  const char *s; /* the key (into the source, or into buf) */
  size_t n;
  uint64_t hash;
  char buf[512];
} akey;

/* The hash of a key (n bytes), 8 bytes at a time: byte-wise FNV-1a cost
 * 380 instructions for the usual 60-byte URL key. Equal hashes of
 * different keys are told apart where records are looked up (pend_find);
 * the maps that keep only hashes (written articles, mentions' articles)
 * would take two such keys for one, as with any 64-bit hash. */
static uint64_t key_hash(const char *s, size_t n) {
  const uint64_t K = UINT64_C(0x9E3779B97F4A7C15);
  uint64_t h = n * K, w;
  for (; n >= 8; s += 8, n -= 8) {
    memcpy(&w, s, 8);
    h = (h ^ w) * K;
    h ^= h >> 29;
  }
  for (w = 0; n; n--) w = w << 8 | (unsigned char)s[n - 1];
  h = (h ^ w) * K;
  return h ^ (h >> 32);
}

/* @return false when a citation key does not fit (reported by the caller). */
static bool key_of(akey *k, uint64_t event_id, const char *source, size_t source_len) {
  const char *key = imp_url_key(source);
  if (key != source && *key && *key != '/') { /* web_url() */
    k->s = key;
    k->n = source_len - (size_t)(key - source);
  } else {
    int n = snprintf(k->buf, sizeof k->buf, "%llu|%s", (unsigned long long)event_id, source);
    if (n < 0 || (size_t)n >= sizeof k->buf) return false;
    k->s = k->buf;
    k->n = (size_t)n;
  }
  k->hash = key_hash(k->s, k->n);
  return true;
}

/* key_of() for an export row's SOURCEURL: the rows of one article mostly
 * follow each other, so the last web URL's key is kept and reused when
 * the next row has the same bytes (a memcmp instead of parsing the URL
 * and hashing its key again). */
static bool source_key(gdelt *g, akey *k, uint64_t event_id, const char *source, size_t source_len) {
  if (g->last_source.len == source_len && source_len &&
      memcmp(g->last_source.src, source, source_len) == 0) {
    k->s = source + g->last_source.key_at;
    k->n = g->last_source.key_n;
    k->hash = g->last_source.hash;
    return true;
  }
  if (!key_of(k, event_id, source, source_len)) return false;
  g->last_source.len = 0;
  if (k->s != k->buf && source_len <= sizeof g->last_source.src) {
    memcpy(g->last_source.src, source, source_len);
    g->last_source.len = source_len;
    g->last_source.key_at = (size_t)(k->s - source);
    g->last_source.key_n = k->n;
    g->last_source.hash = k->hash;
  }
  return true;
}

static uint64_t key_hash_of(uint64_t event_id, const char *source, size_t source_len) {
  akey k;
  return key_of(&k, event_id, source, source_len) ? k.hash : key_hash(source, source_len);
}

/* ====================================================================== */
/* The mentions index                                                     */
/* ====================================================================== */

static int index_row(gdelt *g, uint32_t file, char **f, size_t *len, size_t nf, uint64_t off,
                     uint64_t line) {
  imp *m = g->m;
  mrow r;
  if (parse_mention(m, f, len, nf, &r)) return m->status ? IMP_STOP : 0; /* skipped */
  if (g->n_refs == g->cap_refs) {
    size_t cap = g->cap_refs ? 2 * g->cap_refs : 1024;
    mention_ref *p = realloc(g->refs, cap * sizeof *p);
    if (!p || cap >= NONE) return imp_fail(m, "out of memory indexing mentions");
    g->refs = p;
    g->cap_refs = cap;
  }
  mention_ref *ref = &g->refs[g->n_refs];
  ref->event_id = r.id;
  ref->key_hash = key_hash_of(r.id, f[M_IDENTIFIER], len[M_IDENTIFIER]);
  ref->offset = off;
  ref->line = line;
  ref->len = (uint32_t)(f[nf - 1] + len[nf - 1] - f[0]);
  ref->file = file;
  ref->used = false;
  uint64_t *head = map_put(&g->by_event, r.id, NONE);
  if (!head) return imp_fail(m, "out of memory indexing mentions");
  ref->next = (uint32_t)*head; /* newest first; reversed when read */
  *head = g->n_refs++;
  return 0;
}

static int index_file(gdelt *g, uint32_t file) {
  imp *m = g->m;
  imp_csv *c;
  char why[256], **f;
  size_t *len, nf;
  const char *path = g->o->mentions[file];
  if (imp_csv_open(&c, path, '\t', false, m->max_row, why, sizeof why)) return imp_fail(m, "%s", why);
  if (g->threads) imp_csv_readahead(c);
  m->file = path;
  int rc, status = 0;
  while ((rc = imp_csv_next(c, &f, &len, &nf, why, sizeof why)) != 0) {
    m->line = rc > 0 || rc == -2 ? imp_csv_line(c) : 0;
    if (rc == -1) {
      status = imp_fail(m, "%s: %s", path, why);
      break;
    }
    if (rc == -2) {
      if ((status = imp_bad(m, "%s", why))) break;
      continue;
    }
    if ((status = index_row(g, file, f, len, nf, imp_csv_offset(c), imp_csv_line(c)))) break;
  }
  imp_csv_close(c);
  m->line = 0;
  if (status) return status;
  g->mfd[file] = open(path, O_RDONLY | O_CLOEXEC);
  return g->mfd[file] < 0 ? imp_fail(m, "cannot open %s: %s", path, strerror(errno)) : 0;
}

/* Reads indexed mentions row i into g->scratch and splits it. */
static int read_mention(gdelt *g, uint32_t i, char **f, size_t *len, size_t *nf) {
  mention_ref *ref = &g->refs[i];
  if (ref->len + 1 > g->scratch_cap) {
    char *p = realloc(g->scratch, ref->len + 1);
    if (!p) return imp_fail(g->m, "out of memory");
    g->scratch = p;
    g->scratch_cap = ref->len + 1;
  }
  size_t got = 0;
  while (got < ref->len) {
    ssize_t n = pread(g->mfd[ref->file], g->scratch + got, ref->len - got,
                      (off_t)(ref->offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return imp_fail(g->m, "%s: cannot read back a mentions row: %s",
                                g->o->mentions[ref->file], n ? strerror(errno) : "file shrank");
    got += (size_t)n;
  }
  g->scratch[ref->len] = '\0';
  size_t k = 0;
  for (char *p = g->scratch;; k++) {
    char *t = strchr(p, '\t');
    if (k < N_MCOLS) {
      f[k] = p;
      len[k] = t ? (size_t)(t - p) : strlen(p);
    }
    if (!t) break;
    *t = '\0';
    p = t + 1;
  }
  *nf = k + 1 < N_MCOLS ? k + 1 : N_MCOLS;
  return 0;
}

/* ====================================================================== */
/* Pending records                                                        */
/* ====================================================================== */

/* The table of pending records: open addressing, each slot holding the
 * key's hash beside the record, so a lookup touches a record only when
 * the hashes match (chained buckets made every lookup and removal load
 * the records of its chain, cold by then). At most half full. */
typedef struct pslot {
  uint64_t hash;
  pend *p; /* NULL: empty */
} pslot;

static pend *pend_find(gdelt *g, const akey *k) {
  if (!g->n_slots) return NULL;
  size_t mask = g->n_slots - 1;
  for (size_t i = k->hash & mask; g->slots[i].p; i = (i + 1) & mask)
    if (g->slots[i].hash == k->hash && g->slots[i].p->key_len == k->n &&
        memcmp(g->slots[i].p->key, k->s, k->n) == 0)
      return g->slots[i].p;
  return NULL;
}

static void slot_put(pslot *slots, size_t mask, uint64_t hash, pend *p) {
  size_t i = hash & mask;
  while (slots[i].p) i = (i + 1) & mask;
  slots[i].hash = hash;
  slots[i].p = p;
}

static bool pend_rehash(gdelt *g) {
  size_t n = g->n_slots ? 2 * g->n_slots : 1024;
  pslot *b = calloc(n, sizeof *b);
  if (!b) return false;
  for (size_t i = 0; i < g->n_slots; i++)
    if (g->slots[i].p) slot_put(b, n - 1, g->slots[i].hash, g->slots[i].p);
  free(g->slots);
  g->slots = b;
  g->n_slots = n;
  return true;
}

/* Removes p's slot, moving later slots of the same run back into the gap
 * (no tombstones: lookups stay as short as the table is full). */
static void slot_remove(gdelt *g, const pend *p) {
  size_t mask = g->n_slots - 1, i = p->hash & mask;
  while (g->slots[i].p != p) i = (i + 1) & mask;
  for (size_t j = i;;) {
    j = (j + 1) & mask;
    if (!g->slots[j].p) break;
    size_t home = g->slots[j].hash & mask;
    /* slot j may move to i when its home is not within (i, j] */
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      g->slots[i] = g->slots[j];
      i = j;
    }
  }
  g->slots[i].p = NULL;
}

static void lru_unlink(gdelt *g, pend *p) {
  if (p->prev) p->prev->next = p->next;
  else g->head = p->next;
  if (p->next) p->next->prev = p->prev;
  else g->tail = p->prev;
  p->prev = p->next = NULL;
}

static void lru_push(gdelt *g, pend *p) {
  p->prev = g->tail;
  p->next = NULL;
  if (g->tail) g->tail->next = p;
  else g->head = p;
  g->tail = p;
}

/* Copies s[0..n) and a NUL into *dst (capacity *cap), growing it as needed. */
static bool str_set(char **dst, size_t *cap, const char *s, size_t n) {
  if (n + 1 > *cap) {
    char *d = realloc(*dst, n + 1);
    if (!d) return false;
    *dst = d;
    *cap = n + 1;
  }
  memcpy(*dst, s, n);
  (*dst)[n] = '\0';
  return true;
}

/* A new pending record, made from a spare when there is one: its buffers
 * are allocated once and reused (a malloc and a free per record and per
 * string were 5% of an import). */
static pend *pend_new(gdelt *g, const akey *k) {
  if ((g->n_pending + 1) * 2 > g->n_slots && !pend_rehash(g)) return NULL;
  pend *p = g->spares;
  if (p) g->spares = p->chain;
  else if (!(p = calloc(1, sizeof *p))) return NULL;
  if (!str_set(&p->key, &p->key_cap, k->s, k->n)) {
    p->chain = g->spares;
    g->spares = p;
    return NULL;
  }
  p->hash = k->hash;
  p->key_len = k->n;
  p->url = NULL;
  p->last = 0;
  p->first_line = g->m->line;
  p->len = 0;
  p->n_entries = 0;
  p->n_ids = p->n_dups = 0;
  slot_put(g->slots, g->n_slots - 1, k->hash, p);
  g->n_pending++;
  lru_push(g, p);
  return p;
}

/* Takes a complete record off the table (it is being written). */
static void pend_unlink(gdelt *g, pend *p) {
  slot_remove(g, p);
  lru_unlink(g, p);
  g->n_pending--;
}

/* Keeps a written record's pend (and the ones chained to it) as spares. */
static void pend_spare(gdelt *g, pend *p) {
  while (p) {
    pend *next = p->chain;
    p->chain = g->spares;
    g->spares = p;
    p = next;
  }
}

static void pend_free_spares(gdelt *g) {
  for (pend *p = g->spares, *next; p; p = next) {
    next = p->chain;
    free(p->key);
    free(p->url_mem);
    free(p->buf);
    free(p->ids);
    free(p->dups);
    free(p);
  }
  g->spares = NULL;
}

static bool buf_grow(pend *p, size_t n) {
  size_t cap = p->cap ? p->cap : 1024;
  while (cap < p->len + n) cap *= 2;
  char *b = realloc(p->buf, cap);
  if (!b) return false;
  p->buf = b;
  p->cap = cap;
  return true;
}

/* Inlined: most sizes are constants, whose copies the compiler inlines. */
IMP_INLINE bool buf_add(pend *p, const void *data, size_t n) {
  if (p->len + n > p->cap && !buf_grow(p, n)) return false;
  memcpy(p->buf + p->len, data, n);
  p->len += n;
  return true;
}

static bool buf_add_u32(pend *p, uint32_t v) { return buf_add(p, &v, sizeof v); }

/* strncmp(s, "https:", 6) == 0, without a call. */
static bool is_https(const char *s) {
  return s[0] == 'h' && s[1] == 't' && s[2] == 't' && s[3] == 'p' && s[4] == 's' && s[5] == ':';
}

/* Remembers a URL seen for the article (n bytes), preferring https. */
static bool pend_url(pend *p, const char *url, size_t n) {
  if (p->url && is_https(p->url)) return true; /* nothing better */
  if (!web_url(url)) return true;
  if (p->url && !is_https(url)) return true;
  if (!str_set(&p->url_mem, &p->url_cap, url, n)) return false;
  p->url = p->url_mem;
  p->url_len = n;
  return true;
}

/* ====================================================================== */
/* Encoding records                                                       */
/* ====================================================================== */

/* Records are encoded straight from the stored rows to protobuf wire format
 * (imp_wire.h): building them as protobuf-c messages and packing those
 * cost more than reading, checking and grouping the rows. Fields go out in
 * field-number order under proto3's rules, so the bytes are those of the
 * same record built as messages and packed (JSON output decodes them; the
 * goldens of tests/import.sh check both). A Record holds its actors and
 * places before its events, but they are found while the events are
 * encoded: the events go to a buffer of their own first, and the record is
 * put together when they are done. */

/* Field numbers (proto/evrec/v1/evrec.proto). The small messages use
 * fields 1 and 2: ExternalId {scheme, value}, Code {scheme, code}, map
 * entries {key, value}, GeoPoint {latitude, longitude}, Timestamp
 * {seconds}, wrappers {value}. */
enum { F1 = 1, F2 = 2 };
enum { REC_ID = 1, REC_REVISION, REC_STATUS, REC_UPDATED_AT, REC_ARTICLE, REC_ACTORS, REC_PLACES,
       REC_EVENTS, REC_PROVENANCE = 10, REC_EXTENSIONS };
enum { ART_URI = 1, ART_ALT_IDS = 3, ART_LANGUAGE = 7, ART_PUBLISHER = 21, ART_TRANSLATION = 30 };
enum { PUB_DOMAIN = 3 };
enum { TRANS_SOURCE_LANGUAGE = 1, TRANS_ENGINE };
enum { ACT_ID = 1, ACT_NAME, ACT_KIND, ACT_COUNTRY, ACT_SECTORS, ACT_CAMEO_CODE, ACT_CODES = 12,
       ACT_EXTENSIONS = 14 };
enum { PL_ID = 1, PL_NAME, PL_COUNTRY = 4, PL_ADMIN1_CODE = 6, PL_ADMIN2_CODE = 8, PL_POINT = 10,
       PL_PRECISION, PL_SOURCE_IDS = 15, PL_EXTENSIONS };
enum { EV_ID = 1, EV_TYPES = 3, EV_PARTICIPANTS = 7, EV_PLACE_ID, EV_START_DATE, EV_QUAD_CLASS = 12,
       EV_GOLDSTEIN, EV_EVIDENCE = 15, EV_CLUSTER_ID = 17, EV_IS_ROOT, EV_SOURCE_IDS, EV_TONE,
       EV_EXTENSIONS };
enum { TYPE_SCHEME = 1, TYPE_CODE, TYPE_LABEL };
enum { PART_ACTOR_ID = 1, PART_ROLE, PART_PLACE_ID };
enum { MENTION_SENTENCE_INDEX = 3, MENTION_CONFIDENCE, MENTION_INFERRED };
enum { PROV_CODER = 1, PROV_CODEBOOKS, PROV_CODED_AT, PROV_DATASET = 5 };
enum { CODER_NAME = 1, CODER_KIND = 3 };
enum { CODEBOOK_NAME = 1, CODEBOOK_VERSION };
enum { DATASET_NAME = 1, DATASET_URI = 4 };

/* Field offsets of a stored row (store_row): 64 slots (N_COLS + 1 rounded
 * up), so that the loops over them are vector loops (gcc -O2 vectorizes
 * only loops without a remainder). */
#define OFF_SLOTS 64

/* An entry of a pending record (see add_entry), read back. */
typedef struct entry {
  const char *row;          /* the export row, fields NUL-terminated */
  uint32_t off[OFF_SLOTS];  /* field i is row[off[i] .. off[i + 1] - 1), i < N_COLS;
                               the columns store_row() leaves out are not to be read */
  erow er;                  /* parsed when read (er.f is stale) */
  bool own;                 /* the row's SOURCEURL is this article */
  bool dup;                 /* its event is in the record already */
  mrow *mentions;           /* its mentions rows in this article */
  uint32_t n_mentions;
} entry;

static const char *fld(const entry *e, unsigned i) { return e->row + e->off[i]; }
static size_t fld_len(const entry *e, unsigned i) { return e->off[i + 1] - e->off[i] - 1; }

/* An actor or a place of the record: the entry and block it is made of. */
typedef struct block_ref {
  const entry *e;
  unsigned base;       /* first column of the block */
  size_t len;          /* bytes of its fields and their NULs (8 or more) */
  uint64_t head;       /* the first 8 of them: most blocks differ there */
  int geo;             /* places: 0-2, the geo block (GEO_BASE) */
  const char *offsets; /* actors: "evrec/gdelt.char_offsets", NULL if none */
} block_ref;

typedef struct builder {
  encoder *x;
  imp *m;
  const pend *p;
  const char *id;       /* the record's id (id_len bytes) */
  size_t id_len;
  int64_t updated;      /* the latest DATEADDED of its events */
  block_ref *actors, *places;
  size_t n_actors, n_places, n_events;
  wire events;          /* the events' bodies, one after another, */
  size_t *event_len;    /* and their lengths (see encode_record) */
  bool translated;      /* it has translation info: */
  const char *language; /* its source language, NULL if unknown */
  const char *engine;   /* and engine (engine_len bytes) */
  size_t engine_len;
  bool doc_known;       /* the article's own mentions row was seen: */
  mrow doc;             /* the first one */
} builder;

static bool blank(const char *s) { return !s || !s[0]; }

/* ---------------------------------------------------------------- small messages */

/* A string literal and its length, as the wire writers take them. */
#define LIT(s) s, sizeof(s) - 1

typedef struct lit {
  const char *s;
  size_t n;
} lit;

/* The id of an actor, place or event: a letter and a number ("a12"). */
IMP_INLINE void wire_id(wire *o, unsigned field, char letter, size_t n) {
  /* not zeroed: only the bytes written are read. 48, not the 21 an id
   * needs: at -O0 gcc cannot bound the length and warns that wire_copy()'s
   * memcpy branch (over 32 bytes) would read past a smaller array */
  char s[48];
  s[0] = letter, s[1] = (char)('0' + n / 10), s[2] = (char)('0' + n % 10);
  if (n < 10) s[1] = s[2]; /* one digit */
  wire_str(o, field, s, n < 10 ? 2 : n < 100 ? 3 : 1 + imp_u64_dec(s + 1, n));
}

static void wire_time(wire *o, unsigned field, int64_t seconds) {
  size_t at = wire_open(o, field);
  wire_uint(o, F1, (uint64_t)seconds);
  wire_close(o, at);
}

IMP_INLINE void wire_wrapped_double(wire *o, unsigned field, double v) {
  size_t at = wire_open(o, field);
  wire_double(o, F1, v);
  wire_close(o, at);
}

/* A map<string, string> being filled: entries in the order they were first
 * set, a value set again replaced in place (as imp_ext() does). Values
 * point into the pending record's buffer or the arena. */
#define EXT_MAX 8 /* the most any message here gets (an event: 4, and its 3 counts apart) */

typedef struct extmap {
  const char *key[EXT_MAX], *val[EXT_MAX];
  size_t key_len[EXT_MAX], len[EXT_MAX];
  int n;
} extmap;

static int ext_find(const extmap *x, const char *key, size_t key_len) {
  int i = 0;
  while (i < x->n && (x->key_len[i] != key_len || memcmp(x->key[i], key, key_len) != 0)) i++;
  return i;
}

/* Adds a key that is not there yet. */
static void ext_add(extmap *x, const char *key, size_t key_len, const char *val, size_t len) {
  int i = x->n;
  if (i == EXT_MAX) return; /* cannot happen: see EXT_MAX */
  x->key[i] = key, x->key_len[i] = key_len, x->val[i] = val, x->len[i] = len;
  x->n++;
}

static void ext_set(extmap *x, const char *key, size_t key_len, const char *val, size_t len) {
  int i = ext_find(x, key, key_len);
  if (i == x->n) ext_add(x, key, key_len, val, len);
  else x->val[i] = val, x->len[i] = len;
}

static void ext_add_time(imp *m, extmap *x, const char *key, size_t key_len, int64_t secs) {
  char buf[40];
  imp_format_time(buf, secs, 0);
  ext_add(x, key, key_len, imp_str(m, buf), strlen(buf));
}

static void wire_ext(wire *o, unsigned field, const extmap *x) {
  for (int i = 0; i < x->n; i++) wire_pair(o, field, x->key[i], x->key_len[i], x->val[i], x->len[i]);
}

/* An event's count extensions, "evrec/gdelt.num_mentions" and the two
 * others, come with the same key in every event: the bytes of each entry up
 * to its value (tag, entry length, key, value tag, value length) are made
 * once and copied whole, the two lengths filled in. wire_pair() worked all
 * of them out three times an event (~2.5% of an import). */
#define COUNT_PREFIX 32 /* copied whole: room for the longest key's prefix */
#define COUNT_VALUE_MAX 90 /* entry length stays one byte; counts are shorter */

typedef struct count_ext {
  uint8_t b[COUNT_PREFIX];
  uint8_t n;      /* bytes of the prefix: the value's length is b[n - 1] */
  uint8_t len_at; /* where the entry's length is */
  uint8_t body;   /* the entry's length less the value's */
  const char *key; /* the key (key_len bytes), for values too long */
  size_t key_len;
} count_ext;

static const lit COUNT_KEYS[3] = {{LIT("evrec/gdelt.num_mentions")},
                                  {LIT("evrec/gdelt.num_sources")},
                                  {LIT("evrec/gdelt.num_articles")}};
_Static_assert(sizeof "evrec/gdelt.num_mentions" - 1 + 7 <= COUNT_PREFIX,
               "count_ext: the prefix of the longest key must fit");

static void count_ext_make(count_ext *c, const lit *key) {
  uint8_t *p = wire_varint_at(c->b, (uint64_t)EV_EXTENSIONS << 3 | WIRE_LEN);
  c->len_at = (uint8_t)(p - c->b);
  *p++ = 0;
  *p++ = 1 << 3 | WIRE_LEN;
  *p++ = (uint8_t)key->n;
  memcpy(p, key->s, key->n);
  p += key->n;
  *p++ = 2 << 3 | WIRE_LEN;
  *p++ = 0;
  c->n = (uint8_t)(p - c->b);
  c->body = (uint8_t)(4 + key->n);
  c->key = key->s;
  c->key_len = key->n;
}

/* Count extension c with value v (n bytes): the bytes of wire_pair(). */
static void wire_count(wire *o, const count_ext *c, const char *v, size_t n) {
  if (n > COUNT_VALUE_MAX) {
    wire_pair(o, EV_EXTENSIONS, c->key, c->key_len, v, n);
    return;
  }
  if (!wire_room(o, COUNT_PREFIX + n)) return;
  uint8_t *p = o->p;
  memcpy(p, c->b, COUNT_PREFIX);
  p[c->len_at] = (uint8_t)(c->body + n);
  p[c->n - 1] = (uint8_t)n;
  wire_copy(p + c->n, v, n);
  o->p = p + c->n + n;
}

/* Appends an offset to a comma-separated list (NULL: none yet) unless it
 * is there already. @return the list (an arena copy when it grew). */
static const char *offsets_add(imp *m, const char *old, int64_t offset) {
  char num[24];
  size_t n = (size_t)snprintf(num, sizeof num, "%lld", (long long)offset);
  if (!old) return imp_str(m, num);
  for (const char *p = old; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) /* seen? */
    if (strncmp(p, num, n) == 0 && (p[n] == ',' || !p[n])) return old;
  return imp_printf(m, "%s,%s", old, num);
}

/* ---------------------------------------------------------------- actors and places */

/* The encoding of an actor or a place depends on nothing but its block of
 * fields (and its number, written first): the same few hundred actors and
 * places come back in record after record, and encoding one cost ~700
 * instructions, against ~60 to find and copy the bytes of the last time.
 * A direct-mapped cache keyed by the block's bytes (compared whole: a
 * hash collision costs a miss, never a wrong record) holds the encoded
 * fields after the number. Blocks or bodies too long for a slot are
 * encoded every time. */
#define BODY_SLOTS 512
#define BODY_BLOCK_MAX 104
#define BODY_MAX 200

typedef struct body_slot {
  uint16_t block_len, len; /* 0: empty */
  char block[BODY_BLOCK_MAX];
  uint8_t body[BODY_MAX];
} body_slot;

typedef struct body_cache {
  body_slot slot[BODY_SLOTS];
} body_cache;

static size_t wire_offset(const wire *w) {
  return w->p ? (size_t)(w->p - (uint8_t *)w->b->data) : 0;
}

/* The slot of a block (8 or more bytes): a hash of its length and its
 * first and last 8 bytes, which is enough to spread them. */
static body_slot *body_find(body_cache *c, const char *block, size_t len) {
  const uint64_t K = UINT64_C(0x9E3779B97F4A7C15);
  uint64_t head, tail;
  if (!c || len > BODY_BLOCK_MAX) return NULL;
  memcpy(&head, block, 8);
  memcpy(&tail, block + len - 8, 8);
  uint64_t h = ((head * K) ^ tail ^ len) * K;
  return &c->slot[(h >> 32) & (BODY_SLOTS - 1)];
}

/* Writes the cached body of `block` to o. @return false on a miss. */
static bool body_hit(const body_slot *sl, wire *o, const char *block, size_t len) {
  if (!sl || sl->block_len != len || !sl->len || memcmp(sl->block, block, len) != 0) return false;
  wire_raw(o, sl->body, sl->len);
  return true;
}

/* Keeps the body just written to o from buffer offset `start`. */
static void body_keep(body_slot *sl, const wire *o, size_t start, const char *block, size_t len) {
  if (!sl || !o->p) return;
  size_t n = (size_t)(o->p - (const uint8_t *)o->b->data) - start;
  if (n == 0 || n > BODY_MAX) return;
  memcpy(sl->block, block, len);
  memcpy(sl->body, (const uint8_t *)o->b->data + start, n);
  sl->block_len = (uint16_t)len;
  sl->len = (uint16_t)n;
}

/* @return the number (1-based) of the actor or place made of the `width`
 * fields from `base`, added to refs (which has room) if new. The fields
 * lie one after another in their row (NUL-separated): one memcmp compares
 * two blocks, when their lengths and first 8 bytes match. */
static size_t block_add(block_ref *refs, size_t *n, const entry *e, unsigned base, unsigned width,
                        int geo) {
  const char *s = fld(e, base);
  size_t len = e->off[base + width] - e->off[base];
  uint64_t head;
  memcpy(&head, s, sizeof head);
  for (size_t i = 0; i < *n; i++) {
    const block_ref *r = &refs[i];
    if (r->len == len && r->head == head && memcmp(fld(r->e, r->base), s, len) == 0) return i + 1;
  }
  refs[*n] = (block_ref){e, base, len, head, geo, NULL}; /* room: see pend_encode */
  return ++*n;
}

/* The actor of an actor block: its number, 0 when the block is empty. */
static size_t actor_of(builder *b, const entry *e, unsigned base) {
  if (e->off[base + A_TYPE3 + 1] - e->off[base] == A_TYPE3 + 1) return 0; /* only separators */
  return block_add(b->actors, &b->n_actors, e, base, A_TYPE3 + 1, -1);
}

/* The place of geo block g: its number, 0 when Geo_Type is 0 or empty. */
static size_t place_of(builder *b, const entry *e, int g) {
  if (!e->er.geo_type[g]) return 0;
  return block_add(b->places, &b->n_places, e, GEO_BASE[g], G_FEATURE + 1, g);
}

/* Writes the body of actor or place k (`fn`), from cache c when its block
 * was met before. */
typedef void (*body_fn)(builder *b, wire *o, size_t k);

static void cached_body(builder *b, wire *o, body_cache *c, const block_ref *r, size_t k,
                        body_fn fn) {
  const char *block = fld(r->e, r->base);
  body_slot *sl = body_find(c, block, r->len);
  if (body_hit(sl, o, block, r->len)) return;
  size_t start = wire_offset(o);
  fn(b, o, k);
  body_keep(sl, o, start, block, r->len);
}

static Evrec__V1__ActorKind actor_kind(const entry *e, unsigned a) {
  if (fld_len(e, a + A_KNOWN)) return EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION;
  bool sectors = false;
  for (unsigned t = a + A_TYPE1; t <= a + A_TYPE3; t++) {
    sectors |= fld_len(e, t) > 0;
    if (fld_len(e, t) == 3 && strstr("GOV MIL COP JUD LEG SPY", fld(e, t)))
      return EVREC__V1__ACTOR_KIND__ACTOR_KIND_GOVERNMENT;
  }
  if (!sectors && fld_len(e, a + A_CODE) && strcmp(fld(e, a + A_CODE), fld(e, a + A_COUNTRY)) == 0)
    return EVREC__V1__ACTOR_KIND__ACTOR_KIND_COUNTRY;
  return EVREC__V1__ACTOR_KIND__ACTOR_KIND_UNSPECIFIED;
}

/* The fields of actor k after its id (encode_actor). */
static void actor_body(builder *b, wire *o, size_t k) {
  const entry *e = b->actors[k].e;
  unsigned a = b->actors[k].base;
  static const lit schemes[] = {{LIT("cameo.known_group")}, {LIT("cameo.ethnic")},
                                {LIT("cameo.religion")}, {LIT("cameo.religion")}};
  const char *country = fld(e, a + A_COUNTRY);
  bool iso = *country && memo_find(&b->x->alpha3, country, look_alpha3);
  wire_str(o, ACT_NAME, fld(e, a + A_NAME), fld_len(e, a + A_NAME));
  wire_uint(o, ACT_KIND, actor_kind(e, a));
  if (iso) wire_str(o, ACT_COUNTRY, country, fld_len(e, a + A_COUNTRY));
  for (unsigned t = a + A_TYPE1; t <= a + A_TYPE3; t++)
    if (fld_len(e, t)) wire_bytes(o, ACT_SECTORS, fld(e, t), fld_len(e, t));
  wire_str(o, ACT_CAMEO_CODE, fld(e, a + A_CODE), fld_len(e, a + A_CODE));
  if (*country && !iso)
    wire_pair(o, ACT_CODES, LIT("cameo.country"), country, fld_len(e, a + A_COUNTRY));
  for (unsigned i = A_KNOWN; i <= A_REL2; i++)
    if (fld_len(e, a + i))
      wire_pair(o, ACT_CODES, schemes[i - A_KNOWN].s, schemes[i - A_KNOWN].n, fld(e, a + i),
                fld_len(e, a + i));
}

/* Actor k (0-based): code, name, country when the CAMEO country code is an
 * ISO 3166 alpha-3 code (else a "cameo.country" code), type codes as
 * sectors, known-group/ethnic/religion codes (actor_body, cached), and the
 * offsets of its mentions. */
static void encode_actor(builder *b, wire *o, size_t k) {
  const block_ref *r = &b->actors[k];
  size_t at = wire_open(o, REC_ACTORS);
  wire_id(o, ACT_ID, 'a', k + 1);
  cached_body(b, o, b->x->actor_bodies, r, k, actor_body);
  if (r->offsets)
    wire_pair(o, ACT_EXTENSIONS, LIT("evrec/gdelt.char_offsets"), r->offsets, strlen(r->offsets));
  wire_close(o, at);
}

static const lit FEATURE_SCHEMES[6] = {{LIT("")},
                                       {LIT("gdelt.feature_id")},
                                       {LIT("gdelt.feature_id")},
                                       {LIT("gnis.feature_id")},
                                       {LIT("gns.feature_id")},
                                       {LIT("gdelt.feature_id")}};
static const Evrec__V1__PlacePrecision PRECISION[6] = {
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_UNSPECIFIED,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_COUNTRY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN1,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN1};

/* The fields of place k after its id: FIPS 10-4 country -> ISO alpha-3
 * (kept as it is in an extension when ISO 3166 has no such country), ADM1
 * unless it is just the country, ADM2, the point, Geo_Type as precision,
 * FeatureID. All of them come from the place's block. */
static void place_body(builder *b, wire *o, size_t k) {
  const entry *e = b->places[k].e;
  unsigned p = b->places[k].base;
  int g = b->places[k].geo, type = e->er.geo_type[g];
  const char *country = fld(e, p + G_COUNTRY), *iso = NULL;
  size_t country_len = fld_len(e, p + G_COUNTRY), adm1_len = fld_len(e, p + G_ADM1);
  if (country_len) iso = memo_find(&b->x->fips, country, look_fips);
  wire_str(o, PL_NAME, fld(e, p + G_NAME), fld_len(e, p + G_NAME));
  if (iso) wire_str(o, PL_COUNTRY, iso, strlen(iso));
  if (adm1_len && (adm1_len != country_len || memcmp(fld(e, p + G_ADM1), country, adm1_len) != 0))
    wire_str(o, PL_ADMIN1_CODE, fld(e, p + G_ADM1), adm1_len);
  wire_str(o, PL_ADMIN2_CODE, fld(e, p + G_ADM2), fld_len(e, p + G_ADM2));
  double lat, lon; /* checked when the row was read */
  if (e->er.has_point[g] && imp_parse_double(fld(e, p + G_LAT), fld_len(e, p + G_LAT), &lat) &&
      imp_parse_double(fld(e, p + G_LON), fld_len(e, p + G_LON), &lon)) {
    size_t pt = wire_open(o, PL_POINT);
    wire_double(o, F1, lat);
    wire_double(o, F2, lon);
    wire_close(o, pt);
  }
  wire_uint(o, PL_PRECISION, PRECISION[type]);
  if (fld_len(e, p + G_FEATURE))
    wire_pair(o, PL_SOURCE_IDS, FEATURE_SCHEMES[type].s, FEATURE_SCHEMES[type].n,
              fld(e, p + G_FEATURE), fld_len(e, p + G_FEATURE));
  if (country_len && (!iso || !iso[0]))
    wire_pair(o, PL_EXTENSIONS, LIT("evrec/gdelt.fips_country"), country, country_len);
}

/* Place k (0-based): its id and place_body (cached). */
static void encode_place(builder *b, wire *o, size_t k) {
  size_t at = wire_open(o, REC_PLACES);
  wire_id(o, PL_ID, 'p', k + 1);
  cached_body(b, o, b->x->place_bodies, &b->places[k], k, place_body);
  wire_close(o, at);
}

/* ---------------------------------------------------------------- events */

/* Translation info "srclc:fra;eng:GT-FRA 1.0" -> article.translation. */
static void translation(builder *b, const char *info) {
  if (blank(info)) return;
  b->translated = true;
  const char *src = strstr(info, "srclc:"), *eng = strstr(info, "eng:");
  if (src) {
    char code[8] = "";
    size_t n = strcspn(src + 6, ";");
    if (n < sizeof code) memcpy(code, src + 6, n), code[n] = '\0';
    const char *lang = vocab_language(code);
    /* "ast", "hy": the code itself, in this function's buffer -- kept
     * past it, so copied (found by tests/fuzz/fuzz_import.c) */
    b->language = lang == code ? imp_str(b->m, code) : lang;
    if (!lang) imp_warn(b->m, "MentionDocTranslationInfo: unknown language \"%s\"", code);
  }
  if (eng) b->engine = eng + 4, b->engine_len = strcspn(eng + 4, ";");
}

/* The same mention twice (under http and https): same sentence, offsets,
 * raw-text flag and confidence. */
static bool same_mention(const mrow *x, const mrow *y) {
  return x->sentence == y->sentence && x->a1 == y->a1 && x->a2 == y->a2 &&
         x->action == y->action && x->inraw == y->inraw && x->confidence == y->confidence &&
         x->has_action == y->has_action && x->has_sentence == y->has_sentence;
}

/* A mentions row of this article -> evidence of the event being encoded.
 * GDELT's character offsets index GDELT's own (possibly translated) copy
 * of the text, which a record does not carry, and a Span must index
 * Article.body: so they are kept as extensions ("evrec/gdelt.action_char_
 * offsets" on the event, "evrec/gdelt.char_offsets" on the actor),
 * comma-separated. The article's first mentions row gives its facts. */
static void encode_mention(builder *b, const mrow *mr, extmap *x, size_t a1, size_t a2) {
  wire *o = &b->events;
  size_t at = wire_open(o, EV_EVIDENCE);
  if (mr->has_sentence && mr->sentence >= 1) {
    size_t s = wire_open(o, MENTION_SENTENCE_INDEX);
    wire_uint(o, F1, (uint32_t)(mr->sentence - 1));
    wire_close(o, s);
  }
  if (mr->has_confidence) wire_wrapped_double(o, MENTION_CONFIDENCE, (double)mr->confidence / 100.0);
  wire_uint(o, MENTION_INFERRED, mr->has_inraw && mr->inraw == 0);
  wire_close(o, at);
  imp *m = b->m;
  if (mr->has_action && mr->action >= 0) {
    int i = ext_find(x, LIT("evrec/gdelt.action_char_offsets"));
    const char *list = offsets_add(m, i < x->n ? x->val[i] : NULL, mr->action);
    ext_set(x, LIT("evrec/gdelt.action_char_offsets"), list, strlen(list));
  }
  if (a1 && mr->has_a1 && mr->a1 >= 0)
    b->actors[a1 - 1].offsets = offsets_add(m, b->actors[a1 - 1].offsets, mr->a1);
  if (a2 && mr->has_a2 && mr->a2 >= 0)
    b->actors[a2 - 1].offsets = offsets_add(m, b->actors[a2 - 1].offsets, mr->a2);
  if (mr->has_tone && ext_find(x, LIT("evrec/gdelt.mention_doc_tone")) == x->n)
    ext_set(x, LIT("evrec/gdelt.mention_doc_tone"), mr->f[M_DOCTONE], strlen(mr->f[M_DOCTONE]));
  if (!b->doc_known) {
    b->doc_known = true;
    b->doc = *mr;
    translation(b, mr->f[M_TRANSLATION]);
  }
}

/* The event's participants: Actor1 (actor) and Actor2 (recipient), each
 * with its own place. */
static void encode_participants(builder *b, const entry *e, const size_t actor[2]) {
  static const Evrec__V1__ParticipantRole roles[2] = {
      EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR,
      EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT};
  wire *o = &b->events;
  for (int i = 0; i < 2; i++) {
    if (!actor[i]) continue;
    size_t place = place_of(b, e, i);
    size_t at = wire_open(o, EV_PARTICIPANTS);
    wire_id(o, PART_ACTOR_ID, 'a', actor[i]);
    wire_uint(o, PART_ROLE, roles[i]);
    if (place) wire_id(o, PART_PLACE_ID, 'p', place);
    wire_close(o, at);
  }
}

/* "gdelt:<GLOBALEVENTID>": the id as GDELT wrote it, unless it has leading
 * zeros, which the number does not keep. */
static void wire_cluster_id(wire *o, const entry *e) {
  const char *id = fld(e, C_ID);
  size_t n = fld_len(e, C_ID);
  char digits[20];
  if (id[0] == '0' && n > 1) n = imp_u64_dec(digits, e->er.id), id = digits;
  wire_bytes2(o, EV_CLUSTER_ID, LIT("gdelt:"), id, n);
}

/* An export row (and the mentions rows of this article) -> an event. Its
 * body goes to b->events, its length to b->event_len (events are longer
 * than 127 bytes: a length slot would always have to move). */
static void encode_event(builder *b, const entry *e) {
  wire *o = &b->events;
  const erow *r = &e->er;
  size_t actor[2] = {actor_of(b, e, C_A1), actor_of(b, e, C_A2)};
  size_t start = wire_offset(o), t;
  size_t *lens = b->event_len; /* room: see pend_encode */
  wire_id(o, EV_ID, 'e', ++b->n_events);
  t = wire_open(o, EV_TYPES);
  wire_uint(o, TYPE_SCHEME, EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO);
  wire_str(o, TYPE_CODE, fld(e, C_EVENTCODE), fld_len(e, C_EVENTCODE));
  wire_str(o, TYPE_LABEL, r->label, strlen(r->label));
  wire_close(o, t);
  encode_participants(b, e, actor);
  size_t place = place_of(b, e, 2);
  if (place) wire_id(o, EV_PLACE_ID, 'p', place);
  wire_str(o, EV_START_DATE, r->date, 10);
  wire_uint(o, EV_QUAD_CLASS, (uint64_t)r->quad);
  if (r->has_goldstein) wire_wrapped_double(o, EV_GOLDSTEIN, r->goldstein);
  extmap x; /* the extensions after the counts (written first, below) */
  x.n = 0; /* not zeroed whole: ext_add() sets what it counts (1% of a run) */
  if (!e->own) /* first seen elsewhere */
    ext_add(&x, LIT("evrec/gdelt.source_url"), fld(e, C_SOURCEURL), fld_len(e, C_SOURCEURL));
  for (size_t i = 0; i < e->n_mentions; i++) {
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = same_mention(&e->mentions[i], &e->mentions[j]);
    if (!dup) encode_mention(b, &e->mentions[i], &x, actor[0], actor[1]);
  }
  wire_cluster_id(o, e);
  wire_uint(o, EV_IS_ROOT, r->is_root);
  wire_pair(o, EV_SOURCE_IDS, LIT("gdelt.globaleventid"), fld(e, C_ID), fld_len(e, C_ID));
  if (r->has_tone) wire_wrapped_double(o, EV_TONE, r->tone);
  /* DATEADDED is the record's updated_at (the latest); an event added in
   * an earlier batch keeps its own */
  if (r->added != b->updated) ext_add_time(b->m, &x, LIT("evrec/gdelt.date_added"), r->added);
  for (unsigned i = 0; i < 3; i++)
    if (fld_len(e, C_NUMMENTIONS + i))
      wire_count(o, &b->x->counts[i], fld(e, C_NUMMENTIONS + i), fld_len(e, C_NUMMENTIONS + i));
  wire_ext(o, EV_EXTENSIONS, &x);
  lens[b->n_events - 1] = wire_offset(o) - start;
}

/* ---------------------------------------------------------------- the record */

/* The article: its URL (or the citation GDELT gave instead), and what its
 * first mentions row says. */
static void encode_article(builder *b, wire *o) {
  const pend *p = b->p;
  const mrow *d = b->doc_known ? &b->doc : NULL;
  size_t at = wire_open(o, REC_ARTICLE);
  if (p->url) {
    wire_str(o, ART_URI, p->url, p->url_len);
  } else {
    const char *cite = p->key + strcspn(p->key, "|");
    if (*cite) wire_pair(o, ART_ALT_IDS, LIT("gdelt.source"), cite + 1, strlen(cite + 1));
  }
  if (d && d->type != 1)
    wire_pair(o, ART_ALT_IDS, LIT("gdelt.mention_identifier"), d->f[M_IDENTIFIER],
              strlen(d->f[M_IDENTIFIER]));
  if (d) wire_str(o, ART_LANGUAGE, LIT("en")); /* GDELT codes English text (translated if need be) */
  const char *domain = d && !blank(d->f[M_SOURCENAME]) ? d->f[M_SOURCENAME]
                       : p->url                         ? imp_url_domain(b->m, p->url)
                                                        : "";
  if (*domain) {
    size_t pub = wire_open(o, ART_PUBLISHER);
    wire_str(o, PUB_DOMAIN, domain, strlen(domain));
    wire_close(o, pub);
  }
  if (b->translated) {
    size_t t = wire_open(o, ART_TRANSLATION);
    if (b->language) wire_str(o, TRANS_SOURCE_LANGUAGE, b->language, strlen(b->language));
    if (b->engine) wire_str(o, TRANS_ENGINE, b->engine, b->engine_len);
    wire_close(o, t);
  }
  wire_close(o, at);
}

static void encode_provenance(builder *b, wire *o) {
  size_t at = wire_open(o, REC_PROVENANCE), sub;
  sub = wire_open(o, PROV_CODER);
  wire_str(o, CODER_NAME, LIT("GDELT"));
  wire_uint(o, CODER_KIND, EVREC__V1__CODER_KIND__CODER_KIND_MACHINE);
  wire_close(o, sub);
  sub = wire_open(o, PROV_CODEBOOKS);
  wire_str(o, CODEBOOK_NAME, LIT("CAMEO"));
  wire_str(o, CODEBOOK_VERSION, LIT("1.1b3"));
  wire_close(o, sub);
  wire_time(o, PROV_CODED_AT, b->updated);
  sub = wire_open(o, PROV_DATASET);
  wire_str(o, DATASET_NAME, LIT("GDELT 2.0 Events"));
  wire_str(o, DATASET_URI, LIT("http://data.gdeltproject.org/gdeltv2/"));
  wire_close(o, sub);
  wire_close(o, at);
}

/* Record extensions: what the article's first mentions row says of it. */
static void record_extensions(builder *b, wire *o) {
  const mrow *d = &b->doc;
  extmap x;
  x.n = 0; /* not zeroed whole: ext_add() sets what it counts (1% of a run) */
  char type[4];
  if (!b->doc_known) return;
  if (d->has_doclen)
    ext_add(&x, LIT("evrec/gdelt.mention_doc_len"), d->f[M_DOCLEN], strlen(d->f[M_DOCLEN]));
  ext_add_time(b->m, &x, LIT("evrec/gdelt.mention_time"), d->mention_time);
  if (d->type != 1) {
    int n = snprintf(type, sizeof type, "%d", d->type);
    ext_add(&x, LIT("evrec/gdelt.mention_type"), type, (size_t)n);
  }
  if (!blank(d->f[M_EXTRAS]))
    ext_add(&x, LIT("evrec/gdelt.mention_extras"), d->f[M_EXTRAS], strlen(d->f[M_EXTRAS]));
  wire_ext(o, REC_EXTENSIONS, &x);
}

/* Puts the record together in o, its events being encoded already. */
static void encode_record(builder *b, wire *o) {
  wire_str(o, REC_ID, b->id, b->id_len);
  wire_uint(o, REC_REVISION, 1);
  wire_uint(o, REC_STATUS, EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE);
  wire_time(o, REC_UPDATED_AT, b->updated);
  encode_article(b, o);
  for (size_t i = 0; i < b->n_actors; i++) encode_actor(b, o, i);
  for (size_t i = 0; i < b->n_places; i++) encode_place(b, o, i);
  const char *body = b->events.b->data;
  for (size_t i = 0; i < b->n_events && !b->events.b->oom; body += b->event_len[i++])
    wire_bytes(o, REC_EVENTS, body, b->event_len[i]);
  encode_provenance(b, o);
  record_extensions(b, o);
}

/* ---------------------------------------------------------------- pending -> record */

/* Splits a stored row (NUL-terminating fields in place); @return count. */
static size_t split_stored(char *s, char **f, size_t *len, size_t max) {
  size_t k = 0;
  for (;;) {
    char *t = strchr(s, '\t');
    if (k < max) {
      f[k] = s;
      len[k] = t ? (size_t)(t - s) : strlen(s);
    }
    k++;
    if (!t) break;
    *t = '\0';
    s = t + 1;
  }
  return k < max ? k : max;
}

/* An export row as read: its bytes (fields NUL-terminated in place) and
 * where each of the 61 fields starts (off[N_COLS]: the row's length + 1). */
typedef struct stored_row {
  const char *bytes;
  size_t len;
  uint32_t off[N_COLS + 1];
} stored_row;

/* Entry layout in pend->buf: u32 n, the field offsets in OFF_SLOTS slots
 * and the n bytes of the row (store_row: u16 offsets and the kept fields
 * when n <= 65535, else u32 offsets and the whole row; fields end with a
 * NUL), its parsed erow, a byte that says whether this is the row's own
 * article, u32 number of mentions, then per mention u32 length, bytes
 * (tab-separated) + NUL. */
static uint32_t get_u32(const char **p) {
  uint32_t v;
  memcpy(&v, *p, sizeof v);
  *p += sizeof v;
  return v;
}

/* The mentions rows stored after an entry, split and parsed again. */
static const char *read_mentions(imp *m, const char *q, entry *e) {
  uint32_t n = get_u32(&q);
  e->mentions = n ? imp_alloc(m, n * sizeof *e->mentions) : NULL;
  e->n_mentions = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = get_u32(&q);
    char **f = imp_alloc(m, (N_MCOLS + 1) * sizeof *f);
    size_t flen[N_MCOLS + 1], nf = f ? split_stored((char *)q, f, flen, N_MCOLS + 1) : 0;
    q += len + 1;
    if (f && e->mentions && parse_mention(m, f, flen, nf, &e->mentions[e->n_mentions]) == 0)
      e->n_mentions++;
  }
  return q;
}

/* The entries of p, read back; NULL when out of memory. */
static entry *read_entries(imp *m, const pend *p) {
  entry *es = imp_alloc(m, (p->n_entries ? p->n_entries : 1) * sizeof *es);
  const char *q = p->buf;
  for (uint32_t i = 0; es && i < p->n_entries; i++) {
    entry *e = &es[i];
    uint32_t n = get_u32(&q);
    if (n > UINT16_MAX) { /* see store_row */
      memcpy(e->off, q, sizeof e->off);
      q += OFF_SLOTS * 4;
    } else {
      uint16_t off[OFF_SLOTS];
      memcpy(off, q, sizeof off);
      q += sizeof off;
      for (unsigned k = 0; k < OFF_SLOTS; k++) e->off[k] = off[k];
    }
    e->row = q;
    q += n;
    memcpy(&e->er, q, sizeof e->er);
    q += sizeof e->er;
    e->own = *q++ != 0;
    q = read_mentions(m, q, e);
  }
  return es;
}

/* Encodes record p and hands it to the writer (the writing side, which
 * owns x). The rows that repeated an event were left out when added. */
static int pend_encode(encoder *x, const pend *p) {
  imp *m = x->m;
  /* every field set here or below, none zeroed in bulk: `= {...}` zeroed
   * the whole struct (doc too, read only once a mentions row has filled
   * it) with a `rep stos` per record */
  builder b;
  b.x = x, b.m = m, b.p = p;
  b.updated = 0;
  b.n_actors = b.n_places = b.n_events = 0;
  b.translated = b.doc_known = false;
  b.language = b.engine = NULL;
  b.engine_len = 0;
  wire out;
  b.id = p->url ? p->url : imp_printf(m, "gdelt:%s", p->key);
  b.id_len = p->url ? p->url_len : strlen(b.id);
  entry *es = read_entries(m, p);
  /* at most two actors, three places and one event an entry: the arrays
   * are allocated once (growing them was 5% of encoding) */
  size_t n = p->n_entries ? p->n_entries : 1;
  b.actors = imp_alloc(m, 2 * n * sizeof *b.actors);
  b.places = imp_alloc(m, 3 * n * sizeof *b.places);
  b.event_len = imp_alloc(m, n * sizeof *b.event_len);
  if (!es || !b.actors || !b.places || !b.event_len) return imp_fail(m, "out of memory");
  for (uint32_t i = 0; i < p->n_entries; i++)
    if (es[i].er.added > b.updated) b.updated = es[i].er.added;
  x->events.len = 0;
  wire_start(&b.events, &x->events);
  for (uint32_t i = 0; i < p->n_entries; i++) encode_event(&b, &es[i]);
  wire_finish(&b.events);
  if (x->events.oom) m->oom = true; /* imp_emit_packed() refuses the record */
  /* pbd output: the record is encoded in the writer's buffer itself */
  size_t mark;
  evrec__buf *direct = imp_packed_begin(m, &mark);
  if (!direct) x->record.len = 0;
  wire_start(&out, direct ? direct : &x->record);
  encode_record(&b, &out);
  wire_finish(&out);
  return direct ? imp_packed_end(m, mark) : imp_emit_packed(m, &x->record);
}

/* The reading side's part of writing complete record p: warns of the rows
 * that repeated an event, notes the article as written (window mode) and
 * takes the record off the table. On failure p stays on the table, where
 * gdelt_free() finds it. */
static int pend_take(gdelt *g, pend *p) {
  imp *m = g->m;
  if (p->n_dups) {
    const char *id = p->url ? p->url : imp_printf(m, "gdelt:%s", p->key);
    for (size_t i = 0; i < p->n_dups; i++)
      imp_warn(m, "%s: event %0*llu appears twice; the later row is left out", id,
               (int)p->dups[i].len, (unsigned long long)p->dups[i].id);
  }
  if (!g->o->two_pass && !written_add(&g->written, p->hash, p->first_line))
    return imp_fail(m, "out of memory");
  pend_unlink(g, p);
  return 0;
}

static int pipe_put(gdelt *g, pend *p);

/* Writes complete record p: encodes it here, or hands it to the writing
 * thread. */
static int pend_write(gdelt *g, pend *p) {
  /* not made a spare when it fails: p is still on the table, and a pend
   * both there and in the spares was freed twice (out of memory here) */
  if (pend_take(g, p)) return IMP_STOP;
  if (g->pipe) return pipe_put(g, p);
  int rc = pend_encode(&g->enc, p);
  p->chain = NULL;
  pend_spare(g, p);
  return rc;
}

/* ====================================================================== */
/* The writing thread                                                     */
/* ====================================================================== */

/* With two cores or more (and -j other than 1), records are encoded and
 * written on a second thread: the reading thread reads, checks and groups
 * rows (about half the work) and queues each complete record; the writing
 * thread encodes it and hands it to the writer (the other half, and the
 * write(2)s), then gives the pend back for reuse. Records are written in
 * the order they were queued, the order the one-thread run writes them, so
 * the output is the same byte for byte.
 *
 * Messages: the reading side says everything about rows, and warns of
 * repeated events before it queues the record (as the one-thread run does,
 * at the same line). The writing side has an imp of its own (arena,
 * counters), stamped with the position the record was queued at; it can
 * only say that the writer refused a record or failed, which then stops
 * the run: the reading side sees it at its next record, so it may have
 * reported rows past that point. Mentions (--mentions) are joined on one
 * thread: a translation warning comes while the record is encoded, and
 * would otherwise come out of order. The queue holds PIPE_CAP records:
 * memory stays bounded by the window. */
#define PIPE_CAP 128
/* A side that waits is woken when PIPE_BATCH records (or room for as many)
 * are there, not at each one: a wake-up per record (a futex call and a
 * context switch) cost a tenth of the run. */
#define PIPE_BATCH 32

typedef struct pipeline {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t changed; /* records or room for them, the end, a failure */
  pend *ring[PIPE_CAP];
  size_t first, n;        /* the queued records */
  pend *done, *done_last; /* written records, back for reuse (chained), */
                          /* and the last of the chain (spliced whole) */
  bool closed;            /* no more records will come */
  bool failed;            /* the writing side stopped: enc.m->status says why */
  bool reader_waits, writer_waits; /* for room, for records */
  encoder *x;
} pipeline;

static void prefetch_pend(const pend *p) {
#if defined(__GNUC__)
  for (size_t i = 0; p && i < p->len; i += 64) __builtin_prefetch(p->buf + i);
#else
  (void)p;
#endif
}

static void *pipe_main(void *arg) {
  pipeline *q = arg;
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (!q->n && !q->closed) {
      q->writer_waits = true;
      pthread_cond_wait(&q->changed, &q->mu);
    }
    q->writer_waits = false;
    if (!q->n) break; /* closed, all written */
    pend *p = q->ring[q->first];
    const pend *next = q->n > 1 ? q->ring[(q->first + 1) % PIPE_CAP] : NULL;
    pthread_mutex_unlock(&q->mu);
    prefetch_pend(next); /* stored a window ago: cold */
    q->x->m->line = p->done_line;
    q->x->m->file = p->done_file;
    int rc = pend_encode(q->x, p);
    pthread_mutex_lock(&q->mu);
    q->first = (q->first + 1) % PIPE_CAP;
    q->n--;
    p->chain = q->done;
    if (!q->done) q->done_last = p;
    q->done = p;
    if (rc) q->failed = true;
    if (rc || (q->reader_waits && q->n <= PIPE_CAP - PIPE_BATCH)) pthread_cond_broadcast(&q->changed);
    if (rc) break;
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

/* The writing side stopped: its status becomes the run's. */
static int pipe_failed(gdelt *g) {
  g->m->status = g->m2.status ? g->m2.status : CLI_EXIT_USAGE;
  return IMP_STOP;
}

static int pipe_put(gdelt *g, pend *p) {
  pipeline *q = g->pipe;
  p->done_line = g->m->line;
  p->done_file = g->m->file;
  pthread_mutex_lock(&q->mu);
  while (q->n == PIPE_CAP && !q->failed) {
    q->reader_waits = true;
    pthread_cond_wait(&q->changed, &q->mu);
  }
  q->reader_waits = false;
  bool failed = q->failed;
  if (!failed) {
    q->ring[(q->first + q->n) % PIPE_CAP] = p;
    q->n++;
    if (q->writer_waits && q->n >= PIPE_BATCH) pthread_cond_broadcast(&q->changed);
  }
  pend *done = q->done, *last = q->done_last;
  q->done = NULL;
  pthread_mutex_unlock(&q->mu);
  if (done) { /* spliced, not walked: each pend is another core's cache line */
    last->chain = g->spares;
    g->spares = done;
  }
  if (!failed) return 0;
  p->chain = NULL;
  pend_spare(g, p);
  return pipe_failed(g);
}

/* Starts the writing thread, if the run should have one. @return 0, or
 * IMP_STOP when out of resources (reported). */
static int pipe_start(gdelt *g) {
  if (g->o->n_mentions || !g->threads) return 0;
  pipeline *q = calloc(1, sizeof *q);
  imp *m2 = &g->m2;
  *m2 = *g->m;
  m2->n_bad = m2->n_warnings = m2->n_records = 0;
  m2->status = 0;
  m2->oom = false;
  m2->arena = evrec_arena_new(0);
  if (!q || !m2->arena) {
    free(q);
    if (m2->arena) evrec_arena_free(m2->arena);
    m2->arena = NULL;
    return imp_fail(g->m, "out of memory");
  }
  m2->alloc = evrec_arena_allocator(m2->arena);
  q->x = &g->enc;
  g->enc.m = m2;
  if (pthread_mutex_init(&q->mu, NULL)) goto fail_mutex;
  if (pthread_cond_init(&q->changed, NULL)) goto fail_cond;
  if (pthread_create(&q->thread, NULL, pipe_main, q)) goto fail_thread;
  g->pipe = q;
  return 0;
fail_thread:
  pthread_cond_destroy(&q->changed);
fail_cond:
  pthread_mutex_destroy(&q->mu);
fail_mutex:
  free(q);
  g->enc.m = g->m; /* go on with one thread */
  evrec_arena_free(m2->arena);
  m2->arena = NULL;
  return 0;
}

/* Lets the writing thread write what is queued, waits for it, and takes
 * its counts into the run's. @return rc, or IMP_STOP when the writing side
 * failed. */
static int pipe_end(gdelt *g, int rc) {
  pipeline *q = g->pipe;
  if (!q) return rc;
  pthread_mutex_lock(&q->mu);
  q->closed = true;
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->mu);
  pthread_join(q->thread, NULL);
  pend_spare(g, q->done);
  for (size_t i = 0; i < q->n; i++) { /* left when the writing side failed */
    pend *p = q->ring[(q->first + i) % PIPE_CAP];
    p->chain = NULL;
    pend_spare(g, p);
  }
  imp *m = g->m, *m2 = &g->m2;
  m->n_records += m2->n_records;
  m->n_bad += m2->n_bad;
  m->n_warnings += m2->n_warnings;
  if (q->failed && !rc) rc = pipe_failed(g);
  pthread_cond_destroy(&q->changed);
  pthread_mutex_destroy(&q->mu);
  free(q);
  g->pipe = NULL;
  g->enc.m = m;
  evrec_arena_free(m2->arena);
  m2->arena = NULL;
  return rc;
}

/* ====================================================================== */
/* Reading export rows                                                    */
/* ====================================================================== */

/* The pending record of article `k`, created if new. A key whose record
 * was already written (window mode) is an error at the current row. */
static int pend_get(gdelt *g, const akey *k, const char *why, pend **out) {
  imp *m = g->m;
  pend *p = pend_find(g, k);
  if (!p) {
    const uint64_t *w = g->o->two_pass ? NULL : written_get(&g->written, k->hash);
    if (w) {
      *out = NULL;
      return imp_bad(m, "%s %s was already written (it began on line %llu, more than %llu rows "
                     "before); use a larger --window or --two-pass", why, k->s,
                     (unsigned long long)*w, (unsigned long long)g->o->window);
    }
    p = pend_new(g, k);
    if (!p) return imp_fail(m, "out of memory");
  }
  p->last = g->row;
  lru_unlink(g, p);
  lru_push(g, p);
  if (g->n_touched == g->cap_touched) {
    size_t cap = g->cap_touched ? 2 * g->cap_touched : 16;
    pend **t = realloc(g->touched, cap * sizeof *t);
    if (!t) return imp_fail(m, "out of memory");
    g->touched = t;
    g->cap_touched = cap;
  }
  g->touched[g->n_touched++] = p;
  *out = p;
  return 0;
}

/* Appends id to a pend's list. @return false when out of memory. */
static bool evid_add(evid **list, size_t *n, size_t *cap, evid id) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 16;
    evid *l = realloc(*list, c * sizeof *l);
    if (!l) return false;
    *list = l;
    *cap = c;
  }
  (*list)[(*n)++] = id;
  return true;
}

/* The columns a record is built from (encode_event and the actor and geo
 * blocks), as runs [from, to). The others are not stored: the dates, the
 * root and base codes, the quad class, Goldstein and tone are in the erow,
 * and SOURCEURL, on the article's own rows, is its URL. A stored row comes
 * back a window of rows later, from far caches (prefetch_next), so it is
 * kept small: ~420 bytes with its offsets and erow on the bench's file,
 * against ~760 for the whole row, its u32 offsets and the erow it had
 * (with coordinates). The last run is SOURCEURL. */
static const struct {
  unsigned from, to;
} KEPT[] = {{C_ID, C_ID + 1},
            {C_A1, C_ISROOT},
            {C_EVENTCODE, C_EVENTCODE + 1},
            {C_NUMMENTIONS, C_AVGTONE},
            {C_G1, C_DATEADDED},
            {C_SOURCEURL, N_COLS}};

/* Offsets dst[from .. to) of a run of KEPT that starts at n in the stored
 * bytes (the fields left out before it, from `gap`, start there too).
 * Inlined with constant columns, so that the loops are vector loops.
 * @return where the run ends. */
IMP_INLINE uint32_t keep_run(uint16_t *restrict dst, const uint32_t *restrict src, unsigned gap,
                             unsigned from, unsigned to, uint32_t n) {
  for (unsigned i = gap; i < from; i++) dst[i] = (uint16_t)n;
  uint32_t shift = src[from] - n; /* fields keep their places within a run */
  for (unsigned i = from; i < to; i++) dst[i] = (uint16_t)(src[i] - shift);
  return src[to] - shift;
}

/* Appends row sr to p's buffer in the entry layout (read_entries): its
 * kept fields and their offsets as u16 (a field left out gets the offset
 * of the next kept one, and is not to be read); a row of 64 KB or more
 * (never seen: GDELT's are ~400 bytes) whole, with u32 offsets, since
 * its kept fields may end past 65535. @return false when out of memory. */
static bool store_row(pend *p, const stored_row *sr, bool own) {
  uint16_t off[OFF_SLOTS];
  const uint32_t *so = sr->off;
  uint32_t n = 0;
  bool wide = sr->len >= UINT16_MAX;
  unsigned runs = (unsigned)(sizeof KEPT / sizeof KEPT[0]) - own;
  if (wide) {
    n = so[N_COLS];
  } else {
    n = keep_run(off, so, 0, KEPT[0].from, KEPT[0].to, n);
    n = keep_run(off, so, KEPT[0].to, KEPT[1].from, KEPT[1].to, n);
    n = keep_run(off, so, KEPT[1].to, KEPT[2].from, KEPT[2].to, n);
    n = keep_run(off, so, KEPT[2].to, KEPT[3].from, KEPT[3].to, n);
    n = keep_run(off, so, KEPT[3].to, KEPT[4].from, KEPT[4].to, n);
    if (!own) n = keep_run(off, so, KEPT[4].to, KEPT[5].from, KEPT[5].to, n);
    for (unsigned col = KEPT[runs - 1].to; col < OFF_SLOTS; col++) off[col] = (uint16_t)n;
  }
  size_t need = 4 + OFF_SLOTS * (wide ? 4 : 2) + n;
  if (p->len + need > p->cap && !buf_grow(p, need)) return false;
  char *q = p->buf + p->len;
  memcpy(q, &n, 4);
  q += 4;
  if (wide) {
    memcpy(q, so, (N_COLS + 1) * 4);
    q += OFF_SLOTS * 4;
    memcpy(q, sr->bytes, n);
    q[n - 1] = '\0';
    q += n;
  } else {
    memcpy(q, off, sizeof off);
    q += sizeof off;
    for (unsigned r = 0; r < runs; r++) {
      uint32_t from = so[KEPT[r].from], len = so[KEPT[r].to] - from;
      memcpy(q, sr->bytes + from, len);
      q[len - 1] = '\0'; /* the last field's end: a NUL, or a tab the careful split left */
      q += len;
    }
  }
  p->len = (size_t)(q - p->buf);
  return true;
}

/* Appends an entry (export row + the given mentions rows) to p; `own`:
 * p is the article of the row's SOURCEURL. A row whose event is in the
 * record already (the same GLOBALEVENTID twice) is not kept, only noted
 * for a warning when the record is written (pend_take); its mentions rows
 * still count for the article's URL. */
static int add_entry(gdelt *g, pend *p, const stored_row *sr, const erow *er, bool own,
                     const uint32_t *refs, size_t n_refs) {
  char *f[N_MCOLS];
  size_t len[N_MCOLS], nf;
  uint8_t own_byte = own;
  evid id = {er->id, sr->off[C_ID + 1] - sr->off[C_ID] - 1};
  bool dup = false;
  for (size_t i = 0; i < p->n_ids && !dup; i++) dup = p->ids[i].id == id.id && p->ids[i].len == id.len;
  bool ok = dup ? evid_add(&p->dups, &p->n_dups, &p->cap_dups, id)
                : evid_add(&p->ids, &p->n_ids, &p->cap_ids, id) &&
                      store_row(p, sr, own) && buf_add(p, er, sizeof *er) &&
                      buf_add(p, &own_byte, 1) && buf_add_u32(p, (uint32_t)n_refs);
  for (size_t i = 0; ok && i < n_refs; i++) {
    if (read_mention(g, refs[i], f, len, &nf)) return IMP_STOP;
    ok = pend_url(p, f[M_IDENTIFIER], len[M_IDENTIFIER]);
    if (dup) continue;
    uint32_t n = g->refs[refs[i]].len;
    /* read_mention split the row: restore the tabs it turned into NULs */
    for (char *c = g->scratch; c < g->scratch + n; c++)
      if (!*c) *c = '\t';
    ok = ok && buf_add_u32(p, n) && buf_add(p, g->scratch, n + 1);
  }
  p->n_entries += !dup;
  return ok ? 0 : imp_fail(g->m, "out of memory");
}

/* The mentions of event `id`, in file order, grouped by article. */
static int event_mentions(gdelt *g, uint64_t id, uint32_t **out, size_t *n) {
  static const uint32_t none = NONE;
  const uint64_t *head = map_get(&g->by_event, id);
  size_t count = 0;
  for (uint32_t i = head ? (uint32_t)*head : none; i != NONE; i = g->refs[i].next) count++;
  *n = 0;
  *out = NULL;
  if (!count) return 0;
  uint32_t *v = imp_alloc(g->m, count * sizeof *v);
  if (!v) return imp_fail(g->m, "out of memory");
  size_t k = count;
  for (uint32_t i = (uint32_t)*head; i != NONE; i = g->refs[i].next) v[--k] = i, g->refs[i].used = true;
  *out = v;
  *n = count;
  return 0;
}

static int row_articles(gdelt *g, const erow *er, const stored_row *sr) {
  imp *m = g->m;
  uint32_t *refs, *same = NULL;
  size_t n, n_same = 0;
  akey key;
  if (event_mentions(g, er->id, &refs, &n)) return IMP_STOP;
  const char *src = sr->bytes + sr->off[C_SOURCEURL];
  size_t src_len = sr->off[C_SOURCEURL + 1] - sr->off[C_SOURCEURL] - 1;
  if (!source_key(g, &key, er->id, src, src_len)) {
    imp_bad_col(m, C_SOURCEURL + 1, COL_NAMES[C_SOURCEURL], "is a citation longer than %zu bytes",
                sizeof key.buf - 24);
    return m->status ? IMP_STOP : 0;
  }
  uint64_t src_hash = key.hash;
  if (n) same = imp_alloc(m, n * sizeof *same);
  for (size_t i = 0; i < n; i++)
    if (g->refs[refs[i]].key_hash == src_hash) same[n_same++] = refs[i];
  pend *p;
  int rc = pend_get(g, &key, "article", &p);
  if (rc || !p) return rc;
  if (!pend_url(p, src, src_len)) return imp_fail(m, "out of memory");
  if (add_entry(g, p, sr, er, true, same, n_same)) return IMP_STOP;
  /* articles that mention the event besides its SOURCEURL */
  for (size_t i = 0; i < n; i++) {
    if (refs[i] == NONE) continue;
    uint64_t h = g->refs[refs[i]].key_hash;
    if (h == src_hash) continue;
    size_t k = 0;
    for (size_t j = i; j < n; j++)
      if (refs[j] != NONE && g->refs[refs[j]].key_hash == h) same[k++] = refs[j], refs[j] = NONE;
    char *f[N_MCOLS];
    size_t len[N_MCOLS], nf;
    if (read_mention(g, same[0], f, len, &nf)) return IMP_STOP;
    if (!key_of(&key, er->id, f[M_IDENTIFIER], len[M_IDENTIFIER])) continue; /* too long to key */
    rc = pend_get(g, &key, "mentioning article", &p);
    if (rc || !p) return rc;
    if (add_entry(g, p, sr, er, false, same, k)) return IMP_STOP;
  }
  return 0;
}

/* Asks the CPU for the filter word of article `hash` among the articles
 * written (see written_set). */
static void prefetch_written(const gdelt *g, uint64_t hash) {
#if defined(__GNUC__)
  const written_set *w = &g->written;
  if (w->n_words) __builtin_prefetch(&w->bits[bloom_word(w, hash)]);
#else
  (void)g, (void)hash;
#endif
}

/* Asks the CPU for the stored rows of the record to be written next (the
 * oldest, in window mode): they were written a whole window of rows ago
 * and are out of the caches by now, and reading them back cold was the
 * most costly part of writing a record (perf: a third of pend_write's
 * time stalled on its first loads). A few rows pass before that record is
 * written, time enough for its lines to arrive. */
static void prefetch_next(gdelt *g) {
  pend *p = g->head;
  if (!p || p == g->prefetched) return;
  g->prefetched = p;
#if defined(__GNUC__)
  /* the record after p, next to be written: a window of rows old, its
   * struct is cold, and taking p off the list writes its prev, then
   * flush_ready() reads its last (two misses a record, 3% of a one-thread
   * import) */
  if (p->next) {
    __builtin_prefetch(&p->next->last);
    __builtin_prefetch(&p->next->prev, 1);
  }
#endif
  prefetch_written(g, p->hash); /* where pend_take() will note it */
  if (!g->pipe) prefetch_pend(p); /* with a writing thread, that thread's own */
}

/* Writes the records that are complete after this row. */
static int flush_ready(gdelt *g) {
  if (g->o->two_pass) {
    for (size_t i = 0; i < g->n_touched; i++) {
      pend *p = g->touched[i];
      if (!p) continue;
      const uint64_t *last = map_get(&g->last_row, p->hash);
      if (last && *last > g->row) continue;
      for (size_t j = i + 1; j < g->n_touched; j++)
        if (g->touched[j] == p) g->touched[j] = NULL;
      if (pend_write(g, p)) return IMP_STOP;
    }
  } else {
    while (g->head && g->row - g->head->last >= g->o->window)
      if (pend_write(g, g->head)) return IMP_STOP;
    prefetch_next(g);
  }
  g->n_touched = 0;
  return 0;
}

/* Splits the row last read the careful way (imp_csv_split_row). @return
 * true, or false with the problem reported and *status what to return. */
static bool split_row(imp *m, imp_csv *in, char ***f, size_t **len, size_t *nf, int *status) {
  char why[256];
  int rc = imp_csv_split_row(in, f, len, nf, why, sizeof why);
  if (rc == 1) return true;
  *status = rc == -1 ? imp_fail(m, "%s: %s", m->file, why) : imp_bad(m, "%s", why);
  return false;
}

/* An export row the fast path did not take: split and checked with
 * messages. @return 0, or 1 when the row is bad (reported). A row that is
 * not even valid text does not count in g->row. */
static int careful_export(gdelt *g, imp_csv *in, erow *er, stored_row *sr) {
  char **f;
  size_t *len, nf;
  int status;
  if (!split_row(g->m, in, &f, &len, &nf, &status)) return 1;
  g->row++;
  if (parse_export(g, f, len, nf, er)) return 1;
  /* trailing empty fields (tolerated) are not part of the stored row */
  sr->len = (size_t)(f[N_COLS - 1] + len[N_COLS - 1] - f[0]);
  for (int i = 0; i < N_COLS; i++) sr->off[i] = (uint32_t)(f[i] - f[0]);
  return 0;
}

/* GDELT ends every row with a newline: a last line without one is a file
 * cut short (said after what splitting finds wrong with the row). */
static int cut_short(imp *m, imp_csv *in) {
  char **f;
  size_t *len, nf;
  int status;
  if (!split_row(m, in, &f, &len, &nf, &status)) return status;
  return imp_bad(m, "the last line has no newline: the file ends inside a row (cut short?)");
}

/* Asks the CPU for where the row's article will be looked up: its slot in
 * the table of pending records and its word in the filter of articles
 * written (written_set), both likely out of L1 for a new article, which
 * checking the row's values now hides. The key is kept by source_key() for
 * the lookup. */
static void prefetch_article(gdelt *g, const char *src, size_t n) {
#if defined(__GNUC__)
  akey k;
  if (!n || !source_key(g, &k, 0, src, n) || k.s == k.buf) return; /* citation keys need the id */
  if (g->n_slots) __builtin_prefetch(&g->slots[k.hash & (g->n_slots - 1)]);
  prefetch_written(g, k.hash);
#else
  (void)g, (void)src, (void)n;
#endif
}

static int export_row(gdelt *g, imp_csv *in, char *row, size_t len) {
  imp *m = g->m;
  erow er;
  /* the row as stored: fields NUL-terminated, one after another */
  stored_row sr; /* its offsets come from the split (not zeroed: 1% of a run) */
  sr.bytes = row;
  sr.len = len;
  cursor c = {row, sr.off};
  if (imp_csv_unterminated(in)) return cut_short(m, in);
  bool split = imp_csv_split_tabs(row, len, sr.off, N_COLS);
  if (split) prefetch_article(g, row + sr.off[C_SOURCEURL], len - sr.off[C_SOURCEURL]);
  if (split && fast_export(g, &c, &er)) {
    g->row++;
  } else {
    if (split) untake(&c);
    if (careful_export(g, in, &er, &sr)) return m->status ? IMP_STOP : 0;
  }
  sr.off[N_COLS] = (uint32_t)sr.len + 1;
  int rc = row_articles(g, &er, &sr);
  if (!m->status) imp_discard(m); /* the arena held only this row's scratch */
  return rc ? rc : flush_ready(g);
}

/* Runs `fn` on every row of every export file. */
static int each_row(gdelt *g, const char *const *inputs, size_t n,
                    int (*fn)(gdelt *g, imp_csv *in, char *row, size_t len)) {
  imp *m = g->m;
  for (size_t i = 0; i < n; i++) {
    imp_csv *c;
    char why[256], *row;
    size_t len;
    if (imp_csv_open(&c, inputs[i], '\t', false, m->max_row, why, sizeof why))
      return imp_fail(m, "%s", why);
    if (g->threads) imp_csv_readahead(c);
    m->file = cli_display_name(inputs[i], false);
    int rc, status = 0;
    while ((rc = imp_csv_next_row(c, &row, &len, why, sizeof why)) != 0) {
      m->line = rc == -1 ? 0 : imp_csv_line(c);
      status = rc == -1 ? imp_fail(m, "%s: %s", m->file, why) : fn(g, c, row, len);
      if (status) break;
    }
    imp_csv_close(c);
    m->line = 0;
    if (status) return status;
  }
  return 0;
}

/* Pass one of --two-pass: the last row of every article. A row that does
 * not split (bad UTF-8, a NUL) is skipped without a word: pass two reports
 * it, once. */
static int note_last(gdelt *g, imp_csv *in, char *row, size_t row_len) {
  char **f, why[256];
  size_t *len, nf;
  uint64_t id;
  (void)row, (void)row_len;
  int rc = imp_csv_split_row(in, &f, &len, &nf, why, sizeof why);
  if (rc == -1) return imp_fail(g->m, "%s: %s", g->m->file, why);
  if (rc != 1) return 0;
  g->row++;
  if (nf < N_COLS || !imp_parse_u64(f[C_ID], len[C_ID], &id) || !len[C_SOURCEURL]) return 0;
  uint64_t *v = map_put(&g->last_row, key_hash_of(id, f[C_SOURCEURL], len[C_SOURCEURL]), 0);
  if (!v) return imp_fail(g->m, "out of memory");
  *v = g->row;
  const uint64_t *head = map_get(&g->by_event, id);
  for (uint32_t i = head ? (uint32_t)*head : NONE; i != NONE; i = g->refs[i].next) {
    v = map_put(&g->last_row, g->refs[i].key_hash, 0);
    if (!v) return imp_fail(g->m, "out of memory");
    *v = g->row;
  }
  return 0;
}

static void report_orphans(gdelt *g) {
  u64map events = {0};
  for (size_t i = 0; i < g->n_refs; i++)
    if (!g->refs[i].used) {
      g->orphans++;
      uint64_t *v = map_put(&events, g->refs[i].event_id, 0);
      if (v && !(*v)++) g->orphan_events++;
    }
  map_free(&events);
  if (g->orphans && !g->m->quiet)
    cli_error("%llu mentions row%s of %llu event%s not in the export files skipped (orphans)",
              (unsigned long long)g->orphans, g->orphans == 1 ? "" : "s",
              (unsigned long long)g->orphan_events, g->orphan_events == 1 ? "" : "s");
}

static void gdelt_free(gdelt *g) {
  while (g->head) {
    pend *p = g->head;
    pend_unlink(g, p);
    p->chain = NULL;
    pend_spare(g, p);
  }
  pend_free_spares(g);
  for (size_t i = 0; i < g->o->n_mentions; i++)
    if (g->mfd[i] >= 0) close(g->mfd[i]);
  free(g->mfd);
  free(g->enc.actor_bodies);
  free(g->enc.place_bodies);
  free(g->refs);
  free(g->slots);
  free(g->touched);
  free(g->scratch);
  evrec__buf_free(&g->enc.events);
  evrec__buf_free(&g->enc.record);
  map_free(&g->by_event);
  written_free(&g->written);
  map_free(&g->last_row);
}

int imp_gdelt(imp *m, const char *const *inputs, size_t n, const imp_gdelt_options *o) {
  gdelt g;
  memset(&g, 0, sizeof g);
  g.m = m;
  g.o = o;
  g.mfd = malloc((o->n_mentions + 1) * sizeof *g.mfd);
  if (!g.mfd) return imp_fail(m, "out of memory");
  g.enc.m = m;
  g.threads = o->threads > 1 || (o->threads == 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1);
  g.enc.actor_bodies = calloc(1, sizeof *g.enc.actor_bodies); /* NULL: no cache, no harm */
  g.enc.place_bodies = calloc(1, sizeof *g.enc.place_bodies);
  count_ext counts[3];
  for (int i = 0; i < 3; i++) count_ext_make(&counts[i], &COUNT_KEYS[i]);
  g.enc.counts = counts;
  for (size_t i = 0; i < o->n_mentions; i++) g.mfd[i] = -1;
  int rc = 0;
  for (size_t i = 0; i < o->n_mentions && !rc; i++) rc = index_file(&g, (uint32_t)i);
  if (!rc && o->two_pass) {
    rc = each_row(&g, inputs, n, note_last);
    g.row = 0;
  }
  if (!rc) rc = pipe_start(&g);
  if (!rc) rc = each_row(&g, inputs, n, export_row);
  m->line = 0;
  while (!rc && g.head) rc = pend_write(&g, g.head);
  rc = pipe_end(&g, rc);
  if (!rc) report_orphans(&g);
  gdelt_free(&g);
  return rc;
}
