// The C surface of ICU's break iterator that bertscope's word segmentation uses, nothing else, in plain C
// types: Swift never sees an ICU header. Foundation on Linux carries its own copy of ICU (_FoundationICU), and
// a module that saw both the system's ICU types and Foundation's failed to build ("UErrorCode has different
// definitions in different modules"). icu_shim.c includes ICU and links libicuuc.
#ifndef BERTSCOPE_ICU_H
#define BERTSCOPE_ICU_H
#include <stdint.h>

/// Room for ICU's version text ("72.1"), terminator included.
#define BERTSCOPE_ICU_VERSION_LENGTH 20

/// A word break iterator over `text` (UTF-16, `length` units) with the root locale's rules: UAX #29, and
/// ICU's dictionaries for Chinese, Japanese, Thai, Lao, Khmer and Burmese. NULL on failure, with ICU's
/// error name in `*error`.
void *bertscope_word_breaks_open(const uint16_t *text, int32_t length, const char **error);
void bertscope_word_breaks_close(void *iterator);
int32_t bertscope_word_breaks_first(void *iterator);
/// The next boundary, or -1 past the end.
int32_t bertscope_word_breaks_next(void *iterator);
/// The rule status of the segment that ends at the current boundary: 0..99 none (spaces, punctuation),
/// 100..199 number, 200..299 letter, 300..399 kana, 400..499 ideographs.
int32_t bertscope_word_breaks_rule_status(void *iterator);
/// The ICU version, e.g. "72.1", into `text` (BERTSCOPE_ICU_VERSION_LENGTH bytes).
void bertscope_icu_version(char *text);
#endif
