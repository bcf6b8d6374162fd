#!/usr/bin/env bash
# Regenerate the sample recordings in this folder from the meeting scripts next to them.
#
#   bash samples/make_samples.sh [VENV]          (default VENV: /tmp/venv-tts)
#
# VENV is the virtual environment of the offline renderer (shared/tts). It is created with the
# renderer's install.sh (full install: Mandarin and English voices) when VENV/bin/python is missing.
# Keep it outside the repository. Environment overrides:
#   TTS_DIR  folder with render_meeting.py and install.sh   (default: <repo>/../shared/tts)
#   FFMPEG   ffmpeg binary for the mp3 conversion            (default: the imageio-ffmpeg binary in
#            <repo>/.venv, else ffmpeg from PATH)
# The Mandarin render is byte-for-byte reproducible; piper (English) samples noise internally, so the
# English timings move by a few hundredths of a second from run to run (same words).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
venv=${1:-/tmp/venv-tts}
tts=${TTS_DIR:-$repo/../shared/tts}
tts=$(cd "$tts" && pwd)

if [ -z "${FFMPEG:-}" ]; then
  FFMPEG=$(ls "$repo"/.venv/lib/python3*/site-packages/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-* 2>/dev/null | head -n1 || true)
  [ -n "$FFMPEG" ] || FFMPEG=$(command -v ffmpeg || true)
  [ -n "$FFMPEG" ] || { echo "no ffmpeg found; set FFMPEG=/path/to/ffmpeg" >&2; exit 1; }
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "installing the renderer into $venv (a few minutes)" >&2
  bash "$tts/install.sh" "$venv"
fi
render() { "$venv/bin/python" "$tts/render_meeting.py" "$@"; }

# Mandarin (Traditional script): 16 kHz mono 16-bit WAV.
render "$here/zh-hant-meeting.json" "$here/zh-hant-meeting.wav" \
  --timeline "$here/zh-hant-meeting.timeline.json" \
  --voice rep=zh-baker --voice dist=zh-baker-male

# English: render to a temporary WAV, then keep only a 64 kbit/s mono MP3 (compressed input).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
render "$here/en-meeting.json" "$tmp/en-meeting.wav" \
  --timeline "$here/en-meeting.timeline.json" \
  --voice rep=piper-joe-female --voice dist=piper-joe
"$FFMPEG" -hide_banner -loglevel error -y -i "$tmp/en-meeting.wav" \
  -ac 1 -ar 16000 -codec:a libmp3lame -b:a 64k "$here/en-meeting.mp3"

ls -l "$here"/zh-hant-meeting.wav "$here"/en-meeting.mp3 >&2

# Enrollment clips for speaker labels (`memo enroll`): each sample's rep voice reading other
# sentences on its own, kept as 48 kbit/s mono MP3 (small).
render "$here/rep-voice-en.json" "$tmp/rep-voice-en.wav" --voice rep=piper-joe-female
render "$here/rep-voice-zh.json" "$tmp/rep-voice-zh.wav" --voice rep=zh-baker
for clip in rep-voice-en rep-voice-zh; do
  "$FFMPEG" -hide_banner -loglevel error -y -i "$tmp/$clip.wav" \
    -ac 1 -ar 16000 -codec:a libmp3lame -b:a 48k "$here/$clip.mp3"
done
