typedef int lm_search_placeholder;
