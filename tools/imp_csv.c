/*
 * imp_csv.c -- a streaming CSV/TSV row reader for the importers.
 *
 * One buffer of unread bytes, as src/reader.c keeps:
 *
 *   buf [ consumed | unread: pos .. end | free: end .. cap ]
 *
 * A row is found first (its end is the first '\n' outside quotes; the
 * scan resumes where it stopped when more bytes arrive, so a row is
 * scanned once however it trickles in), then split in place: separators
 * and the row end become NULs, quoted fields are unquoted ("" -> ") where
 * they stand. Fields stay valid until the next call. The buffer grows only
 * while one row does not fit, up to max_row, which bounds memory.
 *
 * Quoting follows RFC 4180 when `quotes` is set (a field that starts with
 * '"' runs to the matching '"', may hold separators, line ends and doubled
 * quotes); otherwise (GDELT's TSV) a quote is an ordinary byte. Rows end in
 * "\n" or "\r\n"; blank lines are skipped; the last row needs no newline.
 * A UTF-8 byte order mark at the start of the file is skipped (Excel writes
 * one into ACLED downloads). Every row must be valid UTF-8 without NUL
 * bytes: strings go into protobuf fields as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imp.h"

#define CHUNK (256u * 1024u)
/* Bytes allocated past the buffer's end (and its NUL byte), so that a row
 * can be scanned in whole 64-byte blocks (imp_csv_split_tabs). */
#define SCAN_PAD 64u

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

typedef struct readahead readahead;

struct imp_csv {
  int fd;
  readahead *ra;    /* a thread reading ahead (imp_csv_readahead), or NULL */
  bool own_fd;
  char sep;
  bool quotes;
  size_t max_row;
  char *buf;
  size_t cap, pos, end;
  uint64_t buf_off; /* file offset of buf[0] */
  bool eof, started;
  bool unterminated; /* the row returned last had no line end (the input's end) */
  size_t scan;      /* quoted scan: bytes of the pending row already scanned */
  int qstate;       /* quoted scan state at buf[pos + scan] (Q_* below) */
  uint64_t line;    /* line number of buf[pos] */
  uint64_t row_line, row_off;
  char *row;        /* the row returned last (imp_csv_next_row) */
  size_t rowlen;
  char **f;
  size_t *len;
  size_t fcap;
};

int imp_csv_open(imp_csv **out, const char *path, char sep, bool quotes, size_t max_row,
                 char *why, size_t why_size) {
  *out = NULL;
  imp_csv *c = calloc(1, sizeof *c);
  if (!c) return snprintf(why, why_size, "out of memory"), -1;
  c->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (c->fd < 0) {
    snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
    free(c);
    return -1;
  }
  c->own_fd = c->fd != STDIN_FILENO;
  c->sep = sep;
  c->quotes = quotes;
  c->max_row = max_row;
  c->line = 1;
  *out = c;
  return 0;
}

/* ---------------------------------------------------------------- read-ahead */

/* read(2) copies each byte from the page cache, a tenth of a GDELT
 * import's reading thread. imp_csv_readahead() moves that copy to a thread
 * of its own: it reads the next RA_CHUNKS chunks while rows are parsed,
 * and fill() takes them with a memcpy. Only for regular files, whose reads
 * never block for long: closing stops the thread after its current read. */
#define RA_CHUNKS 4

struct readahead {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;  /* a chunk filled, a chunk free, stop */
  int fd;
  char *chunk[RA_CHUNKS];
  size_t len[RA_CHUNKS];
  int err[RA_CHUNKS]; /* errno of a failed read; with len 0 and no error: the end */
  size_t first, n;    /* the filled chunks, in order */
  size_t used;        /* bytes of chunk[first] already taken */
  bool stop, done;    /* done: the thread met the end or an error */
};

