/*
 * gencorpus.c -- deterministic generator of a realistic evrec.v1.Record corpus.
 *
 *   gencorpus -n SIZE [-s SEED] -o OUT.ndjson     SIZE: bytes, or 4K 64M 1G
 *   gencorpus -c COUNT [-s SEED] -o OUT.ndjson    the first COUNT records
 *
 * Writes NDJSON records (through evrec_writer, so the output is the canonical
 * JSON of the library) until the next record would take the file past SIZE.
 * The benchmark (`make bench`) and the instruction-count check
 * (`make bench-icount`) run on this corpus, so its shape decides what the
 * numbers mean. It imitates coded news: article bodies from headline-only to
 * 20 KB of sentences, 1-12 actors whose mentions are spans into the body,
 * 0-8 events whose evidence spans are real sentences of the body, 0-5 claims
 * with quotes, appearances and fact-check reviews, text in English, French,
 * German, Spanish, Russian, Chinese and Japanese with accents, CJK and emoji,
 * and every kind of number the schema has (doubles of full precision such as
 * GDELT tone, goldstein scores, uint32 wrappers, timestamps with and without
 * nanoseconds, 64-bit-sized ids kept as strings).
 *
 * Determinism: record i is generated from its own PRNG stream seeded with
 * (seed, i), so the output depends only on SEED and SIZE, and a smaller
 * corpus is a prefix of a larger one with the same seed. Offsets are Unicode
 * code points (SPEC §2), counted while the body is built.
 *
 * Memory: every message of a record lives in one evrec_arena that is reset
 * after the record is written; the body and the few scratch strings live in
 * one growing text buffer owned by the generator.
 *
 * This is a build tool, not library code: on an impossible condition (out of
 * memory, write error) it prints a message and exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evrec.h"
#include "evrec/v1/evrec.pb-c.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ACTORS 12
#define MAX_PLACES 5
#define MAX_SENT 512
#define MAX_SPANS 16   /* body mentions kept per actor */
#define MAX_QUOTES 32

/* ======================================================================
 * Vocabulary
 * ====================================================================== */

static const char *const EN_WORDS[] = {
  "the", "of", "and", "to", "in", "a", "that", "for", "on", "with", "as", "was",
  "is", "by", "at", "from", "his", "her", "their", "it", "an", "were", "are",
  "which", "this", "be", "has", "have", "had", "not", "but", "after", "over",
  "government", "officials", "said", "minister", "president", "police", "forces",
  "protesters", "city", "country", "capital", "region", "border", "security",
  "election", "vote", "parliament", "opposition", "party", "leaders", "talks",
  "agreement", "ceasefire", "troops", "military", "attack", "killed", "injured",
  "arrested", "court", "judge", "ruling", "law", "policy", "economy", "inflation",
  "prices", "workers", "strike", "union", "company", "market", "billion",
  "million", "percent", "week", "month", "year", "Monday", "Tuesday", "Wednesday",
  "Thursday", "Friday", "Saturday", "Sunday", "statement", "spokesperson",
  "according", "reported", "announced", "warned", "accused", "denied", "called",
  "demanded", "rejected", "promised", "signed", "met", "visited", "condemned",
  "urged", "expected", "planned", "continued", "increased", "decided", "federal",
  "national", "local", "international", "foreign", "public", "health", "water",
  "food", "aid", "humanitarian", "refugees", "migrants", "immigration", "climate",
  "energy", "oil", "gas", "sanctions", "trade", "tariffs", "exports", "budget",
  "tax", "reform", "rights", "freedom", "press", "media", "social", "online",
  "platform", "investigation", "report", "evidence", "sources", "familiar",
  "matter", "people", "residents", "families", "children", "hospital", "school",
  "university", "students", "doctors", "crisis", "emergency", "disaster",
  "flooding", "earthquake", "fire", "storm", "damage", "thousands", "hundreds",
  "dozens", "several", "many", "some", "most", "other", "new", "former", "senior",
  "top", "key", "major", "large", "small", "first", "last", "next", "early",
  "late", "recent", "previous", "current", "future", "long", "short", "high",
  "low", "strong", "weak", "peaceful", "violent", "armed", "civilian", "across",
  "against", "during", "before", "under", "between", "while", "since", "amid",
  "despite", "without", "into", "about", "around", "through", "also", "only",
  "still", "already", "again", "further", "more", "less", "than", "would",
  "could", "should", "will", "may", "might", "must", "can", "did", "do", "does",
  "been", "being", "he", "she", "they", "we", "who", "what", "when", "where",
  "how", "why", "all", "both", "each", "no", "any", "such", "there", "here",
  "then", "now", "today", "tomorrow", "yesterday", "night", "morning",
  "afternoon", "evening", "campaign", "candidate", "supporters", "critics",
  "analysts", "experts", "observers", "diplomats", "envoy", "delegation",
  "summit", "conference", "meeting", "negotiations", "deal", "proposal", "plan",
  "program", "funding", "spending", "debt", "loan", "bank", "currency",
  "investors", "shares", "growth", "recession", "unemployment", "jobs", "wages",
  "housing", "rent", "transport", "railway", "airport", "flights", "roads",
  "bridge", "port", "ships", "navy", "army", "air", "force", "missile", "drone",
  "strikes", "shelling", "clashes", "fighting", "offensive", "withdrawal",
  "occupation", "territory", "sovereignty", "independence", "constitution",
  "referendum", "coalition", "cabinet", "resignation", "scandal", "corruption",
  "fraud", "charges", "trial", "sentence", "prison", "detention", "deportation",
  "asylum", "protest", "demonstration", "rally", "march", "crowd", "tear",
  "batons", "curfew", "lockdown", "vaccine", "outbreak", "cases", "deaths",
  "victims", "survivors", "rescue", "relief", "reconstruction", "investment",
  "infrastructure", "technology", "artificial", "intelligence", "data",
  "privacy", "cyber", "hackers", "networks", "elections", "ballots", "turnout",
  "results", "count", "recount", "winner", "defeat", "victory", "majority",
  "minority", "seats", "lawmakers", "senators", "governor", "mayor", "council",
  "committee", "agency", "ministry", "department", "office", "authorities",
  "administration", "regime", "rebels", "militants", "insurgents", "soldiers",
  "officers", "guards", "prosecutors", "lawyers", "defendants", "witnesses",
};

static const char *const FR_WORDS[] = {
  "le", "la", "les", "des", "du", "de", "et", "à", "en", "un", "une", "pour",
  "dans", "sur", "avec", "par", "qui", "que", "a", "été", "été", "selon",
  "gouvernement", "ministre", "président", "député", "élection", "sécurité",
  "écoles", "élèves", "réforme", "retraites", "grève", "syndicats", "préfet",
  "manifestants", "policiers", "forces", "l'ordre", "déclaré", "annoncé",
  "réclamé", "dénoncé", "rencontré", "après", "près", "déjà", "même", "très",
  "où", "là", "été", "août", "février", "décembre", "hôpital", "économie",
  "société", "entreprises", "marché", "prix", "hausse", "baisse", "année",
  "semaine", "journée", "Assemblée", "nationale", "Sénat", "Élysée", "Conseil",
  "d'État", "procès", "tribunal", "enquête", "témoins", "victimes", "réfugiés",
  "frontière", "négociations", "accord", "cessez-le-feu", "français", "européen",
};

