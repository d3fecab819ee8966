#!/usr/bin/env bash
# The tools behave alike (issue 19): interrupts (130 before the end; after the last epoch the
# output is still written whole, and a finished checkpoint is written out, not resumed), one
# exit code (105) for every bad flag value and an unknown dataset name, suggestions for misspelt
# flags and names, the dataset-mismatch warning, --validation 0 recorded as absent, nnc-info on
# several files and on architectures, one usage line per --help.
FIXTURE_TRAIN=${FIXTURE_TRAIN:-1000}
source "$(dirname "$0")/lib.sh"
cd "$WORK"
ARCH="c6k5,mp2,flat,fc10"
nnc-train --arch $ARCH --dataset mnist $VAL -o m.h5 --quiet

# SIGINT after the last epoch (while the checkpoint and the output are written): the output is
# complete (the bytes of an uninterrupted run under the same name), exit 0, no checkpoint left.
BIG="--arch flat,fc4000,relu,fc10 --dataset mnist $VAL --epochs 1"
mkdir ref
(cd ref && nnc-train $BIG -o big.h5 --quiet)
caught=0
for _ in 1 2 3 4 5; do
  rm -f big.h5 big.h5.ckpt
  nnc-train $BIG -o big.h5 2>log &
  pid=$!
  for _ in $(seq 4000); do grep -q "epoch 1:" log && break; sleep 0.005; done
  kill -INT $pid 2>/dev/null || true
  rc=0; wait $pid || rc=$?
  [ "$rc" -eq 0 ] || fail "SIGINT after the last epoch: exit $rc: $(cat log)"
  cmp big.h5 ref/big.h5 || fail "SIGINT after the last epoch: output differs from the uninterrupted run's"
  [ ! -e big.h5.ckpt ] || fail "SIGINT after the last epoch: checkpoint left behind"
  if grep -q "interrupted after the last epoch" log; then caught=1; break; fi
done
[ "$caught" -eq 1 ] || fail "the SIGINT never arrived while the output was written (5 tries)"

# SIGINT during training: exit 130, a checkpoint to resume from.
nnc-train --arch $ARCH --dataset mnist $VAL --epochs 500 --checkpoint-every 2 -o long.h5 --quiet 2>log &
pid=$!
for _ in $(seq 200); do [ -e long.h5.ckpt ] && break; sleep 0.05; done
kill -INT $pid
rc=0; wait $pid || rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT during training: expected exit 130, got $rc: $(cat log)"
grep -q "interrupted; continue with --resume from long.h5.ckpt" log || fail "SIGINT message: $(cat log)"
[ -e long.h5.ckpt ] && [ ! -e long.h5 ] || fail "SIGINT during training: expected a checkpoint and no output"

# SIGINT during RSA: exit 130, no output; during a Monte Carlo evaluation (no loop to stop
# cleanly): the process ends at once by the signal (the shell's 130).
nnc-program-rram m.h5 --sigma 0.3 --seed 2 -o chip.h5 --quiet
nnc-rsa-adapt chip.h5 --dataset mnist $VAL --epochs 1000 --batch 8 -o rsa.h5 2>log &
pid=$!
for _ in $(seq 400); do grep -q "RSA cells" log && break; sleep 0.05; done
sleep 0.2; kill -INT $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
kill -KILL $pid 2>/dev/null || true  # never hang the suite: a kill here fails the check below
rc=0; wait $pid || rc=$?
[ "$rc" -eq 130 ] && [ ! -e rsa.h5 ] || fail "SIGINT during RSA: expected exit 130 and no output, got $rc: $(cat log)"
nnc-eval m.h5 --dataset mnist --chips 100000 --json >ev.json 2>log &
pid=$!
# Until it ends: a SIGINT that lands before the tool sets its handlers is ignored (the shell
# starts background jobs with SIGINT ignored).
for _ in $(seq 100); do sleep 0.2; kill -INT $pid 2>/dev/null || break; done
kill -KILL $pid 2>/dev/null || true  # never hang the suite: a kill here fails the check below
rc=0; wait $pid || rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT during nnc-eval --chips: expected 130, got $rc"

