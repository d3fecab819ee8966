#!/usr/bin/env bash
# The tools on 2 MPI ranks (docs/design.md section 13): a Monte Carlo over chips prints the
# record one process prints; data-parallel training writes the same bytes run to run, one
# output and one log, close to the one-process run; the model is an ordinary model file; CGaP
# and RSA run data-parallel too. Skipped (exit 77) in a build without MPI, without mpirun, or
# under the sanitizers (Open MPI's own allocations are not leak-clean).
[ "${NNC_MPI:-0}" = 1 ] || { echo "SKIP: built without MPI (NNC_MPI=OFF)"; exit 77; }
[ "${NNC_SANITIZE:-0}" = 1 ] && { echo "SKIP: not run under the sanitizers"; exit 77; }
command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
source "$(dirname "$0")/lib.sh"
cd "$WORK"
# As root, Open MPI wants to be told; oversubscribe: 2 ranks even on a 1-core machine; no
# single-copy shared memory, which containers without ptrace rights refuse.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
MPI=(mpirun -np 2)
ARCH="c6k5,mp2,flat,fc10"

nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o m.h5 --quiet --json >one.json

# Distributed Monte Carlo: the same record, wall-clock fields (seconds) aside.
no_seconds() { sed -E 's/"seconds[a-z_]*": [-0-9.e+]*//g'; }
nnc-eval m.h5 --dataset mnist --chips 4 --json | no_seconds >chips1.json
"${MPI[@]}" nnc-eval m.h5 --dataset mnist --chips 4 --json 2>chips2.log | no_seconds >chips2.json
[ "$(grep -c . chips2.json)" -eq 1 ] || fail "2 ranks printed $(grep -c . chips2.json) records"
cmp chips1.json chips2.json || fail "2 ranks' Monte Carlo differs: $(diff chips1.json chips2.json)"
[ "$(grep -c 'chip 4/4' chips2.log)" -eq 1 ] || fail "the chips are not logged once: $(cat chips2.log)"
# A chip read K times with fresh read noise shares out its reads the same way.
nnc-program-rram m.h5 -o c.h5 --sigma 0.3 --tile 32 --seed 3 --quiet
nnc-eval c.h5 --dataset mnist --read-noise 0.05 --repeats 5 --json | no_seconds >reads1.json
"${MPI[@]}" nnc-eval c.h5 --dataset mnist --read-noise 0.05 --repeats 5 --json 2>/dev/null | no_seconds >reads2.json
cmp reads1.json reads2.json || fail "2 ranks' repeated reads differ: $(diff reads1.json reads2.json)"

# Data-parallel training, twice, each in its own directory under the same output name (the
# command line, output name included, is part of the file): the same bytes, one output, no
# checkpoint or temporary file left, one log.
for d in r1 r2; do
  mkdir $d
  (cd $d && "${MPI[@]}" nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o m.h5 --json >train.json 2>train.log)
done
cmp r1/m.h5 r2/m.h5 || fail "2 ranks, two runs: different bytes"
[ "$(ls r1)" = "$(printf 'm.h5\ntrain.json\ntrain.log')" ] || fail "files besides the output: $(ls r1)"
[ "$(grep -c 'wrote m.h5' r1/train.log)" -eq 1 ] || fail "not one log: $(cat r1/train.log)"
[ "$(grep -c 'epoch 2:' r1/train.log)" -eq 1 ] || fail "not one log: $(cat r1/train.log)"
# The same batches in two shares: the same training up to rounding.
l1=$(json_get train_loss <one.json)
l2=$(json_get train_loss <r1/train.json)
awk -v a="$l1" -v b="$l2" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }' ||
  fail "train loss on 2 ranks $l2, on one $l1"