static const char *const DE_WORDS[] = {
  "der", "die", "das", "und", "zu", "den", "mit", "von", "für", "auf", "ist",
  "im", "dem", "nicht", "ein", "eine", "als", "auch", "es", "an", "werden",
  "aus", "er", "hat", "dass", "sie", "nach", "wird", "bei", "einer", "über",
  "Regierung", "Bundesregierung", "Bundestag", "Minister", "Kanzler",
  "Präsident", "Bürger", "Straßen", "Demonstranten", "Polizei", "Gericht",
  "Urteil", "Gesetz", "Wähler", "Wahl", "Koalition", "Opposition", "Haushalt",
  "Schulden", "Unternehmen", "Wirtschaft", "Arbeitnehmer", "Gewerkschaft",
  "Streik", "Löhne", "Preise", "Inflation", "Flüchtlinge", "Grenze", "Sicherheit",
  "Verhandlungen", "Abkommen", "Waffenruhe", "Truppen", "Angriff", "getötet",
  "verletzt", "festgenommen", "erklärte", "kündigte", "forderte", "warnte",
  "größte", "früher", "später", "Behörden", "Ermittlungen", "Zeugen", "Opfer",
};

static const char *const ES_WORDS[] = {
  "el", "la", "los", "las", "de", "del", "y", "en", "a", "que", "por", "con",
  "para", "un", "una", "se", "su", "sus", "al", "es", "fue", "según",
  "gobierno", "ministro", "presidente", "elecciones", "votación", "oposición",
  "policía", "manifestantes", "protesta", "huelga", "sindicatos", "economía",
  "inflación", "precios", "años", "mañana", "después", "también", "así", "más",
  "país", "región", "frontera", "migración", "refugiados", "seguridad",
  "acuerdo", "negociación", "tregua", "tropas", "ataque", "muertos", "heridos",
  "detenidos", "tribunal", "juicio", "investigación", "corrupción", "congreso",
  "senado", "comisión", "declaró", "anunció", "exigió", "rechazó", "advirtió",
  "compañía", "empresas", "niños", "familias", "víctimas", "ayuda", "nación",
};

static const char *const RU_WORDS[] = {
  "и", "в", "на", "не", "что", "с", "по", "к", "о", "из", "за", "от", "для",
  "правительство", "министр", "президент", "выборы", "оппозиция", "полиция",
  "протест", "забастовка", "экономика", "инфляция", "цены", "граница",
  "безопасность", "переговоры", "соглашение", "войска", "атака", "погибли",
  "ранены", "задержаны", "суд", "приговор", "расследование", "заявил",
  "объявил", "потребовал", "отверг", "предупредил", "города", "страны",
  "области", "жители", "беженцы", "помощь", "санкции", "нефть", "газ",
};

static const char *const ZH_WORDS[] = {
  "政府", "官员", "表示", "总统", "部长", "警方", "抗议者", "城市", "国家", "首都",
  "地区", "边境", "安全", "选举", "投票", "议会", "反对派", "政党", "领导人", "会谈",
  "协议", "停火", "军队", "袭击", "死亡", "受伤", "逮捕", "法院", "法官", "裁决",
  "法律", "政策", "经济", "通货膨胀", "价格", "工人", "罢工", "工会", "公司", "市场",
  "亿", "万", "百分之", "周", "月", "年", "声明", "发言人", "据", "报道", "宣布",
  "警告", "指责", "否认", "呼吁", "要求", "拒绝", "承诺", "签署", "会见", "访问",
  "谴责", "敦促", "预计", "计划", "继续", "增加", "决定", "国际", "外交", "人道主义",
  "援助", "难民", "移民", "气候", "能源", "石油", "天然气", "制裁", "贸易", "关税",
  "的", "了", "在", "和", "是", "对", "将", "已经", "正在", "周日",
};

static const char *const JA_WORDS[] = {
  "政府", "は", "が", "を", "に", "で", "と", "の", "も", "から", "まで", "について",
  "首相", "大臣", "大統領", "警察", "デモ隊", "都市", "国", "首都", "地域", "国境",
  "安全保障", "選挙", "投票", "国会", "野党", "与党", "指導者", "会談", "合意",
  "停戦", "部隊", "攻撃", "死亡", "負傷", "逮捕", "裁判所", "判決", "法律", "政策",
  "経済", "物価", "労働者", "ストライキ", "企業", "市場", "発表した", "述べた",
  "警告した", "非難した", "否定した", "求めた", "拒否した", "約束した", "署名した",
  "訪問した", "明らかにした", "東京", "大阪", "インフレ", "エネルギー", "制裁",
};

typedef struct lang {
  const char *tag;
  const char *const *words;
  size_t n_words;
  int cjk;             /* no spaces between words, CJK punctuation */
  const char *qopen, *qclose, *said;
} lang;

static const lang LANGS[] = {
  {"en", EN_WORDS, LEN(EN_WORDS), 0, "\u201c", "\u201d", "said"},
  {"fr", FR_WORDS, LEN(FR_WORDS), 0, "\u00ab\u00a0", "\u00a0\u00bb", "a d\u00e9clar\u00e9"},
  {"de", DE_WORDS, LEN(DE_WORDS), 0, "\u201e", "\u201c", "sagte"},
  {"es", ES_WORDS, LEN(ES_WORDS), 0, "\u00ab", "\u00bb", "dijo"},
  {"ru", RU_WORDS, LEN(RU_WORDS), 0, "\u00ab", "\u00bb", "\u0437\u0430\u044f\u0432\u0438\u043b"},
  {"zh", ZH_WORDS, LEN(ZH_WORDS), 1, "\u201c", "\u201d", "\u8868\u793a"},
  {"ja", JA_WORDS, LEN(JA_WORDS), 1, "\u300c", "\u300d", "\u3068\u8ff0\u3079\u305f"},
};
/* Cumulative percentages matching LANGS: mostly English, as news wires are. */
static const unsigned LANG_CUM[] = {68, 76, 83, 89, 92, 97, 100};

static const char *const PERSONS[] = {
  "Donald Trump", "Emmanuel Macron", "Olaf Scholz", "Pedro S\u00e1nchez",
  "Ursula von der Leyen", "Jos\u00e9 Mart\u00ednez", "Fran\u00e7ois Dubois",
  "J\u00fcrgen M\u00fcller", "\u0141ukasz Wr\u00f3bel", "S\u00f8ren Kierkegaard Jensen",
  "Nguy\u1ec5n V\u0103n An", "Recep Tayyip Erdo\u011fan", "Luiz In\u00e1cio Lula da Silva",
  "Ant\u00f3nio Guterres", "Bj\u00f6rk Gu\u00f0mundsd\u00f3ttir", "Zo\u00eb Kravitz",
  "Priscilla Alvarez", "Michael Williams", "Samantha Waldenberg", "Sarah Johnson",
  "Ahmed Hassan", "Fatima Al-Sayed", "Olena Kovalenko", "Kofi Mensah",
  "Ngozi Okonjo-Iweala", "Narendra Modi", "Shehbaz Sharif", "Cyril Ramaphosa",
  "\u738b\u4f1f", "\u674e\u5a1c", "\u5f20\u4f1f", "\u7530\u4e2d \u592a\u90ce",
  "\u4f50\u85e4 \u82b1\u5b50", "\uae40\ubbfc\uc900", "\u041e\u043b\u044c\u0433\u0430 \u041f\u0435\u0442\u0440\u043e\u0432\u0430",
  "\u0418\u0432\u0430\u043d \u0421\u043c\u0438\u0440\u043d\u043e\u0432", "Ma\u00eft\u00e9 Ben Ali",
  "Javier Milei", "Claudia Sheinbaum", "Giorgia Meloni", "Keir Starmer",
};

static const char *const ORGS[] = {
  "U.S. Immigration and Customs Enforcement", "Ministry of Defence",
  "Bundesregierung", "European Commission", "United Nations", "World Health Organization",
  "International Monetary Fund", "Red Cross", "M\u00e9decins Sans Fronti\u00e8res",
  "National Guard", "Supreme Court", "Ministerio del Interior", "Gendarmerie nationale",
  "Polic\u00eda Nacional", "\u56fd\u52a1\u9662", "\u5916\u52d9\u7701", "\u041c\u0418\u0414 \u0420\u043e\u0441\u0441\u0438\u0438",
  "Amnesty International", "Human Rights Watch", "Reuters", "Associated Press",
  "teachers' union", "farmers' association", "opposition coalition", "armed group",
};

