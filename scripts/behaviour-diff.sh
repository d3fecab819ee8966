#!/usr/bin/env bash
# Compares two scripts/behaviour-runs.sh output folders by content: for every HDF5 file, the
# objects and attributes that differ (h5diff, provenance left out: it names the tool version
# and paths), and for every JSON file, the records with wall-clock fields (seconds, img/s,
# paths) removed. Prints "same" or what differs, per file.
# Usage: scripts/behaviour-diff.sh BEFORE_DIR AFTER_DIR
set -euo pipefail
[[ $# -eq 2 ]] || { sed -n '2,6p' "$0" >&2; exit 2; }
A=$1 B=$2
for f in "$A"/*.h5; do
  n=$(basename "$f")
  diffs=$(h5diff -r --exclude-path /provenance --exclude-path /model/provenance "$f" "$B/$n" |
          awk '/^(dataset|attribute|group):/ {obj=$0} /^[0-9]+ differences? found/ && $1 > 0 {print "  " obj " (" $1 ")"}' || true)
  if [[ -z "$diffs" ]]; then echo "$n: same"; else echo "$n: differs"; echo "$diffs"; fi
done
strip() {
  python3 -c '
import json, sys
DROP = {"seconds", "img_per_s", "images_per_second", "path", "input", "wall_s", "elapsed_s", "file"}
def clean(x):
    if isinstance(x, dict): return {k: clean(v) for k, v in x.items() if k not in DROP and "second" not in k}
    if isinstance(x, list): return [clean(v) for v in x]
    return x
text, pos, dec = open(sys.argv[1]).read(), 0, json.JSONDecoder()
while pos < len(text):
    if text[pos].isspace(): pos += 1; continue
    obj, pos = dec.raw_decode(text, pos)
    print(json.dumps(clean(obj), sort_keys=True))
' "$1"
}
for f in "$A"/*.json "$A"/*.jsonl; do
  n=$(basename "$f")
  if diff <(strip "$f") <(strip "$B/$n") > /tmp/behaviour-diff.$$; then echo "$n: same"
  else echo "$n: differs"; head -c 1500 /tmp/behaviour-diff.$$ | sed 's/^/  /'; echo; fi
  rm -f /tmp/behaviour-diff.$$
done
