/*
 * rules.h -- the validation rules, declared once (private).
 *
 * This X-macro table is the single declaration of every rule: validate.c
 * expands it into the rule enum and the public table (evrec_rules()), the
 * CLI lists it (`evrec validate --list-rules`), docs/VALIDATION.md's rule
 * table is generated from that list, and tests/validate.sh fails when a
 * rule has no section in the doc or no violating test case in
 * tests/data/validate/. Ids are stable forever: never rename one; retire a
 * rule by keeping its row and never reporting it.
 *
 *   EVREC__RULE(NAME, "id", SEVERITY, "group", "what it checks")
 */
#define EVREC__RULES(R)                                                                       \
  /* decoding: reported by evrec_validate_reader() from the reader's errors */               \
  R(DECODE_SYNTAX, "decode-syntax", ERROR, "decode",                                         \
    "the record is well-formed JSON or protobuf wire data, complete")                        \
  R(DECODE_SCHEMA, "decode-schema", ERROR, "decode",                                         \
    "every field is known and holds a value of its type (JSON type, enum name, one oneof "  \
    "member, no duplicate keys)")                                                            \
  R(DECODE_RANGE, "decode-range", ERROR, "decode",                                           \
    "numbers, timestamps and durations fit their field types")                               \
  R(DECODE_UTF8, "decode-utf8", ERROR, "decode", "text is valid UTF-8")                      \
  R(DECODE_LIMIT, "decode-limit", ERROR, "decode",                                           \
    "the record is within the reading limits (nesting, record and string size)")             \
  R(DECODE_DAMAGED, "decode-damaged", ERROR, "decode",                                       \
    "the .evr block holding the record is intact (CRC, deflate data, header)")               \
  /* ids */                                                                                  \
  R(RECORD_ID_MISSING, "record-id-missing", ERROR, "ids", "every record has an id")          \
  R(RECORD_ID_DUPLICATE, "record-id-duplicate", ERROR, "ids",                                \
    "no two records of a stream have the same id and revision")                              \
  R(ENTITY_ID_MISSING, "entity-id-missing", ERROR, "ids",                                    \
    "every actor, place, event and claim has a local id")                                    \
  R(ENTITY_ID_DUPLICATE, "entity-id-duplicate", ERROR, "ids",                                \
    "local ids are unique within their list (actors, places, events, claims)")               \
  /* references */                                                                           \
  R(REF_ACTOR_UNRESOLVED, "ref-actor-unresolved", ERROR, "references",                       \
    "every actor reference names an actor of the record (participants, claimants, "         \
    "addressees, affiliations, publisher, contributors)")                                    \
  R(REF_PLACE_UNRESOLVED, "ref-place-unresolved", ERROR, "references",                       \
    "every place reference names a place of the record (events, participants, claims, "     \
    "dateline)")                                                                             \
  R(REF_EVENT_UNRESOLVED, "ref-event-unresolved", ERROR, "references",                       \
    "every event a claim is about is an event of the record")                                \
  /* spans */                                                                                \
  R(SPAN_INVERTED, "span-inverted", ERROR, "spans", "a span's start is not after its end")   \
  R(SPAN_OUT_OF_BODY, "span-out-of-body", ERROR, "spans",                                    \
    "a span lies inside article.body, counted in Unicode code points")                       \
  R(SPAN_TEXT_MISMATCH, "span-text-mismatch", ERROR, "spans",                                \
    "a mention's or quote's text, when given, equals the body at its span")                  \
  R(SPAN_EMPTY, "span-empty", WARNING, "spans", "a span covers at least one code point")     \
  /* dates */                                                                                \
  R(DATE_INVALID, "date-invalid", ERROR, "dates",                                            \
    "a calendar date is YYYY, YYYY-MM or YYYY-MM-DD and exists")                             \
  R(DATE_END_BEFORE_START, "date-end-before-start", ERROR, "dates",                          \
    "an event's end date is not before its start date")                                      \
  R(DATE_END_WITHOUT_START, "date-end-without-start", WARNING, "dates",                      \
    "an event with an end date has a start date")                                            \
  R(DATE_MISMATCH, "date-mismatch", WARNING, "dates",                                        \
    "an instant and a date of the same fact agree (within a day: the date may be local); "  \
    "an event's occurredAt lies within its dates")                                           \
  /* codes */                                                                                \
  R(CAMEO_UNKNOWN_CODE, "cameo-unknown-code", ERROR, "codes",                                \
    "a CAMEO event type's code is in the CAMEO codebook")                                    \
  R(PLOVER_UNKNOWN_CATEGORY, "plover-unknown-category", ERROR, "codes",                      \
    "a PLOVER event type's code is a PLOVER 2.0 category")                                   \
  R(PLOVER_UNKNOWN_MODE, "plover-unknown-mode", ERROR, "codes",                              \
    "an event's mode is a mode of its PLOVER category (of any category without one)")        \
  R(PLOVER_UNKNOWN_CONTEXT, "plover-unknown-context", ERROR, "codes",                        \
    "an event's contexts are PLOVER 2.0 contexts")                                           \
  R(COUNTRY_UNKNOWN_CODE, "country-unknown-code", ERROR, "codes",                            \
    "a country is an ISO 3166-1 alpha-3 code (or one of its user-assigned ranges)")          \
  R(LANGUAGE_INVALID_TAG, "language-invalid-tag", ERROR, "codes",                            \
    "a language is a well-formed BCP 47 tag")                                                \
  R(LANGUAGE_UNKNOWN, "language-unknown", WARNING, "codes",                                  \
    "a language tag's primary subtag is an ISO 639 code")                                    \
  R(WIKIDATA_INVALID_ID, "wikidata-invalid-id", ERROR, "codes",                              \
    "a Wikidata id is Q followed by a number")                                               \
  R(URL_INVALID, "url-invalid", ERROR, "codes",                                              \
    "a URL field holds an absolute http or https URL with a host")                           \
  R(URI_INVALID, "uri-invalid", WARNING, "codes",                                            \
    "a URI field holds an absolute URI (scheme:rest, no blanks)")                            \
  R(ENUM_UNKNOWN_VALUE, "enum-unknown-value", ERROR, "codes",                                \
    "an enum field holds one of its enum's values")                                          \
  R(EXTENSION_KEY_INVALID, "extension-key-invalid", WARNING, "codes",                        \
    "an extensions key is namespaced, \"<domain>/<name>\"")                                  \
  /* ranges */                                                                               \
  R(GEO_OUT_OF_RANGE, "geo-out-of-range", ERROR, "ranges",                                   \
    "latitude is within -90..90 and longitude within -180..180")                             \
  R(GOLDSTEIN_OUT_OF_RANGE, "goldstein-out-of-range", ERROR, "ranges",                       \
    "a Goldstein score is within -10..10")                                                   \
  R(CONFIDENCE_OUT_OF_RANGE, "confidence-out-of-range", ERROR, "ranges",                     \
    "a confidence is within 0..1")                                                           \
  R(TONE_OUT_OF_RANGE, "tone-out-of-range", ERROR, "ranges", "a tone is within -100..100")   \
  R(URGENCY_OUT_OF_RANGE, "urgency-out-of-range", ERROR, "ranges",                           \
    "an article's urgency is within 1..9")                                                   \
  R(COUNT_IMPLAUSIBLE, "count-implausible", WARNING, "ranges",                               \
    "an event count (fatalities, injured, arrested, crowd size) is below 100 million")       \
  R(RATING_OUT_OF_SCALE, "rating-out-of-scale", ERROR, "ranges",                             \
    "a review's numeric rating lies between its worst and best rating")                      \
  /* consistency */                                                                          \
  R(QUAD_CLASS_MISMATCH, "quad-class-mismatch", ERROR, "consistency",                        \
    "an event's quad class agrees with its CAMEO root, or without CAMEO with its PLOVER "    \
    "category")                                                                              \
  R(PLOVER_RECIPIENT_MISSING, "plover-recipient-missing", ERROR, "consistency",              \
    "an event of a PLOVER category that requires a recipient has a RECIPIENT participant")   \
  R(EVENT_TYPE_MISSING, "event-type-missing", WARNING, "consistency",                        \
    "every event has at least one type")                                                     \
  R(EVENT_TYPE_INCOMPLETE, "event-type-incomplete", WARNING, "consistency",                  \
    "an event type has a scheme and a code, and scheme OTHER a schemeName")                  \
  R(PARTICIPANT_ROLE_MISSING, "participant-role-missing", WARNING, "consistency",            \
    "every participant has a role")                                                          \
  R(TOMBSTONE_HAS_CONTENT, "tombstone-has-content", WARNING, "consistency",                  \
    "a DELETED record carries only id, revision, status and updatedAt")
