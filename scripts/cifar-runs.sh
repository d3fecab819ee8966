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
[ -d exp/all ] && find exp/all -name '*.json' -empty -print -delete
# The queue, in order (sessions 14-16 ran it with /work/frozen-bin18, bf16 products, and the
# CGaP runs with /work/frozen-bin19, batch norm re-estimated in the pruning test; make skips what
# is done): VGG-16's RSA with batch norm recalibrated, cnn9 (30 epochs, 17 minutes on two cores)
# and its 5-epoch RSA runs at sigma 0.5, CGaP on cnn9 over seeds 1-3 with their baselines
# (issue 18), Small-World cnn9, the 40-epoch VGG-16 (about 2 hours on two idle cores,
# resumable), the 36-epoch one with dropout (session 17), the 40-epoch one with cutout
# (session 18), its 20-epoch second and third cycles (session 19) and the same recipe over 60
# epochs in one schedule (session 20, about 3 hours) with a second cycle (session 21, an hour)
# and the same cycle on all 50,000 training images, without and with label smoothing (session
# 22, an hour each),
# fault-aware 5% RSA at sigma 0.5 and the default-mapped chips on the same schedule, then the
# rest of `cifar` on this cnn9 (its degradation table and one-epoch RSA rows, whose session-12
# figures in docs/results.md are of the float-trained cnn9).
$M $C/vgg16/rsa/s0.1-1-0.05-bnr-e5-cos.json
$M $C/cnn9.eval.json
$M $(for c in 1 2 3; do echo $C/rsa/s0.5-$c-0.05-e5.json $C/rsa/s0.5-$c-0.05-bnr-e5.json; done)
$M $(for s in "" -s2 -s3; do echo exp/all/cgap/cifar10-cnn9-cgap$s.eval.json exp/all/cgap/cifar10-cnn9-cgaploose$s.eval.json exp/all/cgap/cifar10-cnn9-base$s.eval.json; done)
$M $C/sw/cnn9-sw.eval.json
$M $C/vgg16-40.eval.json $C/vgg16-40.info.json
$M $C/vgg16-drop36.eval.json $C/vgg16-drop36.info.json
$M $C/vgg16-cut40.eval.json $C/vgg16-cut40.info.json
$M $C/vgg16-cut40-r20.eval.json $C/vgg16-cut40-r20.info.json $C/vgg16-cut40-r20-r20.eval.json $C/vgg16-cut40-r20-r20.info.json
$M $C/vgg16-cut60.eval.json $C/vgg16-cut60.info.json $C/vgg16-cut60-r20.eval.json $C/vgg16-cut60-r20.info.json
$M $C/vgg16-cut60-full20.eval.json $C/vgg16-cut60-full20.info.json $C/vgg16-cut60-full20-ls.eval.json $C/vgg16-cut60-full20-ls.info.json
$M $(for c in 1 2 3; do echo $C/rsa-fa/s0.5-$c-0.05-bnr-e5-cos.json; done) $(for c in 1 2 3; do echo $C/rsa/s0.5-$c-0.05-bnr-e5-cos.json; done)
$M cifar
