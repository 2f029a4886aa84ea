/* text.h — numbers and text as the trace formats write them. */
#ifndef CTREC_UTIL_TEXT_H
#define CTREC_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decimal text of an unsigned / signed 64-bit integer; returns the length.
 * `out` must hold 20 / 21 bytes. */
size_t text_u64(char *out, uint64_t v);
size_t text_i64(char *out, int64_t v);

/* The shortest decimal text that reads back (strtod) to the same double,
 * locale-independent: "2.5", "0.1", "1e300", "-0", "5e-324". Non-finite
 * values give "inf", "-inf" and "NaN". Returns the length; `out` must hold
 * 32 bytes. The spelling is that of printf("%.*g", P, v) with its exponent
 * tidied ("1e+300" -> "1e300", "1e-05" -> "1e-5"), P being 15, or the 16
 * or 17 digits v needs (P = 17 also when v is a power of two whose nearest
 * 16-digit decimal falls outside its interval): fixed notation, trailing
 * zeros dropped, when the decimal exponent X is -4 <= X < P ("100",
 * "0.0001", "123456789012345"), else "1e15", "1e-5". Ryu's method, no
 * snprintf or strtod (text.c). */
size_t text_double(char *out, double v);

/* Parses what text_double writes, plus the spellings readers accept
 * ("+inf", "nan", "Infinity", any case). Returns 0 on success. */
int text_parse_double(const char *s, size_t len, double *out);

/* Length of `p[0..n)` once every byte that is not part of a valid UTF-8
 * sequence is replaced by U+FFFD (3 bytes). Sets *valid to 1 if no byte
 * needs replacing. */
size_t utf8_clean_len(const uint8_t *p, size_t n, int *valid);

/* Appends `p[0..n)` with invalid bytes replaced by U+FFFD. */
void utf8_clean_put(buf *b, const uint8_t *p, size_t n);

/* Length of the valid UTF-8 sequence starting at p (1..4), or 0 if the byte
 * at p does not begin one. `n` is the bytes available. */
size_t utf8_seq_len(const uint8_t *p, size_t n);

/* Appends `p[0..n)` as standard base64 with '=' padding. */
void base64_put(buf *b, const uint8_t *p, size_t n);
/* Length of the base64 text for n bytes. */
static inline size_t base64_len(size_t n) { return (n + 2) / 3 * 4; }

#endif
