/*
 * gengdelt.c -- deterministic generator of GDELT 2.0 event export rows.
 *
 *   gengdelt -n SIZE [-s SEED] -o OUT.tsv       SIZE: bytes, or 4K 64M 1G
 *
 * Writes tab-separated rows of GDELT 2.0's 61 columns (no header, "\n" line
 * ends) until the next row would take the file past SIZE, for the GDELT
 * import row of `make bench` (evrec import --from gdelt against Python's csv
 * module reading the same file). The rows have GDELT's shape and sizes
 * (about 550 bytes): CAMEO codes with leading zeros and their real quad
 * classes and Goldstein scores, actor blocks full, partial or empty (CAMEO
 * country, known-group, religion and type codes), three geo blocks of every
 * Geo_Type with FIPS country codes, ADM1/ADM2 codes, coordinates (some as
 * bare integers) and feature ids (numbers, or letter codes for countries),
 * tone and counts, DATEADDED in 15-minute steps, and SOURCEURLs: most
 * articles have 1-6 consecutive rows, one in eight has a row again a few
 * hundred rows later, as in real exports. Every row is valid for
 * `evrec import`, so the benchmark measures import, not error handling.
 *
 * Determinism: one PRNG (splitmix64) seeded with SEED; the output depends
 * only on SEED and SIZE, and a smaller file is a prefix of a larger one.
 * This is a build tool: on a write error it prints a message and exits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

static uint64_t next64(void) {
  uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(next64() % n); }
static double unit(void) { return (double)(next64() >> 11) / 9007199254740992.0; }

typedef struct cameo_event {
  const char *code, *root;
  int quad;
  double goldstein;
} cameo_event;

static const cameo_event EVENTS[] = {
    {"010", "01", 1, 0.0},   {"012", "01", 1, -0.1},  {"013", "01", 1, 0.4},
    {"020", "02", 1, 3.0},   {"0211", "02", 1, 3.4},  {"036", "03", 1, 4.0},
    {"040", "04", 1, 1.0},   {"042", "04", 1, 1.9},   {"043", "04", 1, 2.8},
    {"046", "04", 1, 7.0},   {"051", "05", 1, 3.4},   {"057", "05", 1, 8.0},
    {"061", "06", 2, 6.4},   {"071", "07", 2, 7.4},   {"073", "07", 2, 7.4},
    {"080", "08", 2, 5.0},   {"0874", "08", 2, 10.0}, {"090", "09", 2, -2.0},
    {"100", "10", 3, -5.0},  {"111", "11", 3, -2.0},  {"112", "11", 3, -2.0},
    {"120", "12", 3, -4.0},  {"130", "13", 3, -4.4},  {"141", "14", 3, -6.5},
    {"145", "14", 3, -7.5},  {"160", "16", 4, -4.0},  {"173", "17", 4, -5.0},
    {"180", "18", 4, -9.0},  {"190", "19", 4, -10.0}, {"193", "19", 4, -10.0},
};

typedef struct actor_def {
  const char *code, *name, *country, *known, *religion, *type;
} actor_def;

static const actor_def ACTORS[] = {
    {"USA", "UNITED STATES", "USA", "", "", ""},
    {"USAGOV", "WHITE HOUSE", "USA", "", "", "GOV"},
    {"USACOP", "POLICE", "USA", "", "", "COP"},
    {"GBR", "UNITED KINGDOM", "GBR", "", "", ""},
    {"FRAGOV", "PARIS", "FRA", "", "", "GOV"},
    {"ISR", "JERUSALEM", "ISR", "", "", ""},
    {"RUSMIL", "RUSSIA", "RUS", "", "", "MIL"},
    {"UKR", "UKRAINE", "UKR", "", "", ""},
    {"IGOUNO", "UNITED NATIONS", "", "UNO", "", ""},
    {"NGAREB", "BOKO HARAM", "NGA", "", "MOS", "REB"},
    {"COP", "POLICE", "", "", "", "COP"},
    {"MED", "TELEVISION", "", "", "", "MED"},
    {"CVL", "RESIDENTS", "", "", "", "CVL"},
    {"BUS", "COMPANY", "", "", "", "BUS"},
};

typedef struct geo_def {
  int type;
  const char *name, *fips, *adm1, *adm2, *lat, *lon, *feature;
} geo_def;

static const geo_def GEOS[] = {
    {1, "Jordan", "JO", "JO", "", "31", "36", "JO"},
    {1, "Togo", "TO", "TO", "", "8", "1.166667", "TO"},
    {4, "Mecca, Makkah, Saudi Arabia", "SA", "SA14", "25312", "21.4267", "39.8261", "-3096949"},
    {3, "Hollywood, California, United States", "US", "USCA", "CA037", "34.0983", "-118.327", "1660757"},
    {3, "Sibley County, Minnesota, United States", "US", "USMN", "MN143", "44.5666", "-94.2003", "659516"},
    {2, "Texas, United States", "US", "USTX", "", "31.106", "-97.6475", "TX"},
    {4, "Kyiv, Kyyiv, Misto, Ukraine", "UP", "UP12", "26069", "50.4333", "30.5167", "-1044367"},
    {4, "Paris, France (general), France", "FR", "FR00", "", "48.8667", "2.33333", "-1456928"},
    {5, "Borno, Nigeria", "NI", "NI27", "", "11.5", "13", "NI27"},
    {1, "United Kingdom", "UK", "UK", "", "54", "-2", "UK"},
};

static const char *const HOSTS[] = {
    "www.theweek.com/edition", "abcnews4.com/news/nation-world", "www.reporterherald.com/2025",
    "www.mankatofreepress.com/news/local_news", "nbc16.com/news", "www.wbls.com/news",
    "www.pambazuka.org/taxonomy/term", "www.example-daily.com/world/africa",
    "news.example.org/politics", "www.theguardian.example/world/2025/aug/07"};

/* One article's URL. */
static int url(char *buf, size_t size, uint64_t article) {
  return snprintf(buf, size, "https://%s/%s-story-%" PRIu64 "-%08" PRIx64 ".html",
                  HOSTS[article % LEN(HOSTS)], article % 3 ? "breaking" : "analysis", article,
                  article * UINT64_C(2654435761) & 0xffffffffu);
}