# The model written on 2 ranks is an ordinary model file.
nnc-info r1/m.h5 | contains "written by nnc-train" || fail "nnc-info on the 2-rank model"
acc=$(nnc-eval r1/m.h5 --dataset mnist --json | json_get accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "2-rank model accuracy $acc"

# Batch norm (statistics per rank, running statistics averaged) and dropout: the same bytes
# run to run, and a model close to the one-process one.
BN="c6k3,bn,relu,mp2,flat,drop0.2,fc10"
for d in b1 b2; do
  mkdir $d
  (cd $d && "${MPI[@]}" nnc-train --arch $BN --dataset mnist $VAL --epochs 2 -o m.h5 --quiet)
done
cmp b1/m.h5 b2/m.h5 || fail "batch norm on 2 ranks, two runs: different bytes"
acc=$(nnc-eval b1/m.h5 --dataset mnist --json | json_get accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "2-rank batch-norm model accuracy $acc"

# Small-World (train() with masks, a theta sweep), CGaP (the saliency summed over ranks) and
# RSA through the same stepper: identical reruns.
for d in s1 s2; do
  (mkdir $d && cd $d && "${MPI[@]}" nnc-swprune --arch $ARCH --dataset mnist $VAL --epochs 1 --finetune-epochs 1 \
    --theta-sweep 0.5,1 --quiet -o s.h5)
done
cmp s1/s.h5 s2/s.h5 || fail "Small-World on 2 ranks, two runs: different bytes"
CGAP=(--arch "c8k3,relu,mp2,flat,fc16,relu,fc10" --dataset mnist $VAL --batch 25 --lr 0.05 --start-width 0.25
      --growth-rate 1 --growth-every 0.25 --plateau 0 --epochs 2 --quiet)
for d in g1 g2; do
  mkdir $d
  (cd $d && "${MPI[@]}" nnc-cgap "${CGAP[@]}" -o g.h5)
done
cmp g1/g.h5 g2/g.h5 || fail "CGaP on 2 ranks, two runs: different bytes"
for d in a1 a2; do
  (mkdir $d && cd $d && "${MPI[@]}" nnc-rsa-adapt ../c.h5 --dataset mnist $VAL --density 0.1 --batch 16 --quiet -o a.h5)
done
cmp a1/a.h5 a2/a.h5 || fail "RSA on 2 ranks, two runs: different bytes"
nnc-eval a1/a.h5 --dataset mnist --json >/dev/null || fail "nnc-eval of the 2-rank RSA chip"

# A residual network (a graph: an identity block, then a block with option A's strided
# shortcut): the same bytes run to run on 2 ranks, and without batch norm the training of one
# process up to rounding; with batch norm in every block, the same bytes run to run.
RES="c8p1,b0=relu,c8p1,relu,c8p1,add@b0,b1=relu,s=id8s2,c8s2p1@b1,relu,c8p1,add@s,relu,gap,fc10"
RESBN="c8p1,bn,b0=relu,c8p1,bn,relu,c8p1,bn,add@b0,b1=relu,s=id8s2,c8s2p1@b1,bn,relu,c8p1,bn,add@s,relu,gap,fc10"
nnc-train --arch $RES --dataset cifar10 $VAL --epochs 2 -o res.h5 --quiet --json >res1.json
for d in q1 q2; do
  mkdir $d
  (cd $d && "${MPI[@]}" nnc-train --arch $RES --dataset cifar10 $VAL --epochs 2 -o res.h5 --quiet --json >train.json)
done
cmp q1/res.h5 q2/res.h5 || fail "a residual network on 2 ranks, two runs: different bytes"
l1=$(json_get train_loss <res1.json)
l2=$(json_get train_loss <q1/train.json)
awk -v a="$l1" -v b="$l2" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }' ||
  fail "residual network: train loss on 2 ranks $l2, on one $l1"
nnc-info q1/res.h5 | contains "add@b0" || fail "the 2-rank residual model does not hold its graph"
for d in p1 p2; do
  mkdir $d
  (cd $d && "${MPI[@]}" nnc-train --arch $RESBN --dataset cifar10 $VAL --epochs 2 -o res.h5 --quiet)
done
cmp p1/res.h5 p2/res.h5 || fail "a residual network with batch norm on 2 ranks, two runs: different bytes"

# An error on the ranks ends the run with its exit code, named once by rank 0.
rc=0
"${MPI[@]}" nnc-eval missing.h5 --dataset mnist 2>err.log || rc=$?
[ "$rc" -eq 2 ] || fail "a missing input on 2 ranks exits $rc: $(cat err.log)"
grep -q "^\[nnc-eval\] error: missing.h5" err.log || fail "no error line from rank 0: $(cat err.log)"
echo "ok"
