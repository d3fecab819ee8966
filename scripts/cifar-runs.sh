#!/bin/bash
# The CIFAR-10 runs of the all profile (docs/results.md, issue 16) in priority order, one thread,
# resumable: make skips what is done, so run it again after an interruption.
#   scripts/cifar-runs.sh [BIN_DIR]   (default build/bin; a frozen copy while the source changes)
set -u
cd "$(dirname "$0")/.."
M="make -f Makefile.pipeline PROFILE=all NNC_BIN_DIR=${1:-build/bin} THREADS=1 JOBS=1 -k"
C=exp/all/cifar10
# A run killed hard (SIGKILL, a machine stopped) leaves its output empty, which make would take
# as done: remove those first.
[ -d $C ] && find $C -name '*.json' -empty -print -delete
deg() { for r in "$@"; do echo $C/degradation/max/$r.json; done; }
$M $(deg s0-faults s0.1-faults s0.3-faults s0.5-faults s0-nofaults s0.1-nofaults s0.3-nofaults s0.5-nofaults)
$M $(for c in 1 2 3; do echo $C/rsa/s0.1-$c-0.05-e5.json $C/rsa/s0.1-$c-0.05-bnr-e5.json; done)
$M $(for c in 1 2 3; do echo $C/rsa-fa/s0.1-$c-0.05-e5.json; done)
# VGG-16 before the remaining cnn9 rows: its 40 epochs span sessions (checkpoints every 100 steps).
$M $C/vgg16.eval.json
$M $(for c in 1 2 3; do echo $C/rsa/s0.5-$c-0.05-e5.json $C/rsa/s0.5-$c-0.05-bnr-e5.json; done)
$M $(for s in 0.1 0.5; do for c in 1 2 3; do for d in 0 0.01 0.02 0.05 0.1; do echo $C/rsa/s$s-$c-$d.json; done; done; done)
$M cifar