typedef struct place_def {
  const char *name, *country, *admin1;
  double lat, lon;
  const char *geonames;
} place_def;

static const place_def PLACES[] = {
  {"Los Angeles", "USA", "California", 34.05223, -118.24368, "5368361"},
  {"Chicago", "USA", "Illinois", 41.85003, -87.65005, "4887398"},
  {"New York", "USA", "New York", 40.71427, -74.00597, "5128581"},
  {"Washington", "USA", "District of Columbia", 38.89511, -77.03637, "4140963"},
  {"Paris", "FRA", "\u00cele-de-France", 48.85341, 2.3488, "2988507"},
  {"Z\u00fcrich", "CHE", "Z\u00fcrich", 47.36667, 8.55, "2657896"},
  {"M\u00fcnchen", "DEU", "Bayern", 48.13743, 11.57549, "2867714"},
  {"S\u00e3o Paulo", "BRA", "S\u00e3o Paulo", -23.5475, -46.63611, "3448439"},
  {"Bogot\u00e1", "COL", "Bogot\u00e1 D.C.", 4.60971, -74.08175, "3688689"},
  {"Kyiv", "UKR", "Kyiv City", 50.45466, 30.5238, "703448"},
  {"Gaza", "PSE", "Gaza Strip", 31.50161, 34.46672, "281133"},
  {"Khartoum", "SDN", "Khartoum", 15.55177, 32.53241, "379252"},
  {"Lagos", "NGA", "Lagos", 6.45407, 3.39467, "2332459"},
  {"\u5317\u4eac", "CHN", "\u5317\u4eac\u5e02", 39.9075, 116.39723, "1816670"},
  {"\u6771\u4eac", "JPN", "\u6771\u4eac\u90fd", 35.6895, 139.69171, "1850147"},
  {"\uc11c\uc6b8", "KOR", "\uc11c\uc6b8\ud2b9\ubcc4\uc2dc", 37.566, 126.9784, "1835848"},
  {"\u041c\u043e\u0441\u043a\u0432\u0430", "RUS", "\u041c\u043e\u0441\u043a\u0432\u0430", 55.75222, 37.61556, "524901"},
  {"Ciudad de M\u00e9xico", "MEX", "Ciudad de M\u00e9xico", 19.42847, -99.12766, "3530597"},
  {"Sydney", "AUS", "New South Wales", -33.86785, 151.20732, "2147714"},
  {"Nairobi", "KEN", "Nairobi County", -1.28333, 36.81667, "184745"},
};

/* CAMEO codes with their Goldstein score, the quad class of their root
 * (01-05 verbal cooperation, 06-09 material cooperation, 10-14 verbal
 * conflict, 15-20 material conflict), the PLOVER category they map to and
 * the PLOVER modes that fit them (a space-separated list, "" for none), so
 * that every record passes `evrec validate` (issue 9). */
typedef struct cameo_def {
  const char *code, *label;
  double goldstein;
  int quad;
  const char *plover;
  const char *modes;
} cameo_def;

static const cameo_def CAMEO[] = {
  {"010", "Make statement, not specified below", 0.0, 1, "AGREE", ""},
  {"012", "Make pessimistic comment", -0.4, 1, "ACCUSE", "disapprove"},
  {"020", "Appeal, not specified below", 3.0, 1, "REQUEST", "assist change"},
  {"036", "Express intent to meet or negotiate", 4.0, 1, "CONSULT", "phone third-party"},
  {"042", "Make a visit", 1.9, 1, "CONSULT", "visit"},
  {"043", "Host a visit", 2.8, 1, "CONSULT", "visit multilateral"},
  {"057", "Sign formal agreement", 8.0, 1, "AGREE", ""},
  {"0233", "Appeal for humanitarian aid", 3.4, 1, "REQUEST", "assist"},
  {"070", "Provide aid, not specified below", 7.0, 2, "AID", ""},
  {"0871", "Declare truce, ceasefire", 9.0, 2, "RETREAT", "ceasefire withdraw"},
  {"100", "Demand, not specified below", -5.0, 3, "REQUEST", "change yield"},
  {"111", "Criticize or denounce", -2.0, 3, "ACCUSE", "disapprove"},
  {"112", "Accuse, not specified below", -2.0, 3, "ACCUSE", "allege investigate"},
  {"128", "Defy norms, law", -4.0, 3, "REJECT", "change"},
  {"130", "Threaten, not specified below", -4.4, 3, "THREATEN", "violence restrict"},
  {"141", "Demonstrate or rally", -6.5, 3, "PROTEST", "demo"},
  {"143", "Conduct strike or boycott", -6.5, 3, "PROTEST", "strike boycott"},
  {"163", "Impose embargo, boycott, or sanctions", -8.0, 4, "SANCTION", "discontinue"},
  {"173", "Arrest, detain, or charge with legal action", -5.0, 4, "COERCE", "arrest"},
  {"174", "Expel or deport individuals", -5.0, 4, "COERCE", "deport"},
  {"175", "Use tactics of violent repression", -9.0, 4, "COERCE", "restrict curfew"},
  {"190", "Use conventional military force, not specified below", -10.0, 4, "ASSAULT",
   "firearms heavy-weapons"},
  {"193", "Fight with small arms and light weapons", -10.0, 4, "ASSAULT", "firearms"},
  {"195", "Employ aerial weapons", -10.0, 4, "ASSAULT", "aerial drone"},
};

/* PLOVER categories whose events need a RECIPIENT participant. */
static int needs_recipient(const char *plover) {
  return strcmp(plover, "AID") == 0 || strcmp(plover, "SANCTION") == 0 ||
         strcmp(plover, "COOPERATE") == 0;
}

static const char *const CONTEXTS[] = {
  "military", "executive", "legislative", "election", "economic", "legal",
  "human_rights", "repression", "diplomatic", "territory", "health", "asylum",
  "migration", "disasters", "environment", "cyber", "misinformation", "crime",
};
static const char *const SECTORS[] = {
  "GOV", "MIL", "COP", "JUD", "LEG", "OPP", "REB", "CVL", "MED", "BUS", "REF",
};

typedef struct outlet {
  const char *name, *domain, *country;
} outlet;

static const outlet OUTLETS[] = {
  {"CNN", "cnn.com", "USA"}, {"Reuters", "reuters.com", "GBR"},
  {"Le Monde", "lemonde.fr", "FRA"}, {"S\u00fcddeutsche Zeitung", "sueddeutsche.de", "DEU"},
  {"El Pa\u00eds", "elpais.com", "ESP"}, {"Folha de S.Paulo", "folha.uol.com.br", "BRA"},
  {"\u4eba\u6c11\u65e5\u62a5", "people.com.cn", "CHN"}, {"\u671d\u65e5\u65b0\u805e", "asahi.com", "JPN"},
  {"Associated Press", "apnews.com", "USA"}, {"BBC News", "bbc.co.uk", "GBR"},
  {"Al Jazeera", "aljazeera.com", "QAT"}, {"Daily Nation", "nation.africa", "KEN"},
};

static const char *const SECTIONS[] = {
  "politics", "world", "business", "national", "europe", "asia", "americas",
  "africa", "middle-east", "opinion", "economy", "health", "climate",
};

static const char *const EMOJI[] = {
  "\U0001F525", "\U0001F4C8", "\U0001F1FA\U0001F1F8", "\U0001F44D\U0001F3FD",
  "\u2705", "\u274C", "\U0001F6A8", "\U0001F4E2", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
  "\U0001F30D", "\u26A0\uFE0F", "\U0001F64F",
};

static const char *const RATINGS[] = {
  "False", "Pants on Fire", "Mostly False", "Half True", "Mostly True", "True",
  "Misleading", "Needs Context", "Without evidence", "Faux", "Falso", "Irref\u00fchrend",
};

/* ======================================================================
 * Generator state, PRNG and allocation
 * ====================================================================== */

