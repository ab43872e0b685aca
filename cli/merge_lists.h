/*
 * pmatch merge --lists: the outputs of 'pmatch match --json [--nearest K]' run on
 * each shard of one list (independent lists, each holding a part of the entries,
 * every entry keeping its id) combined into what one match on the whole list
 * prints. Two passes over the files: the first checks everything (one record per
 * query line in every file, the same queries in the same order, the same K), the
 * second prints, so a refused merge prints nothing.
 */
#ifndef PMATCH_MERGE_LISTS_H
#define PMATCH_MERGE_LISTS_H

/* files[0..n): paths. distance: the match distance deciding the exit status of --nearest
 * records (a nearest active entry within it matched). Returns the exit code, as
 * pmatch match's: 1 matched, 0 nothing matched, 2 refused (why on stderr). */
int merge_lists(char *const *files, int n, int distance);

#endif
