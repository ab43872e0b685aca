typedef int lm_hashdb_placeholder;