typedef struct span {
  uint32_t c0, c1;  /* code points, end-exclusive */
  size_t b0, b1;    /* bytes of the same range */
} span;

typedef struct tbuf {
  char *p;
  size_t len, cap;
  uint32_t cps;     /* code points in p[0..len) */
} tbuf;

typedef struct actor_slot {
  const char *name;
  int is_person;
  size_t n_spans;
  span spans[MAX_SPANS];
} actor_slot;

typedef struct gen {
  uint64_t rng;
  ProtobufCAllocator *al;
  const lang *lg;
  tbuf body;          /* Article.body; spans index into it */
  tbuf scratch;       /* headlines, claim texts ... before their arena copy */
  size_t n_sent;
  span sent[MAX_SENT];
  size_t n_quotes;
  span quotes[MAX_QUOTES];
  int quote_actor[MAX_QUOTES];
  size_t n_actors, n_places;
  actor_slot actors[MAX_ACTORS];
  const place_def *places[MAX_PLACES];
  span place_span[MAX_PLACES];
  int place_seen[MAX_PLACES];
  const outlet *out;
  int64_t pub_time;   /* seconds since the epoch */
  uint64_t index;     /* record number */
} gen;

static void die(const char *what) {
  fprintf(stderr, "gencorpus: %s\n", what);
  exit(2);
}

/* splitmix64: tiny, fast, good enough for synthetic data, and seedable per
 * record so that records are independent of each other. */
