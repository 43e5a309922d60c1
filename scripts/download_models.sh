#!/bin/sh
# Download the real Hugging Face checkpoints the lessons use into models/.
#
#   scripts/download_models.sh [--dry-run] [NAME ...]
#
# NAME is one of the folder names below (default: all). Only the files the
# lessons read are fetched (config, weights, tokenizer / preprocessor files).
# Downloads resume where they stopped (curl -C -), so re-running after an
# interruption is safe. --dry-run lists what would be fetched, with sizes.
# The lessons pick up models/<NAME> automatically.
set -eu

HUB="${HF_ENDPOINT:-https://huggingface.co}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/models"
DRY=0

# folder  repo  approx-size  lesson  files...
MODELS='
SmolLM2-135M|HuggingFaceTB/SmolLM2-135M|270 MB|lessons 1-2|config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json
distilbert-base-uncased|distilbert/distilbert-base-uncased|270 MB|lesson 3|config.json model.safetensors tokenizer_config.json vocab.txt
vit-base-patch16-224-in21k|google/vit-base-patch16-224-in21k|350 MB|lesson 4|config.json model.safetensors preprocessor_config.json
clip-vit-large-patch14|openai/clip-vit-large-patch14|1.7 GB|lesson 5|config.json model.safetensors preprocessor_config.json tokenizer_config.json vocab.json merges.txt special_tokens_map.json
siglip-so400m-patch14-384|google/siglip-so400m-patch14-384|3.5 GB|lesson 5|config.json model.safetensors preprocessor_config.json spiece.model tokenizer_config.json special_tokens_map.json
SmolVLM-256M-Instruct|HuggingFaceTB/SmolVLM-256M-Instruct|515 MB|lesson 6|config.json generation_config.json model.safetensors preprocessor_config.json processor_config.json tokenizer.json tokenizer_config.json chat_template.json special_tokens_map.json
'

usage() {
    echo "usage: $0 [--dry-run] [NAME ...]"
    echo
    echo "NAME          size      used by"
    echo "$MODELS" | while IFS='|' read -r name repo size lesson files; do
        [ -n "$name" ] && printf '%-28s %-9s %s\n' "$name" "$size" "$lesson"
    done
    exit "${1:-0}"
}

WANT=""
for a in "$@"; do
    case "$a" in
        --dry-run) DRY=1 ;;
        -h|--help) usage 0 ;;
        -*) echo "unknown option $a" >&2; usage 2 ;;
        *) WANT="$WANT $a" ;;
    esac
done

command -v curl >/dev/null 2>&1 || { echo "$0: needs curl (apt-get install curl)" >&2; exit 1; }

# Remote size in bytes (LFS files report x-linked-size), or "?".
remote_size() {
    curl -sIL "$1" | tr -d '\r' | awk 'tolower($1)=="x-linked-size:"{s=$2} tolower($1)=="content-length:"{c=$2} END{print (s!="")?s:((c!="")?c:"?")}'
}

found=0
echo "$MODELS" | while IFS='|' read -r name repo size lesson files; do
    [ -n "$name" ] || continue
    if [ -n "$WANT" ]; then
        case " $WANT " in *" $name "*) ;; *) continue ;; esac
    fi
    echo "== $name ($repo, about $size, $lesson) -> models/$name"
    [ "$DRY" = 1 ] || mkdir -p "$DEST/$name"
    for f in $files; do
        url="$HUB/$repo/resolve/main/$f"
        out="$DEST/$name/$f"
        if [ "$DRY" = 1 ]; then
            printf '   %-28s %s bytes  %s\n' "$f" "$(remote_size "$url")" "$url"
            continue
        fi
        printf '   %s\n' "$f"
        # -C - resumes a partial file; --fail turns HTTP errors into an exit status
        if ! curl -L --fail --retry 3 -C - --progress-bar -o "$out" "$url"; then
            case "$f" in
                special_tokens_map.json|generation_config.json|chat_template.json)
                    echo "   (optional file $f not available, skipped)"; rm -f "$out" ;;
                *) echo "$0: failed to fetch $url" >&2; exit 1 ;;
            esac
        fi
    done
done
[ "$DRY" = 1 ] && echo "(dry run: nothing downloaded)"
exit 0