static void *ra_main(void *arg) {
  readahead *r = arg;
  pthread_mutex_lock(&r->mu);
  while (!r->stop && !r->done) {
    while (r->n == RA_CHUNKS && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
    if (r->stop) break;
    size_t i = (r->first + r->n) % RA_CHUNKS;
    pthread_mutex_unlock(&r->mu);
    ssize_t got;
    do got = read(r->fd, r->chunk[i], CHUNK);
    while (got < 0 && errno == EINTR);
    int e = got < 0 ? errno : 0;
    pthread_mutex_lock(&r->mu);
    r->len[i] = got > 0 ? (size_t)got : 0;
    r->err[i] = e;
    r->n++;
    r->done = got <= 0;
    pthread_cond_signal(&r->cv);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* read(2) from the chunks read ahead: @return bytes, 0 at the end, -1 with
 * errno. The end and an error stay, as read(2)'s would. */
static ssize_t ra_read(readahead *r, char *dst, size_t cap) {
  pthread_mutex_lock(&r->mu);
  while (!r->n) pthread_cond_wait(&r->cv, &r->mu);
  size_t i = r->first, k = r->len[i] - r->used;
  int e = r->err[i];
  pthread_mutex_unlock(&r->mu);
  if (e) {
    errno = e;
    return -1;
  }
  if (k > cap) k = cap;
  if (!k) return 0;
  memcpy(dst, r->chunk[i] + r->used, k); /* the thread leaves filled chunks alone */
  pthread_mutex_lock(&r->mu);
  r->used += k;
  if (r->used == r->len[i]) {
    r->first = (r->first + 1) % RA_CHUNKS;
    r->n--;
    r->used = 0;
    pthread_cond_signal(&r->cv);
  }
  pthread_mutex_unlock(&r->mu);
  return (ssize_t)k;
}

static void ra_free(readahead *r) {
  for (int i = 0; i < RA_CHUNKS; i++) free(r->chunk[i]);
  free(r);
}

void imp_csv_readahead(imp_csv *c) {
  struct stat st;
  if (c->ra || c->end || fstat(c->fd, &st) || !S_ISREG(st.st_mode)) return;
  readahead *r = calloc(1, sizeof *r);
  if (!r) return;
  r->fd = c->fd;
  bool ok = true;
  for (int i = 0; i < RA_CHUNKS; i++) ok = ok && (r->chunk[i] = malloc(CHUNK)) != NULL;
  if (ok && pthread_mutex_init(&r->mu, NULL) == 0) {
    if (pthread_cond_init(&r->cv, NULL) == 0) {
      if (pthread_create(&r->thread, NULL, ra_main, r) == 0) {
        c->ra = r;
        return;
      }
      pthread_cond_destroy(&r->cv);
    }
    pthread_mutex_destroy(&r->mu);
  }
  ra_free(r); /* without it (no memory, no thread), reading goes on as before */
}

static void ra_stop(readahead *r) {
  pthread_mutex_lock(&r->mu);
  r->stop = true;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  ra_free(r);
}

void imp_csv_close(imp_csv *c) {
  if (!c) return;
  if (c->ra) ra_stop(c->ra);
  if (c->own_fd) close(c->fd);
  free(c->buf);
  free(c->f);
  free(c->len);
  free(c);
}

uint64_t imp_csv_line(const imp_csv *c) { return c->row_line; }
uint64_t imp_csv_offset(const imp_csv *c) { return c->row_off; }
bool imp_csv_unterminated(const imp_csv *c) { return c->unterminated; }

/* Reads more input after the unread bytes; @return 1 read, 0 at EOF, -1. */
static int fill(imp_csv *c, char *why, size_t why_size) {
  size_t unread = c->end - c->pos;
  if (c->pos && c->cap - c->end < CHUNK) { /* move the unread bytes to the front */
    memmove(c->buf, c->buf + c->pos, unread);
    c->buf_off += c->pos;
    c->pos = 0;
    c->end = unread;
  }
  if (c->cap - c->end < CHUNK) {
    if (unread > c->max_row) {
      snprintf(why, why_size, "row longer than %zu bytes (--max-record-size)", c->max_row);
      return -1;
    }
    size_t cap = c->cap ? c->cap * 2 : 2 * CHUNK;
    char *b = realloc(c->buf, cap + 1 + SCAN_PAD);
    if (!b) return snprintf(why, why_size, "out of memory"), -1;
    c->buf = b;
    c->cap = cap;
  }
  for (;;) {
    ssize_t n = c->ra ? ra_read(c->ra, c->buf + c->end, c->cap - c->end)
                      : read(c->fd, c->buf + c->end, c->cap - c->end);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return snprintf(why, why_size, "read error: %s", strerror(errno)), -1;
    if (n == 0) {
      c->eof = true;
      return 0;
    }
    c->end += (size_t)n;
    return 1;
  }
}

/* States of the quoted scan: only a quote at the start of a field opens a
 * quoted field (elsewhere it is an ordinary byte, as split_quoted() reads
 * it); inside one, a quote either closes it or, doubled, stands for one. */
enum { Q_START, Q_PLAIN, Q_QUOTED, Q_QUOTE };

/* Length of the row at pos (without its '\n'), or SIZE_MAX when the
 * buffered bytes hold no complete row yet. */
static size_t row_end(imp_csv *c) {
  char *p = c->buf + c->pos;
  size_t avail = c->end - c->pos;
  if (!c->quotes) {
    char *nl = memchr(p, '\n', avail);
    return nl ? (size_t)(nl - p) : SIZE_MAX;
  }
  int q = c->qstate;
  for (size_t i = c->scan; i < avail; i++) {
    char ch = p[i];
    if (q == Q_QUOTED) {
      if (ch == '"') q = Q_QUOTE;
      continue;
    }
    if (q == Q_QUOTE && ch == '"') {
      q = Q_QUOTED;
      continue;
    }
    if (ch == '\n') {
      c->qstate = Q_START;
      return i;
    }
    q = ch == c->sep ? Q_START : q == Q_START && ch == '"' ? Q_QUOTED : Q_PLAIN;
  }
  c->scan = avail;
  c->qstate = q;
  return SIZE_MAX;
}

static bool grow_fields(imp_csv *c) {
  size_t cap = c->fcap ? 2 * c->fcap : 64;
  char **f = realloc(c->f, cap * sizeof *f);
  if (f) c->f = f;
  size_t *l = realloc(c->len, cap * sizeof *l);
  if (l) c->len = l;
  if (!f || !l) return false;
  c->fcap = cap;
  return true;
}

static inline bool add_field(imp_csv *c, size_t n, char *start, size_t len) {
  if (__builtin_expect(n == c->fcap, 0) && !grow_fields(c)) return false;
  c->f[n] = start;
  c->len[n] = len;
  return true;
}

/* Whether n bytes are all ASCII and none is NUL, 8 at a time. */
static bool plain_ascii(const unsigned char *s, size_t n) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if ((w | ((w - ones) & ~w)) & highs) return false; /* a high bit or a zero byte */
  }
  for (; i < n; i++)
    if (!s[i] || s[i] >= 0x80) return false;
  return true;
}

/* Splits an unquoted row (TSV): every separator becomes a NUL. Fields are
 * short (GDELT's average 6 bytes), so instead of one memchr() call per
 * field the row is scanned a block at a time for separator bytes and each
 * one found is visited in order. The same pass notes whether the row is
 * plain ASCII without NUL bytes (`*plain`), which settles the UTF-8 check
 * of the usual row. row[len] ends the row and the buffer holds at least
 * SCAN_PAD readable bytes after it (bytes past the row are masked). */
#if defined(__SSE2__) && defined(__GNUC__)
static int split_plain(imp_csv *c, char *row, size_t len, size_t *nf, bool *plain) {
  const __m128i seps = _mm_set1_epi8(c->sep), zero = _mm_setzero_si128();
  /* locals: the stores into row[] could alias c's fields */
  char **f = c->f;
  size_t *lens = c->len, cap = c->fcap, n = 0, start = 0;
  unsigned odd = 0; /* high bits and NULs seen */
  for (size_t i = 0; i < len; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(row + i));
    unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, seps));
    unsigned bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, zero)));
    if (len - i < 16) { /* the last block: bytes past the row do not count */
      unsigned keep = (1u << (len - i)) - 1;
      hit &= keep;
      bad &= keep;
    }
    odd |= bad;
    for (; hit; hit &= hit - 1) {
      size_t k = i + (size_t)__builtin_ctz(hit);
      if (__builtin_expect(n == cap, 0)) {
        if (!grow_fields(c)) return -1;
        f = c->f, lens = c->len, cap = c->fcap;
      }
      f[n] = row + start;
      lens[n++] = k - start;
      row[k] = '\0';
      start = k + 1;
    }
  }
  if (!add_field(c, n++, row + start, len - start)) return -1;
  row[len] = '\0';
  *nf = n;
  *plain = odd == 0;
  return 0;
}
#else
/* Without SSE2: 8 bytes at a time (a zero byte of w ^ sep*0x01..01 is a
 * separator; the lowest flagged byte is always a true one). */