# A checkpoint of a finished run (its output could not be written) is written out, not resumed.
ONE="--arch $ARCH --dataset mnist $VAL --epochs 1 -o - --checkpoint ck.h5"
rc=0; nnc-train $ONE --quiet >/dev/full 2>log || rc=$?
[ "$rc" -eq 1 ] && [ -e ck.h5 ] || fail "stdout on /dev/full: exit $rc, checkpoint kept? $(cat log)"
nnc-train $ONE --resume >resumed.h5 2>log
grep -q "ck.h5 holds the finished run (1 of 1 epochs)" log || fail "finished checkpoint: $(cat log)"
grep -q "resuming" log && fail "a finished checkpoint was offered for resume: $(cat log)"
[ ! -e ck.h5 ] || fail "finished checkpoint left behind"
(cd ref && nnc-train $ONE --quiet >whole.h5)
cmp resumed.h5 ref/whole.h5 || fail "the finished checkpoint's model differs from the uninterrupted run's"

# One exit code for a bad flag value, whoever catches it; suggestions.
expect_exit 105 "--sigma: must be >= 0" nnc-program-rram m.h5 --sigma -1 -o c.h5
expect_exit 105 "--levels: must be in \[2, 32768\]" nnc-program-rram m.h5 --levels 1 -o c.h5
expect_exit 105 "--method: must be oneshot or rvw" nnc-program-rram m.h5 --method RVW -o c.h5
expect_exit 105 "--sigma" nnc-eval m.h5 --dataset mnist --chips 2 --sigma -1
expect_exit 105 "device flags need --chips" nnc-eval m.h5 --dataset mnist --sigma 0.2
expect_exit 105 "--density" nnc-swprune --arch $ARCH --dataset mnist $VAL --density 2 -o s.h5
expect_exit 105 "unknown dataset 'MNIST'.*did you mean mnist\?" nnc-eval m.h5 --dataset MNIST
expect_exit 105 "unknown dataset 'fashion'" nnc-train --arch $ARCH --dataset fashion -o x.h5
expect_exit 109 "did you mean --sigma\?" nnc-program-rram m.h5 --sigmaa 0.1 -o c.h5
expect_exit 109 "did you mean --limit-test\?" nnc-eval m.h5 --dataset mnist --limit-tset 10
expect_exit 105 "epochs" nnc-rsa-adapt c.h5 --dataset mnist --epochs 0 -o r.h5
expect_exit 105 "--validation" nnc-swprune --arch $ARCH --dataset mnist --validation 0 -o s.h5
# A negative count or seed is refused, not wrapped around to a huge unsigned value ...
expect_exit 105 "--limit-train: must be >= 0" nnc-train --arch $ARCH --dataset mnist --limit-train -5 -o x.h5
expect_exit 105 "--prune-bn-images" nnc-cgap --arch $ARCH --dataset mnist --prune-bn-images -1 -o x.h5
expect_exit 105 "--seed" nnc-program-rram m.h5 --seed -1 -o c.h5
# ... and a real-valued flag refuses a NaN, which every range check would let through.
expect_exit 105 "--lr: must be a finite number" nnc-train --arch $ARCH --dataset mnist --lr nan -o x.h5
expect_exit 105 "--finetune-lr: must be a finite number" nnc-swprune --arch $ARCH --dataset mnist --finetune-lr NaN -o s.h5
expect_exit 105 "--cutout: needs augmentation" nnc-train --arch $ARCH --dataset mnist --no-augment --cutout 8 -o x.h5
expect_exit 105 "--cutout" nnc-train --arch $ARCH --dataset mnist --cutout -2 -o x.h5
expect_exit 105 "--label-smoothing" nnc-train --arch $ARCH --dataset mnist --label-smoothing 1 -o x.h5
expect_exit 2 "needs inputs of at least 32x32; mnist has 1x28x28" nnc-train --arch vgg16 --dataset mnist $VAL -o x.h5
[ ! -e c.h5 ] && [ ! -e x.h5 ] && [ ! -e s.h5 ] || fail "an output was written after a bad flag"

