#!/bin/bash
# Files bigger than one device command may carry (64 MiB), sent in parts over consecutive
# commands while the GPU machine stays up, and put together there with a SHA-256 check.
#
#   here:   scripts/gpu_check/parts.sh split build/gpu_parts models/*.weights [WHEEL]
#           -> build/gpu_parts/NN/ (one folder per command, at most 60 MiB each) + SHA256SUMS
#   there:  scripts/gpu_check/parts.sh stash build/gpu_parts/NN     (once per command)
#           scripts/gpu_check/parts.sh assemble                      (after the last one)
# The stash ($ADVGUI_STASH, default /tmp/advgui_gpu_stash) lives outside the working tree, so
# it survives the tree being copied afresh by the next command; assemble writes each file back
# to its path (models/...) or, for a wheel, into the stash, and refuses any SHA-256 mismatch.
set -euo pipefail
STASH=${ADVGUI_STASH:-/tmp/advgui_gpu_stash}
PART=$((60 * 1024 * 1024))

case "${1:-}" in
split)
    out=$2; shift 2
    rm -rf "$out"; mkdir -p "$out/all"
    for f in "$@"; do
        name=$(echo "$f" | tr / %)          # models/x.weights -> models%x.weights
        split -b "$PART" -d -a 3 "$f" "$out/all/$name.part."
        sha256sum "$f" >> "$out/SHA256SUMS"
    done
    # one folder per command: parts packed greedily up to 60 MiB
    n=0; used=$PART
    for p in "$out"/all/*; do
        size=$(stat -c %s "$p")
        if (( used + size > PART )); then n=$((n + 1)); used=0; mkdir -p "$out/$(printf %02d $n)"; fi
        mv "$p" "$out/$(printf %02d $n)/"; used=$((used + size))
    done
    rmdir "$out/all"; cp "$out/SHA256SUMS" "$out/01/"
    echo "$n commands: $(ls -d "$out"/[0-9]* | tr '\n' ' ')"
    ;;
stash)
    mkdir -p "$STASH"; cp "$2"/* "$STASH/"
    echo "stashed: $(ls "$STASH" | wc -l) files, $(du -sh "$STASH" | cut -f1)"
    ;;
assemble)
    test -f "$STASH/SHA256SUMS" || { echo "no SHA256SUMS in $STASH: stash part 01 first"; exit 1; }
    while read -r sum path; do
        name=$(echo "$path" | tr / %)
        target=$path
        [[ $path == *.whl ]] && target="$STASH/$(basename "$path")"
        mkdir -p "$(dirname "$target")"
        cat "$STASH/$name".part.* > "$target.tmp"
        got=$(sha256sum "$target.tmp" | cut -d' ' -f1)
        if [[ $got != "$sum" ]]; then
            echo "$path: SHA-256 $got, expected $sum (a part is missing or torn)"; rm "$target.tmp"; exit 1
        fi
        mv "$target.tmp" "$target"; echo "ok $target"
    done < "$STASH/SHA256SUMS"
    ;;
*)
    sed -n 2,12p "$0"; exit 2 ;;
esac
