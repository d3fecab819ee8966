#!/usr/bin/env bash
# nnc-train, nnc-eval and nnc-info end to end on the tiny fixture: training, pipes through
# `-`, identical bytes on reruns and thread counts, resume, and every bad input of issue 2.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
ARCH="c6k5,mp2,flat,fc10"

# The output path is part of the recorded command, so the rerun writes the same name elsewhere.
mkdir -p t1
nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o a.h5 --quiet
(cd t1 && nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o a.h5 --quiet --threads 1)
cmp a.h5 t1/a.h5 || fail "same seed, different thread count: different bytes"
# A Winograd conv (3x3, 16 inputs, after a stride-2 im2col one): its bias gradient's sums once
# followed the address of dy's buffer, which differs between 1 and 2 threads.
W16="c16s2p1,relu,c16p1,relu,gap,fc10"
nnc-train --arch $W16 --dataset mnist $VAL --epochs 2 -o w.h5 --quiet --threads 2
(cd t1 && nnc-train --arch $W16 --dataset mnist $VAL --epochs 2 -o w.h5 --quiet --threads 1)
cmp w.h5 t1/w.h5 || fail "16-channel Winograd conv: 1 and 2 threads give different bytes"
[ ! -e a.h5.ckpt ] || fail "checkpoint left behind after a finished run"

acc=$(nnc-eval a.h5 --dataset mnist --json | json_get accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || fail "tiny model accuracy $acc"

# The pipe: train to stdout, evaluate from stdin.
acc2=$(nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o - --quiet | nnc-eval - --dataset mnist --json | json_get accuracy)
[ "$acc" = "$acc2" ] || fail "piped model evaluates differently: $acc vs $acc2"

# --init continues; provenance records the input and its lineage.
nnc-train --init a.h5 --dataset mnist $VAL --epochs 1 -o c.h5 --quiet
nnc-info c.h5 | contains "<- init a.h5" || fail "provenance of --init missing"
nnc-info c.h5 --json | contains '"tool": "nnc-train"' || fail "info --json"
nnc-info a.h5 | contains "--threads" && fail "--threads recorded in the command"

# Resume: a run stopped by SIGTERM continues from its checkpoint to the same bytes.
FIXTURE_ARGS="--arch $ARCH --dataset mnist $VAL --epochs 3 --checkpoint-every 2"
mkdir -p whole
(cd whole && nnc-train $FIXTURE_ARGS -o part.h5 --quiet)
nnc-train $FIXTURE_ARGS -o part.h5 --quiet &
pid=$!
for _ in $(seq 100); do [ -e part.h5.ckpt ] && break; sleep 0.05; done
kill -TERM $pid 2>/dev/null || true
wait $pid || true
if [ ! -e part.h5 ]; then
  [ -e part.h5.ckpt ] || fail "no checkpoint after SIGTERM"
  nnc-train $FIXTURE_ARGS -o part.h5 --quiet --resume
fi
cmp whole/part.h5 part.h5 || fail "resumed run differs from the uninterrupted one"

# Bad input: one line, non-zero exit, no output file.
printf 'garbage' > notidx
expect_exit 2 "no such file" nnc-eval missing.h5 --dataset mnist
expect_exit 2 "is a directory" nnc-eval "$WORK" --dataset mnist
expect_exit 2 "not an HDF5 file" nnc-eval notidx --dataset mnist
expect_exit 2 "'foo' is not a layer" nnc-train --arch c6,foo --dataset mnist $VAL -o x.h5
expect_exit 2 "not a layer" nnc-train --arch notapreset --dataset mnist $VAL -o x.h5
expect_exit 2 "warmup must be shorter than the run" nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 --warmup 2 -o x.h5
expect_exit 105 "epochs" nnc-train --arch $ARCH --dataset mnist $VAL --epochs 0 -o x.h5
expect_exit 105 "batch" nnc-train --arch $ARCH --dataset mnist $VAL --batch -4 -o x.h5
expect_exit 105 "lr" nnc-train --arch $ARCH --dataset mnist $VAL --lr 0 -o x.h5
expect_exit 1 "does not exist" nnc-train --arch $ARCH --dataset mnist $VAL -o nodir/x.h5
expect_exit 2 "classes" nnc-eval a.h5 --dataset cifar10
[ ! -e x.h5 ] || fail "output left behind after an error"

# Broken datasets.
mkdir -p broken/mnist
cp "$FIX"/mnist/* broken/mnist/
head -c 1000 "$FIX/mnist/train-images-idx3-ubyte" > broken/mnist/train-images-idx3-ubyte
expect_exit 2 "truncated" nnc-train --arch $ARCH --dataset mnist --data-dir broken/mnist $VAL -o x.h5
cp "$FIX/mnist/t10k-labels-idx1-ubyte" broken/mnist/train-labels-idx1-ubyte
cp "$FIX/mnist/train-images-idx3-ubyte" broken/mnist/
expect_exit 2 "" nnc-train --arch $ARCH --dataset mnist --data-dir broken/mnist $VAL -o x.h5
[ ! -e x.h5 ] || fail "output left behind after an error"
echo "train.sh: ok"
