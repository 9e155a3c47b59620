// ICU's headers rename every function to a versioned symbol (ubrk_open -> ubrk_open_72) with macros; calling
// them from C compiles against whatever ICU version is installed.
#include "bertscope_icu.h"

#include <unicode/ubrk.h>
#include <unicode/uversion.h>

void *bertscope_word_breaks_open(const uint16_t *text, int32_t length, const char **error) {
    UErrorCode status = U_ZERO_ERROR;
    UBreakIterator *iterator = ubrk_open(UBRK_WORD, "", (const UChar *)text, length, &status);
    if (U_FAILURE(status)) {
        if (iterator) ubrk_close(iterator);
        *error = u_errorName(status);
        return NULL;
    }
    return iterator;
}

void bertscope_word_breaks_close(void *iterator) { ubrk_close((UBreakIterator *)iterator); }
int32_t bertscope_word_breaks_first(void *iterator) { return ubrk_first((UBreakIterator *)iterator); }
int32_t bertscope_word_breaks_next(void *iterator) { return ubrk_next((UBreakIterator *)iterator); }
int32_t bertscope_word_breaks_rule_status(void *iterator) { return ubrk_getRuleStatus((UBreakIterator *)iterator); }

void bertscope_icu_version(char *text) {
    UVersionInfo version;
    u_getVersion(version);
    u_versionToString(version, text);
}