static int split_plain(imp_csv *c, char *row, size_t len, size_t *nf, bool *plain) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  const uint64_t seps = ones * (unsigned char)c->sep;
  size_t n = 0, start = 0, i = 0;
  *plain = plain_ascii((const unsigned char *)row, len); /* before NULs go in */
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, row + i, 8);
    w ^= seps;
    uint64_t hit = (w - ones) & ~w & highs;
    while (hit) { /* little endian: bit 8k+7 flags byte k */
      size_t k = i + (size_t)(__builtin_ctzll(hit) >> 3);
      if (row[k] == c->sep) { /* borrows can flag a byte after a separator */
        if (!add_field(c, n++, row + start, k - start)) return -1;
        row[k] = '\0';
        start = k + 1;
      }
      hit &= hit - 1;
    }
  }
  for (; i < len; i++)
    if (row[i] == c->sep) {
      if (!add_field(c, n++, row + start, i - start)) return -1;
      row[i] = '\0';
      start = i + 1;
    }
  if (!add_field(c, n++, row + start, len - start)) return -1;
  row[len] = '\0';
  *nf = n;
  return 0;
}
#endif

/* Splits an RFC 4180 row, unquoting in place. */
static int split_quoted(imp_csv *c, char *row, size_t len, size_t *nf, char *why,
                        size_t why_size) {
  size_t n = 0;
  char *p = row, *end = row + len;
  for (;;) {
    char *start = p, *w = p;
    if (p < end && *p == '"') {
      for (p++;; p++) {
        if (p == end) return snprintf(why, why_size, "column %zu: unterminated quote", n + 1), -2;
        if (*p == '"') {
          if (p + 1 < end && p[1] == '"') p++;
          else break;
        }
        *w++ = *p;
      }
      p++; /* past the closing quote */
      if (p < end && *p != c->sep)
        return snprintf(why, why_size, "column %zu: text after the closing quote", n + 1), -2;
    } else {
      char *s = memchr(p, c->sep, (size_t)(end - p));
      p = s ? s : end;
      w = p;
    }
    if (!add_field(c, n++, start, (size_t)(w - start))) return -1;
    bool more = p < end;
    *w = '\0';
    if (!more) break;
    p++;
  }
  *nf = n;
  return 0;
}