static int actor(char *p, size_t size) {
  if (below(8) == 0) return snprintf(p, size, "\t\t\t\t\t\t\t\t\t"); /* empty block */
  const actor_def *a = &ACTORS[below(LEN(ACTORS))];
  return snprintf(p, size, "%s\t%s\t%s\t%s\t\t%s\t\t%s\t\t", a->code, a->name, a->country, a->known,
                  a->religion, a->type);
}

static int geo(char *p, size_t size) {
  if (below(6) == 0) return snprintf(p, size, "0\t\t\t\t\t\t\t");
  const geo_def *g = &GEOS[below(LEN(GEOS))];
  return snprintf(p, size, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", g->type, g->name, g->fips, g->adm1,
                  g->adm2, g->lat, g->lon, g->feature);
}

/* One row into buf; @return its length. */
static size_t row(char *buf, size_t size, uint64_t id, uint64_t article, uint64_t batch) {
  const cameo_event *e = &EVENTS[below(LEN(EVENTS))];
  unsigned y = 2025, mo = 1 + below(8), d = 1 + below(28);
  int n = snprintf(buf, size, "%" PRIu64 "\t%04u%02u%02u\t%04u%02u\t%04u\t%04u.%04u\t", id, y, mo,
                   d, y, mo, y, y, (mo - 1) * 833 + d * 27);
  n += actor(buf + n, size - (size_t)n);
  buf[n++] = '\t';
  n += actor(buf + n, size - (size_t)n);
  unsigned mentions = 1 + below(12), sources = 1 + below(mentions);
  n += snprintf(buf + n, size - (size_t)n, "\t%d\t%s\t%.3s\t%s\t%d\t%.1f\t%u\t%u\t%u\t%.14g\t",
                below(3) != 0, e->code, e->code, e->root, e->quad, e->goldstein, mentions, sources,
                mentions, -12 + 20 * unit());
  for (int g = 0; g < 3; g++) {
    n += geo(buf + n, size - (size_t)n);
    buf[n++] = '\t';
  }
  /* DATEADDED: 15-minute batches from 2025-08-01 00:00 */
  unsigned day = 1 + (unsigned)(batch / 96 % 28), hour = (unsigned)(batch % 96 / 4);
  n += snprintf(buf + n, size - (size_t)n, "202508%02u%02u%02u00\t", day, hour,
                (unsigned)(batch % 4 * 15));
  n += url(buf + n, size - (size_t)n, article);
  buf[n++] = '\n';
  return (size_t)n;
}

static uint64_t parse_size(const char *s) {
  char *end;
  uint64_t v = strtoull(s, &end, 10);
  if (*end == 'K' || *end == 'k') v <<= 10;
  else if (*end == 'M' || *end == 'm') v <<= 20;
  else if (*end == 'G' || *end == 'g') v <<= 30;
  return v;
}

int main(int argc, char **argv) {
  uint64_t size = 0, seed = 1;
  const char *out = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-n") == 0) size = parse_size(argv[i + 1]);
    else if (strcmp(argv[i], "-s") == 0) seed = strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "-o") == 0) out = argv[i + 1];
  }
  if (!size || !out) {
    fprintf(stderr, "usage: gengdelt -n SIZE [-s SEED] -o OUT.tsv\n");
    return 2;
  }
  rng_state = seed;
  FILE *f = fopen(out, "wb");
  if (!f) return perror(out), 2;
  char buf[4096];
  uint64_t written = 0, id = 1256000000, article = 1, rows_left = 0, batch = 0;
  struct { uint64_t due, article; } late[64]; /* rows of articles seen a little earlier */
  unsigned n_late = 0;
  for (uint64_t r = 0;; r++) {
    uint64_t a = 0;
    for (unsigned i = 0; i < n_late && !a; i++)
      if (late[i].due <= r) {
        a = late[i].article;
        late[i] = late[--n_late];
      }
    if (!a) {
      if (!rows_left) {
        article++;
        rows_left = 1 + below(6);
        if (below(8) == 0 && n_late < LEN(late))
          late[n_late].due = r + 100 + below(900), late[n_late++].article = article;
      }
      rows_left--;
      a = article;
    }
    if (r % 1500 == 1499) batch++; /* the next 15-minute batch */
    size_t n = row(buf, sizeof buf, id++, a, batch);
    if (written + n > size) break;
    if (fwrite(buf, 1, n, f) != n) return perror(out), 2;
    written += n;
  }
  if (fclose(f) != 0) return perror(out), 2;
  return 0;
}
