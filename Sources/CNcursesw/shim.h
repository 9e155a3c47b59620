// The C surface of ncursesw that bertscope's terminal backend uses, nothing else.
// SwiftPM drops pkg-config's -D flags, so the wide-character API is enabled here; macros and globals that
// Swift cannot import (stdscr, LINES, COLS, KEY_F, A_*) are wrapped in inline functions.
#ifndef BERTSCOPE_CNCURSESW_SHIM_H
#define BERTSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <wchar.h>
#if __has_include(<ncursesw/ncurses.h>)
#include <ncursesw/ncurses.h>
#else
#include <ncurses.h>
#endif

// Cells a character takes, as ncurses computes them (wchar.h declares it only for some feature macros).
extern int wcwidth(wchar_t character);

static inline WINDOW *bertscope_stdscr(void) { return stdscr; }
static inline int bertscope_lines(void) { return LINES; }
static inline int bertscope_columns(void) { return COLS; }
static inline int bertscope_colors(void) { return COLORS; }
static inline int bertscope_color_pairs(void) { return COLOR_PAIRS; }
static inline int bertscope_key_f(int n) { return KEY_F(n); }
static inline attr_t bertscope_attribute(int bold, int reverse, int underline, int dim) {
    attr_t attributes = A_NORMAL;
    if (bold) attributes |= A_BOLD;
    if (reverse) attributes |= A_REVERSE;
    if (underline) attributes |= A_UNDERLINE;
    if (dim) attributes |= A_DIM;
    return attributes;
}

/// Draws one cell: a spacing character with up to four combining marks (text is 0-terminated).
static inline int bertscope_put_cell(int row, int column, const wchar_t *text, attr_t attributes, int pair) {
    cchar_t cell;
    if (setcchar(&cell, text, attributes, (short)pair, NULL) != OK) return ERR;
    return mvadd_wch(row, column, &cell);
}

static inline int bertscope_read_key(wint_t *key) { return get_wch(key); }

static inline void bertscope_enable_mouse(void) {
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
    mouseinterval(0);
}

/// The cell of a left click, if the pending mouse event is one.
static inline int bertscope_mouse_click(int *row, int *column) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (!(event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return 0;
    *row = event.y;
    *column = event.x;
    return 1;
}

static inline int bertscope_key_code_yes(void) { return KEY_CODE_YES; }
#endif
