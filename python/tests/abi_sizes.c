/* Prints the sizes of libmatch's public structs as JSON, for the Python binding's layout test,
 * and the offsets of a few fields ("struct.field") whose place the sizes alone do not pin. */
#include <stddef.h>
#include <stdio.h>

#include "libmatch.h"

int main(void)
{
    printf("{\"lm_pdq_hash\": %zu, \"lm_image_hash\": %zu, \"lm_match\": %zu, "
           "\"lm_check_result\": %zu, \"lm_check_options\": %zu, \"lm_entry_info\": %zu, "
           "\"lm_list_add_options\": %zu, \"lm_db_import_opts\": %zu, "
           "\"lm_db_import_result\": %zu, \"lm_db_list_info\": %zu, \"lm_db_list_attrs\": %zu, "
           "\"lm_check_result.regions\": %zu, \"lm_check_result.video_truncated\": %zu}\n",
           sizeof(lm_pdq_hash), sizeof(lm_image_hash), sizeof(lm_match), sizeof(lm_check_result),
           sizeof(lm_check_options), sizeof(lm_entry_info), sizeof(lm_list_add_options),
           sizeof(lm_db_import_opts), sizeof(lm_db_import_result), sizeof(lm_db_list_info),
           sizeof(lm_db_list_attrs), offsetof(lm_check_result, regions),
           offsetof(lm_check_result, video_truncated));
    return 0;
}
