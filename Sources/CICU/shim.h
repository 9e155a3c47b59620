// The C surface of ICU's break iterator that bertscope's word segmentation uses, nothing else.
// ICU's headers rename every function to a versioned symbol (ubrk_open -> ubrk_open_72) with macros, which
// Swift does not import; these inline wrappers compile against whatever ICU version is installed.
#ifndef BERTSCOPE_CICU_SHIM_H
#define BERTSCOPE_CICU_SHIM_H
#include <unicode/ubrk.h>
#include <unicode/uversion.h>

/// A word break iterator over `text` (UTF-16, `length` units) with the root locale's rules: UAX #29, and
/// ICU's dictionaries for Chinese, Japanese, Thai, Lao, Khmer and Burmese. NULL on failure (see `status`).
static inline UBreakIterator *bertscope_word_breaks_open(const UChar *text, int32_t length, UErrorCode *status) {
    return ubrk_open(UBRK_WORD, "", text, length, status);
}
static inline void bertscope_word_breaks_close(UBreakIterator *iterator) { ubrk_close(iterator); }
static inline int32_t bertscope_word_breaks_first(UBreakIterator *iterator) { return ubrk_first(iterator); }
/// The next boundary, or -1 (UBRK_DONE) past the end.
static inline int32_t bertscope_word_breaks_next(UBreakIterator *iterator) { return ubrk_next(iterator); }
/// The rule status of the segment that ends at the current boundary: 0..99 none (spaces, punctuation),
/// 100..199 number, 200..299 letter, 300..399 kana, 400..499 ideographs.
static inline int32_t bertscope_word_breaks_rule_status(UBreakIterator *iterator) { return ubrk_getRuleStatus(iterator); }
static inline int bertscope_icu_failed(UErrorCode status) { return U_FAILURE(status); }
static inline const char *bertscope_icu_error_name(UErrorCode status) { return u_errorName(status); }
/// The ICU version, e.g. "72.1".
static inline void bertscope_icu_version(char text[U_MAX_VERSION_STRING_LENGTH]) {
    UVersionInfo version;
    u_getVersion(version);
    u_versionToString(version, text);
}
#endif
