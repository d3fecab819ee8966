#!/bin/bash
# The CIFAR-10 runs of the all profile (docs/results.md, issue 16) in priority order, resumable:
# make skips what is done, so run it again after an interruption.
#   [THREADS=N] scripts/cifar-runs.sh [BIN_DIR]   (default build/bin, a frozen copy while the
#   source changes; THREADS 1 by default, 2 when it has the machine to itself)
set -u
cd "$(dirname "$0")/.."
M="make -f Makefile.pipeline PROFILE=all NNC_BIN_DIR=${1:-build/bin} THREADS=${THREADS:-1} JOBS=1 -k"
C=exp/all/cifar10
# A run killed hard (SIGKILL, a machine stopped) leaves its output empty, which make would take
# as done: remove those first.
[ -d $C ] && find $C -name '*.json' -empty -print -delete
# Session 13's queue: VGG-16 first (26 epochs, about 1.7 hours on two cores), its chips and RSA;
# then cnn9 (30 epochs, about 35 minutes) and what builds on it; the 40-epoch VGG-16 last
# (about 2.7 hours).
$M $C/vgg16.eval.json $C/vgg16.info.json
$M $(for s in 0 0.1 0.3 0.5; do echo $C/vgg16-degradation/max/s$s-faults.json $C/vgg16-degradation/max/s$s-nofaults.json; done)
$M $C/vgg16/rsa/s0.1-1-0.05-e5-cos.json $C/vgg16/rsa/s0.1-1-0.05-bnr-e5-cos.json
$M $C/cnn9.eval.json
$M $(for c in 1 2 3; do echo $C/rsa-fa/s0.1-$c-0.05-e5-cos.json; done)
$M $(for c in 1 2 3; do echo $C/rsa/s0.5-$c-0.05-e5.json $C/rsa/s0.5-$c-0.05-bnr-e5.json; done)
$M $C/sw/cnn9-sw.eval.json
$M $C/vgg16-40.eval.json
$M cifar
