/* Hexadecimal digits, for every parser of hex hashes (core/hex.c, hashdb's imports). */
#ifndef LM_CORE_HEX_H
#define LM_CORE_HEX_H

#include <stdint.h>

/* A hex digit's value + 1, 0 for any other byte: a table lookup, no branch per digit (a
 * comparison per digit made the parse a fifth of a 10M-line import). */
#define LM_HEX_D(c, v) [c] = (v) + 1
static const uint8_t lm_hex_digits[256] = {
    LM_HEX_D('0', 0),  LM_HEX_D('1', 1),  LM_HEX_D('2', 2),  LM_HEX_D('3', 3),  LM_HEX_D('4', 4),
    LM_HEX_D('5', 5),  LM_HEX_D('6', 6),  LM_HEX_D('7', 7),  LM_HEX_D('8', 8),  LM_HEX_D('9', 9),
    LM_HEX_D('a', 10), LM_HEX_D('b', 11), LM_HEX_D('c', 12), LM_HEX_D('d', 13), LM_HEX_D('e', 14),
    LM_HEX_D('f', 15), LM_HEX_D('A', 10), LM_HEX_D('B', 11), LM_HEX_D('C', 12), LM_HEX_D('D', 13),
    LM_HEX_D('E', 14), LM_HEX_D('F', 15)};
#undef LM_HEX_D

/* The value of the hexadecimal digit c (either case), or -1. */
static inline int lm_hex_digit(char c)
{
    return lm_hex_digits[(unsigned char)c] - 1;
}

#endif
