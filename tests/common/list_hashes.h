/* Hashes the hash-list tests import and export: three PDQ hashes, and the digests of ""
 * (MD5, SHA-1, SHA-256) and of "a" (MD5B). */
#ifndef LM_TEST_LIST_HASHES_H
#define LM_TEST_LIST_HASHES_H

#define H1 "d8f871cce0f4e84d8a3070f7e0f33e1cd8f871cce0f4e84d8a3070f7e0f33e1c"
#define H2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H3 "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"
#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define MD5B "0cc175b9c0f1b6a831c399e269772661"
#define SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* The header of the CSV export. */
#define CSV_HEAD "hash,type,quality,label,reference\n"

#endif