/* Valid UTF-8 without NUL: the first bad byte's field, or 0 (called only
 * for rows that are not plain ASCII: the usual row is settled before
 * splitting, in one pass). */
static size_t bad_utf8(const imp_csv *c, size_t nf) {
  for (size_t i = 0; i < nf; i++) {
    const unsigned char *s = (const unsigned char *)c->f[i], *e = s + c->len[i];
    if (plain_ascii(s, c->len[i])) continue;
    while (s < e) {
      if (*s < 0x80) {
        if (!*s) return i + 1;
        s++;
        continue;
      }
      int k = *s >= 0xF0 ? 3 : *s >= 0xE0 ? 2 : *s >= 0xC2 ? 1 : -1;
      if (k < 0 || *s > 0xF4 || e - s <= k) return i + 1;
      unsigned cp = *s & (0x3F >> k);
      for (int j = 1; j <= k; j++) {
        if ((s[j] & 0xC0) != 0x80) return i + 1;
        cp = cp << 6 | (s[j] & 0x3F);
      }
      if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
          (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return i + 1;
      s += k + 1;
    }
  }
  return 0;
}

/* The next complete row's length, reading as needed; SIZE_MAX at the end
 * of input (a last row without newline is completed), -1 as SIZE_MAX - 1. */
static size_t next_row(imp_csv *c, char *why, size_t why_size, int *rc) {
  *rc = 0;
  for (;;) {
    size_t n = c->pos < c->end ? row_end(c) : SIZE_MAX;
    if (n != SIZE_MAX && n > c->max_row) {
      snprintf(why, why_size, "row longer than %zu bytes (--max-record-size)", c->max_row);
      *rc = -1;
      return SIZE_MAX;
    }
    if (n != SIZE_MAX) return n;
    if (c->eof) {
      if (c->pos == c->end) return SIZE_MAX;
      c->buf[c->end] = '\n'; /* the last row lacks its newline */
      c->unterminated = true;
      return c->end - c->pos;
    }
    int r = fill(c, why, why_size);
    if (r < 0) {
      *rc = -1;
      return SIZE_MAX;
    }
    if (!c->started && c->end - c->pos >= 3) {
      c->started = true;
      if (memcmp(c->buf + c->pos, "\xEF\xBB\xBF", 3) == 0) c->pos += 3;
    }
  }
}

int imp_csv_next_row(imp_csv *c, char **row, size_t *len, char *why, size_t why_size) {
  for (;;) {
    int rc;
    size_t n = next_row(c, why, why_size, &rc);
    if (rc < 0) return -1;
    if (n == SIZE_MAX) return 0;
    char *r = c->buf + c->pos;
    size_t rowlen = n;
    c->row_line = c->line;
    c->row_off = c->buf_off + c->pos;
    c->line += 1;
    if (c->quotes)
      for (char *p = r; (p = memchr(p, '\n', (size_t)(r + n - p))); p++) c->line++;
    c->pos += n + 1 > c->end - c->pos ? c->end - c->pos : n + 1;
    c->scan = 0;
    c->qstate = Q_START;
    if (rowlen && r[rowlen - 1] == '\r') rowlen--;
    if (rowlen == 0) continue; /* blank line */
    r[rowlen] = '\0';
    c->row = r;
    c->rowlen = rowlen;
    *row = r;
    *len = rowlen;
    return 1;
  }
}

/* One pass over the row, 64 bytes at a time: a mask of its tabs and one of
 * its odd bytes (0x80 and above, NUL), whose tabs are then visited in
 * order (ctz). One call per row instead of one scan per field: GDELT's
 * fields are short (6 bytes on average), so per-field scans spent most of
 * their time starting and stopping. */
#if defined(__SSE2__) && defined(__GNUC__)
/* The 64-bit masks of tabs and odd bytes of the 64 bytes at p. */
/* The masks of 16 bytes (written out four times: gcc -O2 does not unroll
 * the loop, and its shifts by a variable cost more than the work). */
#define SCAN16(j)                                                                             \
  do {                                                                                        \
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (j)));              \
    t |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab)) << (16 * (j));         \
    o |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, zero)))      \
         << (16 * (j));                                                                       \
  } while (0)