# Evaluated on another dataset than it was trained on: one warning line, exit code unchanged.
mkdir -p fix2/fashion-mnist
cp "$FIX"/mnist/* fix2/fashion-mnist/
nnc-eval m.h5 --dataset fashion-mnist --data-dir fix2/fashion-mnist --json >out.json 2>log
grep -q "warning: m.h5 was made on mnist (its provenance), not on --dataset fashion-mnist" log || fail "no mismatch warning: $(cat log)"
[ "$(grep -c . log)" -eq 1 ] || fail "more than the warning on stderr: $(cat log)"
contains '"data_dir": "fix2/fashion-mnist"' <out.json || fail "JSON lacks data_dir: $(cat out.json)"
contains '"file": "m.h5"' <out.json || fail "JSON lacks its input file"
contains '"confusion_axes": \["true", "predicted"\]' <out.json || fail "JSON lacks confusion_axes"
nnc-eval m.h5 --dataset mnist 2>log >/dev/null
grep -q warning log && fail "warning on the model's own dataset: $(cat log)"
nnc-eval m.h5 --dataset mnist -v 2>&1 >/dev/null | contains "mnist test split from $FIX/mnist" || fail "-v does not name the dataset directory"
# --limit-test is nnc-eval's name, as everywhere; --limit stays for scripts.
[ "$(nnc-eval m.h5 --dataset mnist --limit 50 --json | json_get samples)" = 50 ] || fail "--limit"
[ "$(nnc-eval m.h5 --dataset mnist --limit-test 50 --json | json_get samples)" = 50 ] || fail "--limit-test"

# --validation 0: no validation, recorded as absent (null in JSON, not a measured 0).
nnc-train --arch $ARCH --dataset mnist --validation 0 -o nv.h5 --json >train.json 2>log
grep -q "no validation" log || fail "epoch line: $(cat log)"
grep -q "val loss 0.0000" log && fail "a measured zero logged: $(cat log)"
contains '"val_accuracy": null' <train.json || fail "nnc-train --json: $(cat train.json)"
contains '"file": "nv.h5"' <train.json || fail "nnc-train --json lacks the file"
nnc-info nv.h5 --json | contains '"val_loss": null, "val_accuracy": null' || fail "nnc-info history"
nnc-info nv.h5 | contains "no validation" || fail "nnc-info text history"

# nnc-info on two files: one report each; with --json one object per line.
[ "$(nnc-info m.h5 nv.h5 --json | grep -c '^{"file"')" -eq 2 ] || fail "nnc-info --json on two files"
nnc-info m.h5 nv.h5 | contains "^nv.h5: nnc model" || fail "nnc-info on two files"
nnc-info --help | contains "--seed|--threads" && fail "nnc-info offers --seed or --threads"

# Presets and specs before training.
nnc-info --presets | contains "^vgg16 +input 3x32x32 +15249354 parameters" || fail "preset listing"
nnc-info --arch vgg16 | contains "at least 32x32" || fail "nnc-info --arch vgg16"
nnc-info --arch lenet5 | contains "^7 +dense +fc10 +10x1x1 +5010$" || fail "nnc-info --arch lenet5 layer table"
nnc-info --arch c8k3,mp2,flat,fc10 --input 1x12x12 --json | contains '"output_shape": "8x5x5"' || fail "spec with --input"

# One usage line per help page.
for t in nnc-train nnc-eval nnc-info nnc-program-rram nnc-rsa-adapt nnc-swprune nnc-cgap nnc-import nnc-export nnc-cost; do
  [ "$($t --help | grep -c "Usage:")" -eq 1 ] || fail "$t --help: not one Usage line"
done
echo "ux.sh: ok"
