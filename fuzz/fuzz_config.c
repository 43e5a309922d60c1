/* fuzz_config — config.json parsing for every model family that has a parser:
 * the whole file and its text_config / vision_config as each family reads them. */
#include "clip.h"
#include "distilbert.h"
#include "fuzz_util.h"
#include "idefics3.h"
#include "json.h"
#include "llama.h"
#include "llava.h"
#include "siglip.h"
#include "vit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("config.json", data, size);
    cJSON *cfg = json_load(path);
    if (!cfg) return 0;
    const cJSON *text = json_get(cfg, "text_config"), *vision = json_get(cfg, "vision_config");
    LlamaConfig lc;
    (void)llama_config_parse(cfg, path, &lc);
    (void)llama_config_parse(text, path, &lc);
    DistilBertConfig dc;
    (void)distilbert_config_parse(cfg, path, &dc);
    ViTConfig vc;
    (void)vit_config_parse(cfg, path, &vc);
    ClipConfig cc;
    (void)clip_config_parse(cfg, path, &cc);
    ClipVisionConfig cvc;
    (void)clip_vision_config_parse(vision, path, &cvc);
    ClipTextConfig ctc;
    (void)clip_text_config_parse(text, path, &ctc);
    SiglipConfig sc;
    (void)siglip_config_parse(cfg, path, &sc);
    SiglipVisionConfig svc;
    (void)siglip_vision_config_parse(vision, path, &svc);
    SiglipTextConfig stc;
    (void)siglip_text_config_parse(text, path, &stc);
    Idefics3Config ic;
    (void)idefics3_config_parse(cfg, path, &ic);
    LlavaConfig lv;
    (void)llava_config_parse(cfg, path, &lv);
    cJSON_Delete(cfg);
    return 0;
}