static inline uint64_t scan64(const char *p, uint64_t *odd) {
  const __m128i tab = _mm_set1_epi8('\t'), zero = _mm_setzero_si128();
  uint64_t t = 0, o = 0;
  SCAN16(0);
  SCAN16(1);
  SCAN16(2);
  SCAN16(3);
  *odd = o;
  return t;
}
#undef SCAN16
#else
/* Without SSE2: 8 bytes at a time (a zero byte of w ^ '\t'*0x01..01 is a
 * tab; a borrow can flag the byte after a true one, hence the exact test
 * per byte, after the first flagged one, which is always a true one). */
static inline uint64_t scan64(const char *p, uint64_t *odd) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  uint64_t t = 0, o = 0;
  for (int j = 0; j < 8; j++) {
    uint64_t w;
    memcpy(&w, p + 8 * j, 8);
    uint64_t x = w ^ (ones * '\t');
    if ((x - ones) & ~x & highs)
      for (int b = 0; b < 8; b++) t |= (uint64_t)(p[8 * j + b] == '\t') << (8 * j + b);
    if ((w | ((w - ones) & ~w)) & highs) /* a high bit or a zero byte */
      for (int b = 0; b < 8; b++) {
        unsigned char ch = (unsigned char)p[8 * j + b];
        o |= (uint64_t)(ch == 0 || ch >= 0x80) << (8 * j + b);
      }
  }
  *odd = o;
  return t;
}
#endif

