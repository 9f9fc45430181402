#!/usr/bin/env bash
# Spoken test words for the cochlea, synthesized (no recordings needed).
#
#     bash tools/make_speech.sh
#
# Needs Debian's espeak-ng (1.51) and sox (14.4.2): apt-get install espeak-ng sox
# Writes 16 kHz mono 16-bit WAVs into examples/audio/.
set -euo pipefail
out="$(dirname "$0")/../examples/audio"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say() { # name voice speed pitch text
  espeak-ng -v "$2" -s "$3" -p "$4" -w "$tmp/$1.wav" "$5"
  sox "$tmp/$1.wav" -r 16000 -c 1 -b 16 "$out/$1.wav" norm -1
}
say neuromorphic en-us 150 50 "neuromorphic"
