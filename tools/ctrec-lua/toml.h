/*
 * toml.h — a strict parser of the TOML subset that trace-filter files use.
 *
 * Accepted (TOML 1.0 grammar for each): comments; bare and quoted keys,
 * dotted keys; `[table]` and `[[array of tables]]` headers; basic strings
 * ("..." with the escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX) and
 * literal strings ('...'); decimal integers (sign and underscores allowed,
 * 64-bit range); true / false; arrays (over several lines, trailing comma,
 * comments inside); inline tables ({ k = v, ... }, on one line).
 * Refused with a message saying so: floats, dates and times, hexadecimal,
 * octal and binary integers, multi-line strings. The document must be
 * UTF-8. The TOML table rules are enforced: a key defined twice, a table
 * header repeated, a header over a value or an inline table, a dotted key
 * into a table a header defined.
 *
 * Errors read "FILE:LINE:COL: message" (LINE and COL from 1, COL counted
 * in bytes). Nothing here knows about trace filters; no Lua either.
 */
#ifndef CTREC_LUA_TOML_H
#define CTREC_LUA_TOML_H

#include <stddef.h>
#include <stdint.h>

typedef enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_BOOLEAN,
    TOML_ARRAY,
    TOML_TABLE
} toml_type;

typedef struct toml_node toml_node;
struct toml_node {
    toml_type type;
    int line, col;       /* where the value starts (a table: its header or key) */
    int key_line, key_col; /* where its key is, for a table member */
    char *key;           /* NUL-terminated (may hold NULs: keylen) for a member; else NULL */
    size_t keylen;
    char *str;           /* TOML_STRING: NUL-terminated; len without the NUL */
    size_t len;
    int64_t integer;     /* TOML_INTEGER */
    int boolean;         /* TOML_BOOLEAN */
    toml_node **kids;    /* TOML_ARRAY: the items; TOML_TABLE: the members, in order */
    size_t n, cap;
    unsigned flags;      /* parser bookkeeping */
};

/* Parses `len` bytes of `text`. Returns the root table, or NULL with the
 * message "NAME:LINE:COL: ..." in err (NUL-terminated, truncated to
 * errsize). `name` is used only in messages. */
toml_node *toml_parse(const char *text, size_t len, const char *name, char *err, size_t errsize);
void toml_free(toml_node *n);

/* The member `key` of a table, or NULL. */
const toml_node *toml_get(const toml_node *table, const char *key);
/* "string", "integer", "boolean", "array", "table". */
const char *toml_type_name(toml_type t);

#endif