/* The number of set bits (x86-64's baseline has no popcnt instruction:
 * __builtin_popcountll is a libgcc call there). */
static inline unsigned popcount64(uint64_t x) {
  x -= (x >> 1) & UINT64_C(0x5555555555555555);
  x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
  x = (x + (x >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
  return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

bool imp_csv_split_tabs(char *row, size_t len, uint32_t *off, unsigned want) {
  unsigned n = 1;
  off[0] = 0;
  for (size_t i = 0; i < len; i += 64) {
    uint64_t odd, tabs = scan64(row + i, &odd);
    if (len - i < 64) { /* the last block: bytes past the row do not count */
      uint64_t keep = (UINT64_C(1) << (len - i)) - 1;
      tabs &= keep;
      odd &= keep;
    }
    /* one test per block for the count, so that the loop below has no
     * exit but the end of its tabs */
    unsigned cnt = popcount64(tabs);
    if (odd || n + cnt > want) goto undo;
    uint32_t *o = off + n, start = (uint32_t)i + 1; /* a field starts after its tab */
    n += cnt;
    for (; tabs; tabs &= tabs - 1) {
      uint32_t k = start + (uint32_t)__builtin_ctzll(tabs);
      row[k - 1] = '\0';
      *o++ = k;
    }
  }
  if (n == want) {
    off[want] = (uint32_t)(len + 1);
    return true;
  }
undo:
  for (unsigned i = 1; i < n; i++) row[off[i] - 1] = '\t';
  return false;
}

int imp_csv_split_row(imp_csv *c, char ***fields, size_t **lens, size_t *nfields, char *why,
                      size_t why_size) {
  char *row = c->row;
  size_t nf = 0;
  bool ascii;
  int s;
  if (c->quotes) {
    ascii = plain_ascii((const unsigned char *)row, c->rowlen); /* before NULs go in */
    s = split_quoted(c, row, c->rowlen, &nf, why, why_size);
  } else {
    s = split_plain(c, row, c->rowlen, &nf, &ascii);
  }
  if (s == -1) return snprintf(why, why_size, "out of memory"), -1;
  if (s == -2) return -2;
  size_t bad = ascii ? 0 : bad_utf8(c, nf);
  if (bad) return snprintf(why, why_size, "column %zu: invalid UTF-8 or NUL byte", bad), -2;
  *fields = c->f;
  *lens = c->len;
  *nfields = nf;
  return 1;
}

int imp_csv_next(imp_csv *c, char ***fields, size_t **lens, size_t *nfields, char *why,
                 size_t why_size) {
  char *row;
  size_t len;
  int rc = imp_csv_next_row(c, &row, &len, why, why_size);
  return rc <= 0 ? rc : imp_csv_split_row(c, fields, lens, nfields, why, why_size);
}
