#!/usr/bin/env bash
# Re-render the bench/memo meetings from their scripts (see README.md).
#   cd /work/main && bash bench/memo/render.sh [ID...]
# Other meetings: SRC=folder of scripts, OUT=folder for <id>.mp3/.json/.timeline.json; ids not
# listed below get the fast voices of their language (zh-baker family, piper joe).
# Needs the renderer's venv: bash ../shared/tts/install.sh .venv-tts
set -euo pipefail
cd "$(dirname "$0")/../.."
TTS=${TTS:-../shared/tts/render_meeting.py}
PY=${TTS_PY:-.venv-tts/bin/python}
FFMPEG=$(.venv/bin/python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
OUT=${OUT:-bench/memo}
SRC=${SRC:-bench/meetings/dev}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# id: voices (rep, dist[, dist2])
declare -A VOICES=(
  [zh-hant-a2]="rep=zh-baker dist=kokoro-jm_kumo"
  [zh-hant-c2]="rep=zh-baker dist=kokoro-jm_kumo"
  [zh-hans-d2]="rep=kokoro-jm_kumo dist=zh-baker"
  [zh-hans-d1]="rep=kokoro-jm_kumo dist=zh-baker-male dist2=zh-baker"
  [en-d1]="rep=kokoro-jf_alpha dist=piper-joe"
  [en-a1]="rep=kokoro-jf_alpha dist=piper-joe dist2=piper-joe-female"
)
ids=("$@")
[ ${#ids[@]} -eq 0 ] && ids=(zh-hant-a2 zh-hant-c2 zh-hans-d2 zh-hans-d1 en-d1 en-a1)
for id in "${ids[@]}"; do
  args=()
  voices=${VOICES[$id]:-}
  if [ -z "$voices" ]; then
    case $id in
      en-*) voices="rep=kokoro-jf_alpha dist=piper-joe dist2=piper-joe-female" ;;
      *) voices="rep=zh-baker dist=zh-baker-male dist2=zh-baker-low" ;;
    esac
  fi
  for v in $voices; do args+=(--voice "$v"); done
  cp "$SRC/$id.json" "$OUT/$id.json"
  start=$(date +%s)
  "$PY" "$TTS" "$OUT/$id.json" "$TMP/$id.wav" --timeline "$OUT/$id.timeline.json" --seed 0 "${args[@]}"
  "$FFMPEG" -hide_banner -loglevel error -y -i "$TMP/$id.wav" -ac 1 -ar 16000 -codec:a libmp3lame -b:a 32k "$OUT/$id.mp3"
  echo "$id: rendered in $(( $(date +%s) - start )) s"
done
