/* fuzz_config — config.json parsing for every model family that has a parser. */
#include "fuzz_util.h"
#include "json.h"
#include "llama.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("config.json", data, size);
    cJSON *cfg = json_load(path);
    if (!cfg) return 0;
    LlamaConfig lc;
    (void)llama_config_parse(cfg, path, &lc);
    (void)llama_config_parse(json_get(cfg, "text_config"), path, &lc);
    cJSON_Delete(cfg);
    return 0;
}