static uint64_t rnd(gen *g) {
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint32_t rn(gen *g, size_t n) { return (uint32_t)(rnd(g) % n); }
static uint32_t rr(gen *g, uint32_t lo, uint32_t hi) { return lo + rn(g, hi - lo + 1); }
static int chance(gen *g, unsigned pct) { return rn(g, 100) < pct; }
static double ru(gen *g) { return (double)(rnd(g) >> 11) * 0x1.0p-53; }

/* Skewed pick: low indexes come up more often, as frequent words do. */
static uint32_t rskew(gen *g, size_t n) {
  double u = ru(g);
  return (uint32_t)((double)n * u * u);
}

#define PICK(g, arr) ((arr)[rn((g), LEN(arr))])

static void *gal(gen *g, size_t n) {
  void *p = g->al->alloc(g->al->allocator_data, n);
  if (!p) die("out of memory");
  return p;
}

#define MK(g, var, T, INIT) \
  do { (var) = gal((g), sizeof *(var)); *(var) = (T)INIT; } while (0)
/* `n` is evaluated once (it is often a random draw). */
#define ARR(g, obj, field, n) \
  do { \
    (obj)->n_##field = (n); \
    (obj)->field = gal((g), (obj)->n_##field * sizeof *(obj)->field + 1); \
  } while (0)

static char *gstrdup(gen *g, const char *s, size_t n) {
  char *p = gal(g, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

__attribute__((format(printf, 2, 3)))
static char *gfmt(gen *g, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) die("format error");
  return gstrdup(g, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ======================================================================
 * Text: the body buffer counts code points as it grows
 * ====================================================================== */

static void tb_put(tbuf *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 4096;
    while (cap < t->len + n + 1) cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) die("out of memory");
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
  for (size_t i = 0; i < n; i++)   /* code points = bytes that start one */
    t->cps += ((unsigned char)s[i] & 0xC0) != 0x80;
}

static void tb_str(tbuf *t, const char *s) { tb_put(t, s, strlen(s)); }

static span tb_mark(const tbuf *t) {
  span s = {t->cps, t->cps, t->len, t->len};
  return s;
}

static void tb_close(const tbuf *t, span *s) {
  s->c1 = t->cps;
  s->b1 = t->len;
}

static void word_sep(gen *g) {
  if (!g->lg->cjk) tb_str(&g->body, " ");
}

static void put_word(gen *g, int capital) {
  const char *w = g->lg->words[rskew(g, g->lg->n_words)];
  if (capital && !g->lg->cjk && w[0] >= 'a' && w[0] <= 'z') {
    char c = (char)(w[0] - 'a' + 'A');
    tb_put(&g->body, &c, 1);
    tb_str(&g->body, w + 1);
  } else {
    tb_str(&g->body, w);
  }
}

/* A number as news prints them: "3,000", "12.5", "41". */
static void put_number(gen *g) {
  char tmp[32];
  int n;
  switch (rn(g, 3)) {
  case 0: n = snprintf(tmp, sizeof tmp, "%u,%03u", rr(g, 1, 99), rn(g, 1000)); break;
  case 1: n = snprintf(tmp, sizeof tmp, "%u.%u", rr(g, 1, 99), rn(g, 10)); break;
  default: n = snprintf(tmp, sizeof tmp, "%u", rr(g, 2, 500)); break;
  }
  tb_put(&g->body, tmp, (size_t)n);
}

/* The name of actor `a`, recorded as one of its mention spans. */
static void put_actor(gen *g, size_t a) {
  actor_slot *s = &g->actors[a];
  span sp = tb_mark(&g->body);
  tb_str(&g->body, s->name);
  tb_close(&g->body, &sp);
  if (s->n_spans < MAX_SPANS) s->spans[s->n_spans++] = sp;
}

static void put_place(gen *g, size_t p) {
  span sp = tb_mark(&g->body);
  tb_str(&g->body, g->places[p]->name);
  tb_close(&g->body, &sp);
  if (!g->place_seen[p]) {
    g->place_seen[p] = 1;
    g->place_span[p] = sp;
  }
}

/* ======================================================================
 * Sentences and bodies
 * ====================================================================== */

static void put_words(gen *g, unsigned n, int capital_first) {
  for (unsigned i = 0; i < n; i++) {
    if (i) word_sep(g);
    unsigned r = rn(g, 100);
    if (r < 3) put_number(g);
    else if (r < 5 && g->n_places) put_place(g, rn(g, g->n_places));
    else if (r < 7) put_actor(g, rn(g, g->n_actors));
    else put_word(g, capital_first && i == 0);
    if (!g->lg->cjk && i + 1 < n && chance(g, 6)) tb_str(&g->body, ",");
  }
}

/* “Quoted words,” Name said.  The quoted words are recorded as a quote span. */
static void put_quote_sentence(gen *g) {
  size_t a = rn(g, g->n_actors);
  tb_str(&g->body, g->lg->qopen);
  span q = tb_mark(&g->body);
  put_words(g, rr(g, 6, 24), 1);
  if (chance(g, 5)) {
    word_sep(g);
    tb_str(&g->body, PICK(g, EMOJI));
  }
  tb_close(&g->body, &q);
  tb_str(&g->body, g->lg->qclose);
  tb_str(&g->body, g->lg->cjk ? "" : ", ");
  put_actor(g, a);
  word_sep(g);
  tb_str(&g->body, g->lg->said);
  if (g->n_quotes < MAX_QUOTES) {
    g->quote_actor[g->n_quotes] = (int)a;
    g->quotes[g->n_quotes++] = q;
  }
}

static void put_sentence(gen *g) {
  span s = tb_mark(&g->body);
  if (chance(g, 12)) {
    put_quote_sentence(g);
  } else if (chance(g, 30)) {
    put_actor(g, rn(g, g->n_actors));
    word_sep(g);
    put_words(g, rr(g, 6, 26), 0);
  } else {
    put_words(g, rr(g, 8, 30), 1);
  }
  tb_str(&g->body, g->lg->cjk ? "\u3002" : ".");
  tb_close(&g->body, &s);
  if (g->n_sent < MAX_SENT) g->sent[g->n_sent++] = s;
}

/* Bodies: 8% headline-only, 12% short posts, the rest log-uniform up to 20 KB. */
static void build_body(gen *g) {
  unsigned r = rn(g, 100);
  size_t target;
  if (r < 8) target = 0;
  else if (r < 20) target = rr(g, 80, 600);
  else target = (size_t)(700.0 * exp(ru(g) * log(20000.0 / 700.0)));
  while (g->body.len < target) {
    if (g->body.len) tb_str(&g->body, g->lg->cjk ? "\n\n" : (chance(g, 30) ? "\n\n" : " "));
    put_sentence(g);
  }
}

/* A short phrase (headline, claim text, explanation) copied into the arena. */
static char *phrase(gen *g, unsigned n, int capital) {
  tbuf *t = &g->scratch;
  t->len = 0;
  t->cps = 0;
  for (unsigned i = 0; i < n; i++) {
    const char *w = g->lg->words[rskew(g, g->lg->n_words)];
    if (i && !g->lg->cjk) tb_str(t, " ");
    if (i == 0 && capital && w[0] >= 'a' && w[0] <= 'z') {
      char c = (char)(w[0] - 'a' + 'A');
      tb_put(t, &c, 1);
      w++;
    }
    tb_str(t, w);
  }
  return gstrdup(g, t->len ? t->p : "", t->len);
}

static char *body_text(gen *g, const span *s) {
  return gstrdup(g, g->body.p + s->b0, s->b1 - s->b0);
}

/* ======================================================================
 * Small messages: times, wrappers, spans, ids
 * ====================================================================== */

/* Instants between 2015 and 2026; a third carry milliseconds, a few
 * microseconds, the rest whole seconds (as sources really give them). */
static Google__Protobuf__Timestamp *ts_at(gen *g, int64_t sec) {
  Google__Protobuf__Timestamp *t;
  MK(g, t, Google__Protobuf__Timestamp, GOOGLE__PROTOBUF__TIMESTAMP__INIT);
  t->seconds = sec;
  unsigned r = rn(g, 100);
  t->nanos = r < 30 ? (int32_t)rn(g, 1000) * 1000000 : r < 35 ? (int32_t)rn(g, 1000000) * 1000 : 0;
  return t;
}

static Google__Protobuf__DoubleValue *dbl(gen *g, double v) {
  Google__Protobuf__DoubleValue *d;
  MK(g, d, Google__Protobuf__DoubleValue, GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT);
  d->value = v;
  return d;
}

static Google__Protobuf__UInt32Value *u32(gen *g, uint32_t v) {
  Google__Protobuf__UInt32Value *d;
  MK(g, d, Google__Protobuf__UInt32Value, GOOGLE__PROTOBUF__UINT32_VALUE__INIT);
  d->value = v;
  return d;
}

static Evrec__V1__Span *mkspan(gen *g, const span *s) {
  Evrec__V1__Span *p;
  MK(g, p, Evrec__V1__Span, EVREC__V1__SPAN__INIT);
  p->start = s->c0;
  p->end = s->c1;
  return p;
}

/* "YYYY-MM-DD" of an instant (UTC), or reduced to "YYYY-MM" / "YYYY". */
static char *date_of(gen *g, int64_t sec, int precision) {
  time_t t = (time_t)sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  if (precision == 1) return gfmt(g, "%04d", tm.tm_year + 1900);
  if (precision == 2) return gfmt(g, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return gfmt(g, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* A confidence as coders write it: two decimals, or a model's full double. */
static double conf(gen *g) {
  return chance(g, 60) ? (double)rr(g, 30, 100) / 100.0 : ru(g);
}

static Evrec__V1__ExternalId *ext_id(gen *g, const char *scheme, char *value) {
  Evrec__V1__ExternalId *x;
  MK(g, x, Evrec__V1__ExternalId, EVREC__V1__EXTERNAL_ID__INIT);
  x->scheme = (char *)scheme;
  x->value = value;
  return x;
}

/* ======================================================================
 * Actors and places
 * ====================================================================== */

static void pick_actors(gen *g) {
  unsigned r = rn(g, 100);
  g->n_actors = r < 10 ? 1 : r < 70 ? rr(g, 2, 5) : r < 92 ? rr(g, 6, 9) : rr(g, 10, MAX_ACTORS);
  for (size_t i = 0; i < g->n_actors; i++) {
    actor_slot *a = &g->actors[i];
    a->is_person = chance(g, 60);
    a->name = a->is_person ? PICK(g, PERSONS) : PICK(g, ORGS);
    a->n_spans = 0;
  }
  g->n_places = rn(g, MAX_PLACES + 1);
  for (size_t i = 0; i < g->n_places; i++) {
    g->places[i] = &PLACES[rn(g, LEN(PLACES))];
    g->place_seen[i] = 0;
  }
}

static Evrec__V1__Actor *mk_actor(gen *g, size_t i) {
  actor_slot *s = &g->actors[i];
  Evrec__V1__Actor *a;
  MK(g, a, Evrec__V1__Actor, EVREC__V1__ACTOR__INIT);
  a->id = gfmt(g, "a%zu", i + 1);
  a->name = (char *)s->name;
  a->kind = s->is_person ? EVREC__V1__ACTOR_KIND__ACTOR_KIND_PERSON
                         : (Evrec__V1__ActorKind)rr(g, 2, 7);
  a->country = (char *)PLACES[rn(g, LEN(PLACES))].country;
  size_t ns = rn(g, 3);
  ARR(g, a, sectors, ns);
  for (size_t k = 0; k < ns; k++) a->sectors[k] = (char *)PICK(g, SECTORS);
  if (ns) a->cameo_code = gfmt(g, "%s%s", a->country, a->sectors[0]);
  if (chance(g, 55)) {
    uint32_t q = rr(g, 1000, 130000000);
    a->wikidata_id = gfmt(g, "Q%u", q);
    ARR(g, a, same_as, 1);
    a->same_as[0] = gfmt(g, "https://www.wikidata.org/wiki/Q%u", q);
  }
  if (s->is_person && chance(g, 50)) a->title = phrase(g, rr(g, 2, 6), 1);
  if (chance(g, 30)) {
    ARR(g, a, aliases, rr(g, 1, 2));
    for (size_t k = 0; k < a->n_aliases; k++) a->aliases[k] = phrase(g, rr(g, 1, 3), 1);
  }
  ARR(g, a, mentions, s->n_spans);
  for (size_t k = 0; k < s->n_spans; k++) a->mentions[k] = mkspan(g, &s->spans[k]);
  return a;
}

static Evrec__V1__Place *mk_place(gen *g, size_t i) {
  const place_def *d = g->places[i];
  Evrec__V1__Place *p;
  MK(g, p, Evrec__V1__Place, EVREC__V1__PLACE__INIT);
  p->id = gfmt(g, "p%zu", i + 1);
  p->name = (char *)d->name;
  if (g->place_seen[i]) p->mention = mkspan(g, &g->place_span[i]);
  p->country = (char *)d->country;
  p->admin1 = (char *)d->admin1;
  p->geonames_id = (char *)d->geonames;
  p->precision = EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY;
  p->feature_code = "PPL";
  if (chance(g, 80)) {
    MK(g, p->point, Evrec__V1__GeoPoint, EVREC__V1__GEO_POINT__INIT);
    p->point->latitude = d->lat;
    p->point->longitude = d->lon;
  }
  return p;
}

/* ======================================================================
 * Events
 * ====================================================================== */

static Evrec__V1__Mention *mk_evidence(gen *g) {
  size_t si = rn(g, g->n_sent);
  Evrec__V1__Mention *m;
  MK(g, m, Evrec__V1__Mention, EVREC__V1__MENTION__INIT);
  m->span = mkspan(g, &g->sent[si]);
  if (chance(g, 70)) m->text = body_text(g, &g->sent[si]);
  m->sentence_index = u32(g, (uint32_t)si);
  if (chance(g, 80)) m->confidence = dbl(g, conf(g));
  m->inferred = chance(g, 15);
  return m;
}

/* One of the space-separated modes, or none (a quarter of the time). */
static char *pick_mode(gen *g, const char *modes) {
  size_t n = 0;
  for (const char *p = modes; *p; p += strcspn(p, " "), p += *p == ' ') n++;
  if (!n || chance(g, 25)) return (char *)"";
  size_t k = rn(g, n);
  const char *p = modes;
  while (k--) p += strcspn(p, " ") + 1;
  return gfmt(g, "%.*s", (int)strcspn(p, " "), p);
}

static void event_types(gen *g, Evrec__V1__Event *e, const cameo_def *c) {
  int plover = chance(g, 40);
  ARR(g, e, types, plover ? 2 : 1);
  Evrec__V1__EventType *t;
  MK(g, t, Evrec__V1__EventType, EVREC__V1__EVENT_TYPE__INIT);
  t->scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO;
  t->code = (char *)c->code;
  t->label = (char *)c->label;
  e->types[0] = t;
  if (!plover) return;
  MK(g, t, Evrec__V1__EventType, EVREC__V1__EVENT_TYPE__INIT);
  t->scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_PLOVER;
  t->code = (char *)c->plover;
  e->types[1] = t;
  e->mode = pick_mode(g, c->modes);
  ARR(g, e, contexts, rn(g, 3));
  for (size_t k = 0; k < e->n_contexts; k++) e->contexts[k] = (char *)PICK(g, CONTEXTS);
}

static void event_people(gen *g, Evrec__V1__Event *e, const cameo_def *c) {
  int recipient = e->n_types > 1 && needs_recipient(c->plover);
  uint32_t hi = g->n_actors < 3 ? (uint32_t)g->n_actors : 3;
  if (recipient && hi < 2) hi = 2; /* a lone actor may act on itself */
  size_t np = rr(g, recipient ? 2 : 1, hi);
  ARR(g, e, participants, np);
  for (size_t k = 0; k < np; k++) {
    Evrec__V1__Participant *p;
    MK(g, p, Evrec__V1__Participant, EVREC__V1__PARTICIPANT__INIT);
    p->actor_id = gfmt(g, "a%u", rr(g, 1, (uint32_t)g->n_actors));
    p->role = k == 0 ? EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR
              : k == 1 && recipient ? EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT
                                    : (Evrec__V1__ParticipantRole)rr(g, 2, 3);
    e->participants[k] = p;
  }
  if (g->n_places) e->place_id = gfmt(g, "p%u", rr(g, 1, (uint32_t)g->n_places));
}

static void event_numbers(gen *g, Evrec__V1__Event *e, const cameo_def *c) {
  e->quad_class = (Evrec__V1__QuadClass)c->quad;
  if (chance(g, 85)) e->goldstein = dbl(g, c->goldstein);
  if (chance(g, 50)) e->tone = dbl(g, ru(g) * 20.0 - 10.0);  /* GDELT: full double */
  if (chance(g, 75)) e->confidence = dbl(g, conf(g));
  if ((c->quad == 4 || strcmp(c->plover, "PROTEST") == 0) && chance(g, 70)) {
    MK(g, e->counts, Evrec__V1__Counts, EVREC__V1__COUNTS__INIT);
    e->counts->fatalities = u32(g, chance(g, 40) ? 0 : rskew(g, 300));
    if (chance(g, 50)) e->counts->injured = u32(g, rskew(g, 1000));
    if (chance(g, 30)) e->counts->arrested = u32(g, rskew(g, 500));
    if (chance(g, 25)) {
      e->counts->crowd_size = u32(g, rr(g, 50, 200000));
      e->counts->crowd_size_text = phrase(g, 2, 0);
    }
  }
  if (chance(g, 40)) {
    ARR(g, e, source_ids, rr(g, 1, 2));
    for (size_t k = 0; k < e->n_source_ids; k++)
      e->source_ids[k] = ext_id(g, "gdelt.globaleventid",
                                gfmt(g, "%" PRIu64, (uint64_t)(1100000000u + rnd(g) % 200000000u)));
  }
}

static Evrec__V1__Event *mk_event(gen *g, size_t i) {
  const cameo_def *c = &CAMEO[rn(g, LEN(CAMEO))];
  Evrec__V1__Event *e;
  MK(g, e, Evrec__V1__Event, EVREC__V1__EVENT__INIT);
  e->id = gfmt(g, "e%zu", i + 1);
  if (chance(g, 50)) e->summary = phrase(g, rr(g, 5, 14), 1);
  event_types(g, e, c);
  if (chance(g, 10)) {
    ARR(g, e, modality, 1);
    e->modality[0] = (Evrec__V1__Modality)rr(g, 1, 5);
  }
  event_people(g, e, c);
  int64_t when = g->pub_time - (int64_t)rn(g, 3 * 86400);
  e->start_date = date_of(g, when, chance(g, 90) ? 3 : 2);
  if (chance(g, 15)) e->end_date = date_of(g, g->pub_time, 3);
  if (chance(g, 20)) e->occurred_at = ts_at(g, when);
  event_numbers(g, e, c);
  ARR(g, e, evidence, g->n_sent ? rr(g, 1, 3) : 0);
  for (size_t k = 0; k < e->n_evidence; k++) e->evidence[k] = mk_evidence(g);
  if (chance(g, 30)) e->cluster_id = gfmt(g, "cl-%08" PRIx64, rnd(g) & 0xffffffffu);
  e->is_root = chance(g, 35);
  return e;
}

/* ======================================================================
 * Claims
 * ====================================================================== */

static Evrec__V1__Review *mk_review(gen *g) {
  const outlet *o = &OUTLETS[rn(g, LEN(OUTLETS))];
  Evrec__V1__Review *r;
  MK(g, r, Evrec__V1__Review, EVREC__V1__REVIEW__INIT);
  MK(g, r->reviewer, Evrec__V1__Publisher, EVREC__V1__PUBLISHER__INIT);
  r->reviewer->name = gfmt(g, "%s Fact Check", o->name);
  r->reviewer->domain = (char *)o->domain;
  r->url = gfmt(g, "https://www.%s/fact-check/%016" PRIx64, o->domain, rnd(g));
  r->title = phrase(g, rr(g, 6, 14), 1);
  int64_t at = g->pub_time + (int64_t)rn(g, 20 * 86400);
  if (chance(g, 60)) r->published_at = ts_at(g, at);
  else r->published_date = date_of(g, at, 3);
  r->language = (char *)g->lg->tag;
  r->textual_rating = (char *)PICK(g, RATINGS);
  if (chance(g, 50)) {
    r->rating_value = gfmt(g, "%u", rr(g, 1, 5));
    r->best_rating = "5";
    r->worst_rating = "1";
  }
  r->explanation = phrase(g, rr(g, 10, 60), 1);
  r->verdict = (Evrec__V1__Verdict)rr(g, 1, 10);
  return r;
}

static Evrec__V1__Appearance *mk_appearance(gen *g, size_t k) {
  Evrec__V1__Appearance *a;
  MK(g, a, Evrec__V1__Appearance, EVREC__V1__APPEARANCE__INIT);
  a->url = gfmt(g, "https://truthsocial.com/@user%u/posts/%" PRIu64, rn(g, 1000),
                rnd(g) >> 8);
  if (chance(g, 50)) a->headline = phrase(g, rr(g, 4, 10), 1);
  a->published_at = ts_at(g, g->pub_time - (int64_t)rn(g, 86400));
  a->publisher = chance(g, 50) ? "Truth Social" : "X";
  a->is_first = k == 0;
  if (chance(g, 15)) {
    MK(g, a->start_offset, Google__Protobuf__Duration, GOOGLE__PROTOBUF__DURATION__INIT);
    a->start_offset->seconds = rn(g, 3600);
    a->start_offset->nanos = (int32_t)rn(g, 10) * 100000000;
  }
  return a;
}

static void claim_quote(gen *g, Evrec__V1__Claim *c) {
  if (!g->n_quotes || !chance(g, 70)) return;
  size_t qi = rn(g, g->n_quotes);
  c->claimant_id = gfmt(g, "a%d", g->quote_actor[qi] + 1);
  c->claimant_name = (char *)g->actors[g->quote_actor[qi]].name;
  MK(g, c->quote, Evrec__V1__Quote, EVREC__V1__QUOTE__INIT);
  c->quote->text = body_text(g, &g->quotes[qi]);
  c->quote->span = mkspan(g, &g->quotes[qi]);
  c->attribution = EVREC__V1__ATTRIBUTION__ATTRIBUTION_DIRECT_QUOTE;
}

static Evrec__V1__Claim *mk_claim(gen *g, size_t i, size_t n_events) {
  Evrec__V1__Claim *c;
  MK(g, c, Evrec__V1__Claim, EVREC__V1__CLAIM__INIT);
  c->id = gfmt(g, "c%zu", i + 1);
  size_t who = rn(g, g->n_actors);
  c->claimant_id = gfmt(g, "a%zu", who + 1);
  c->claimant_name = (char *)g->actors[who].name;
  c->attribution = (Evrec__V1__Attribution)rr(g, 2, 5);
  claim_quote(g, c);
  c->text = phrase(g, rr(g, 8, 30), 1);
  c->reporting_verb = chance(g, 50) ? "claimed" : "posted";
  if (chance(g, 40)) c->medium = "Truth Social post";
  if (chance(g, 50)) c->stated_at = ts_at(g, g->pub_time - (int64_t)rn(g, 86400));
  else c->stated_date = date_of(g, g->pub_time, 3);
  c->stance = (Evrec__V1__Stance)rr(g, 1, 6);
  if (n_events && chance(g, 50)) {
    ARR(g, c, about_event_ids, 1);
    c->about_event_ids[0] = gfmt(g, "e%u", rr(g, 1, (uint32_t)n_events));
  }
  ARR(g, c, evidence, g->n_sent ? rn(g, 3) : 0);
  for (size_t k = 0; k < c->n_evidence; k++) c->evidence[k] = mk_evidence(g);
  ARR(g, c, appearances, rn(g, 3));
  for (size_t k = 0; k < c->n_appearances; k++) c->appearances[k] = mk_appearance(g, k);
  ARR(g, c, reviews, rn(g, 4));
  for (size_t k = 0; k < c->n_reviews; k++) c->reviews[k] = mk_review(g);
  return c;
}

/* ======================================================================
 * Article
 * ====================================================================== */

static void article_meta(gen *g, Evrec__V1__Article *a, const char *slug) {
  a->uri = gfmt(g, "https://www.%s/%s/%s", g->out->domain, date_of(g, g->pub_time, 3), slug);
  if (chance(g, 30)) a->canonical_uri = a->uri;
  if (chance(g, 20)) {
    ARR(g, a, alt_ids, 1);
    a->alt_ids[0] = ext_id(g, "ninjs.altid.guid",
                           gfmt(g, "urn:newsml:%s:%" PRIu64, g->out->domain, g->index));
  }
  a->kind = chance(g, 85) ? EVREC__V1__ARTICLE_KIND__ARTICLE_KIND_TEXT
                          : (Evrec__V1__ArticleKind)rr(g, 2, 13);
  if (chance(g, 30)) a->version = gfmt(g, "%u", rr(g, 1, 9));
  a->pub_status = EVREC__V1__PUB_STATUS__PUB_STATUS_USABLE;
  a->language = (char *)g->lg->tag;
  if (chance(g, 60)) a->published_at = ts_at(g, g->pub_time);
  else a->published_date = date_of(g, g->pub_time, 3);
  if (chance(g, 40)) a->modified_at = ts_at(g, g->pub_time + (int64_t)rn(g, 86400));
  MK(g, a->publisher, Evrec__V1__Publisher, EVREC__V1__PUBLISHER__INIT);
  a->publisher->name = (char *)g->out->name;
  a->publisher->url = gfmt(g, "https://www.%s/", g->out->domain);
  a->publisher->domain = (char *)g->out->domain;
  a->publisher->country = (char *)g->out->country;
  if (chance(g, 50)) a->urgency = u32(g, rr(g, 1, 9));
  a->section = (char *)PICK(g, SECTIONS);
}

static void article_credits(gen *g, Evrec__V1__Article *a) {
  ARR(g, a, contributors, rn(g, 4));
  for (size_t k = 0; k < a->n_contributors; k++) {
    Evrec__V1__Contributor *c;
    MK(g, c, Evrec__V1__Contributor, EVREC__V1__CONTRIBUTOR__INIT);
    c->name = (char *)PICK(g, PERSONS);
    c->role = k == 0 ? EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_AUTHOR
                     : (Evrec__V1__ContributorRole)rr(g, 2, 7);
    a->contributors[k] = c;
  }
  if (a->n_contributors)
    a->byline = gfmt(g, "By %s, %s", a->contributors[0]->name, g->out->name);
  ARR(g, a, keywords, rn(g, 9));
  for (size_t k = 0; k < a->n_keywords; k++) a->keywords[k] = phrase(g, rr(g, 1, 2), 0);
  ARR(g, a, subjects, rn(g, 3));
  for (size_t k = 0; k < a->n_subjects; k++) {
    Evrec__V1__Subject *s;
    MK(g, s, Evrec__V1__Subject, EVREC__V1__SUBJECT__INIT);
    uint32_t code = rr(g, 1000000, 20001000);
    s->name = phrase(g, rr(g, 1, 3), 1);
    s->code = gfmt(g, "medtop:%08u", code);
    s->uri = gfmt(g, "http://cv.iptc.org/newscodes/mediatopic/%08u", code);
    a->subjects[k] = s;
  }
  if (chance(g, 50)) {
    MK(g, a->rights, Evrec__V1__Rights, EVREC__V1__RIGHTS__INIT);
    a->rights->copyright_holder = (char *)g->out->name;
    a->rights->copyright_notice = gfmt(g, "\u00a9 %s %s. All Rights Reserved.",
                                       date_of(g, g->pub_time, 1), g->out->name);
  }
}

static void article_extras(gen *g, Evrec__V1__Article *a) {
  if (g->n_places && chance(g, 50)) {
    MK(g, a->dateline, Evrec__V1__Dateline, EVREC__V1__DATELINE__INIT);
    a->dateline->text = gfmt(g, "%s (%s)", g->places[0]->name, g->out->name);
    a->dateline->place_id = "p1";
  }
  if (chance(g, 4)) {
    ARR(g, a, corrections, 1);
    Evrec__V1__Correction *c;
    MK(g, c, Evrec__V1__Correction, EVREC__V1__CORRECTION__INIT);
    c->at = ts_at(g, g->pub_time + 86400);
    c->kind = (Evrec__V1__CorrectionKind)rr(g, 1, 3);
    c->text = phrase(g, rr(g, 10, 30), 1);
    a->corrections[0] = c;
  }
  if (strcmp(g->lg->tag, "en") != 0 && chance(g, 20)) {
    MK(g, a->translation, Evrec__V1__Translation, EVREC__V1__TRANSLATION__INIT);
    a->translation->source_language = (char *)g->lg->tag;
    a->translation->engine = "GDELT Translingual 1.0";
  }
  if (chance(g, 15)) a->syndication_group = gfmt(g, "syn-%012" PRIx64, rnd(g) >> 16);
}

static Evrec__V1__Article *mk_article(gen *g, const char *slug) {
  Evrec__V1__Article *a;
  MK(g, a, Evrec__V1__Article, EVREC__V1__ARTICLE__INIT);
  article_meta(g, a, slug);
  a->headline = phrase(g, rr(g, 6, 14), 1);
  if (chance(g, 25)) a->subheadline = phrase(g, rr(g, 8, 20), 1);
  if (chance(g, 40)) a->summary = phrase(g, rr(g, 15, 45), 1);
  if (g->body.len) a->body = g->body.p;
  article_credits(g, a);
  article_extras(g, a);
  return a;
}

/* ======================================================================
 * Provenance and the record
 * ====================================================================== */

static Evrec__V1__Provenance *mk_provenance(gen *g) {
  Evrec__V1__Provenance *p;
  MK(g, p, Evrec__V1__Provenance, EVREC__V1__PROVENANCE__INIT);
  MK(g, p->coder, Evrec__V1__Coder, EVREC__V1__CODER__INIT);
  int machine = chance(g, 70);
  p->coder->name = machine ? "PETRARCH2" : "newsdesk data team";
  p->coder->version = machine ? "1.2.0" : "2025-06";
  p->coder->kind = machine ? EVREC__V1__CODER_KIND__CODER_KIND_MACHINE
                           : (Evrec__V1__CoderKind)rr(g, 1, 3);
  ARR(g, p, codebooks, rr(g, 1, 2));
  for (size_t k = 0; k < p->n_codebooks; k++) {
    Evrec__V1__Codebook *c;
    MK(g, c, Evrec__V1__Codebook, EVREC__V1__CODEBOOK__INIT);
    c->name = k ? "PLOVER" : "CAMEO";
    c->version = k ? "2.0" : "1.1b3";
    p->codebooks[k] = c;
  }
  p->coded_at = ts_at(g, g->pub_time + (int64_t)rn(g, 7 * 86400));
  p->license = "CC-BY-4.0";
  return p;
}

static void record_extensions(gen *g, Evrec__V1__Record *r) {
  if (!chance(g, 20)) return;
  ARR(g, r, extensions, rr(g, 1, 2));
  static const char *const KEYS[] = {"newsdesk.example/desk", "newsdesk.example/priority"};
  for (size_t k = 0; k < r->n_extensions; k++) {
    Evrec__V1__Record__ExtensionsEntry *e;
    MK(g, e, Evrec__V1__Record__ExtensionsEntry, EVREC__V1__RECORD__EXTENSIONS_ENTRY__INIT);
    e->key = (char *)KEYS[k];
    e->value = k ? gfmt(g, "%u", rr(g, 1, 5)) : (char *)PICK(g, SECTIONS);
    r->extensions[k] = e;
  }
}

static void record_entities(gen *g, Evrec__V1__Record *r) {
  ARR(g, r, actors, g->n_actors);
  for (size_t i = 0; i < g->n_actors; i++) r->actors[i] = mk_actor(g, i);
  ARR(g, r, places, g->n_places);
  for (size_t i = 0; i < g->n_places; i++) r->places[i] = mk_place(g, i);
  unsigned k = rn(g, 100);
  ARR(g, r, events, k < 15 ? 0 : k < 80 ? rr(g, 1, 3) : rr(g, 4, 8));
  for (size_t i = 0; i < r->n_events; i++) r->events[i] = mk_event(g, i);
  k = rn(g, 100);
  ARR(g, r, claims, k < 45 ? 0 : k < 90 ? rr(g, 1, 2) : rr(g, 3, 5));
  for (size_t i = 0; i < r->n_claims; i++) r->claims[i] = mk_claim(g, i, r->n_events);
}

static void pick_language(gen *g) {
  unsigned r = rn(g, 100);
  size_t i = 0;
  while (r >= LANG_CUM[i]) i++;
  g->lg = &LANGS[i];
}

/* Record `index`: everything below depends only on (seed, index). */
static Evrec__V1__Record *mk_record(gen *g, uint64_t seed, uint64_t index) {
  g->rng = seed * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0xd1b54a32d192ed03ull;
  g->index = index;
  g->body.len = 0;
  g->body.cps = 0;
  g->n_sent = g->n_quotes = 0;
  pick_language(g);
  g->out = &OUTLETS[rn(g, LEN(OUTLETS))];
  g->pub_time = 1420070400 + (int64_t)rn(g, 12u * 365u * 86400u);  /* 2015..2026 */
  Evrec__V1__Record *r;
  MK(g, r, Evrec__V1__Record, EVREC__V1__RECORD__INIT);
  char *slug = gfmt(g, "story-%" PRIu64 "-%04x", index, rn(g, 0x10000));
  r->id = gfmt(g, "%s:%s:%s", g->out->domain, date_of(g, g->pub_time, 3), slug);
  r->revision = chance(g, 85) ? 1 : rr(g, 2, 4);
  r->updated_at = ts_at(g, g->pub_time + (int64_t)rn(g, 30 * 86400));
  if (chance(g, 1)) {  /* tombstone: only id, revision, status, updated_at */
    r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_DELETED;
    return r;
  }
  r->status = r->revision > 1 ? EVREC__V1__RECORD_STATUS__RECORD_STATUS_CORRECTED
                              : EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  pick_actors(g);
  build_body(g);
  r->article = mk_article(g, slug);
  record_entities(g, r);
  r->provenance = mk_provenance(g);
  record_extensions(g, r);
  return r;
}

/* ======================================================================
 * Main: write records until the next one would pass the size
 * ====================================================================== */

static uint64_t parse_size(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) die("bad size (use bytes or 4K, 64M, 1G)");
  switch (*end) {
  case 'k': case 'K': v <<= 10; end++; break;
  case 'm': case 'M': v <<= 20; end++; break;
  case 'g': case 'G': v <<= 30; end++; break;
  default: break;
  }
  if (*end) die("bad size (use bytes or 4K, 64M, 1G)");
  return v;
}

static void usage(void) {
  fputs("usage: gencorpus -n SIZE|-c COUNT [-s SEED] -o OUT.ndjson\n", stderr);
  exit(2);
}

static void check(int rc, const evrec_error *err) {
  if (rc == EVREC_OK) return;
  fprintf(stderr, "gencorpus: %s (%s)\n", err->message, evrec_status_str(rc));
  exit(2);
}

/* Writes records while they fit in `limit` bytes; returns the record count.
 * Each record is encoded once to learn its length (the writer's buffer hides
 * the file size), which costs about as much as the writing itself. */
static uint64_t generate(gen *g, evrec_arena *arena, evrec_writer *w, uint64_t limit,
                         uint64_t count, uint64_t seed, uint64_t *bytes) {
  evrec_error err;
  uint64_t n = 0;
  *bytes = 0;
  for (; n < count;) {
    evrec_arena_reset(arena);
    const ProtobufCMessage *m = &mk_record(g, seed, n)->base;
    size_t len;
    check(evrec_json_encode(NULL, 0, &len, m, NULL, &err), &err);
    if (*bytes + len + 1 > limit) return n;
    check(evrec_writer_write(w, m, &err), &err);
    *bytes += len + 1;
    n++;
  }
  return n;
}

int main(int argc, char **argv) {
  const char *out = NULL, *size = NULL, *count = NULL;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-n")) size = argv[i + 1];
    else if (!strcmp(argv[i], "-c")) count = argv[i + 1];
    else if (!strcmp(argv[i], "-s")) seed = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "-o")) out = argv[i + 1];
    else usage();
  }
  if (!out || (!size && !count) || argc % 2 == 0) usage();
  uint64_t limit = size ? parse_size(size) : UINT64_MAX;
  uint64_t max_records = count ? strtoull(count, NULL, 10) : UINT64_MAX;
  evrec_error err;
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  wo.format = EVREC_FORMAT_NDJSON;
  evrec_writer *w;
  check(evrec_writer_open_file(&w, out, &wo, &err), &err);
  evrec_arena *arena = evrec_arena_new(0);
  if (!arena) die("out of memory");
  gen g;
  memset(&g, 0, sizeof g);
  g.al = evrec_arena_allocator(arena);
  uint64_t bytes;
  uint64_t n = generate(&g, arena, w, limit, max_records, seed, &bytes);
  check(evrec_writer_close(w, &err), &err);
  fprintf(stderr, "gencorpus: %s: %" PRIu64 " records, %" PRIu64 " bytes, seed %" PRIu64 "\n",
          out, n, bytes, seed);
  evrec_arena_free(arena);
  free(g.body.p);
  free(g.scratch.p);
  return 0;
}
