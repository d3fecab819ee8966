#!/usr/bin/env bash
# scripts/report.py's residual networks (issue 44): from the files Makefile.pipeline's `resnet`
# target writes (cifar10/NAME.eval.json, NAME/degradation/max, NAME/rsa-fa, NAME/drift,
# NAME/drift-rsa), the section shows the chips' rows, the fault-aware RSA chip against its
# ideal with the 1-point goal, and drift; the claim table reads the same files; a network that
# did not run is said to be missing. No tools run: the records are written here.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$WORK/out"
R="$OUT/cifar10/resnet32"
mkdir -p "$R/degradation/max" "$R/rsa-fa" "$R/drift" "$R/drift-rsa"
chips() {  # chips FILE ACC1 ACC2 ACC3: a 3-chip Monte Carlo record
  python3 - "$@" <<'EOF'
import json, statistics, sys
accs = [float(a) for a in sys.argv[2:]]
json.dump({"accuracy": statistics.mean(accs), "accuracy_std": statistics.stdev(accs), "chips": 3, "samples": 10000,
           "per_chip": [{"accuracy": a} for a in accs]}, open(sys.argv[1], "w"))
EOF
}
echo '{"accuracy": 0.9187, "samples": 10000}' >"$OUT/cifar10/resnet32.eval.json"
chips "$R/degradation/max/s0.1-faults.json" 0.5 0.6 0.7
chips "$R/degradation/max/s0.1-nofaults.json" 0.91 0.912 0.914
echo "nnc-eval resnet32.h5 --sigma 0.1" >"$R/degradation/max/s0.1-faults.json.cmd"
cat >"$R/rsa-fa/s0.1-1-0.05-e5-cos.json" <<'EOF'
{"accuracy_before": 0.8012, "accuracy_after": 0.9101, "epochs": 5, "lr": 0.03, "schedule": "cosine",
 "test_samples": 10000, "cells": 23071, "cells_percent_of_placed": 5.0,
 "test_after_epoch": [{"epoch": 1, "accuracy": 0.9}, {"epoch": 2, "accuracy": 0.905}, {"epoch": 5, "accuracy": 0.9101}]}
EOF
chips "$R/drift/rram-nofaults-t1.json" 0.91 0.912 0.914
chips "$R/drift/rram-nofaults-t31536000-comp.json" 0.90 0.905 0.91
echo '{"accuracy": 0.9101}' >"$R/drift-rsa/rram-t1.json"
echo '{"accuracy": 0.8899}' >"$R/drift-rsa/rram-t31536000-comp.json"

python3 "$SRC/scripts/report.py" "$OUT" all 2>"$WORK/err" || fail "report.py failed: $(cat "$WORK/err")"
md="$OUT/report.md"
section=$(awk '/^## Residual networks/,/^## Fault-aware/' "$md")
grep -q "^### resnet32" <<<"$section" || fail "no resnet32 section: $section"
grep -q "Test accuracy 91.87%" <<<"$section" || fail "no test accuracy: $section"
grep -q -F "| 0.1 | default | 60.00 ± 10.00 | 50.00 60.00 70.00 |" <<<"$section" || fail "no chips row: $section"
grep -q -F "| 0.1 | none | 91.20 ± 0.20 |" <<<"$section" || fail "no fault-free chips row: $section"
grep -q -F "Command (the others vary the device flags): \`nnc-eval resnet32.h5 --sigma 0.1\`" <<<"$section" ||
  fail "no command: $section"
grep -q -F "| 80.12% | 90.00% | 90.50% | 91.01% | 91.01% | 91.87% | +0.86 | 23,071 (5.00%) | met |" <<<"$section" ||
  fail "no RSA row: $section"
grep -q -F "| 1 year | 3 chips, no faults | n/a | 90.50 ± 0.50 | n/a | n/a |" <<<"$section" || fail "no drift row: $section"
grep -q -F "| 1 year | RSA chip | n/a | 88.99% | n/a | n/a |" <<<"$section" || fail "no RSA drift row: $section"
grep -q "Not run yet (.*resnet20.eval.json" <<<"$section" || fail "resnet20 not said to be missing: $section"
grep -q -F "| ResNet-32 chip (sigma 0.1, default faults): fault-aware mapping and 5% RSA | - | 91.01% (before RSA 80.12%), 0.86 below the ideal 91.87% | within 1 of ideal (issue 44) | met |" "$md" ||
  fail "no RSA claim: $(grep ResNet "$md")"
grep -q -F "| ResNet-32 on CIFAR-10 | 92.49% (He et al. 2016) | 91.87% on 10,000 test images | >= 91.5% (JPEG images; issue 44) | met |" "$md" ||
  fail "no accuracy claim: $(grep ResNet "$md")"

# The RSA chip 1.2 points below its ideal: the goal is not met, in the section and the claims.
sed -i 's/"accuracy_after": 0.9101/"accuracy_after": 0.9067/' "$R/rsa-fa/s0.1-1-0.05-e5-cos.json"
python3 "$SRC/scripts/report.py" "$OUT" all 2>"$WORK/err" || fail "report.py failed: $(cat "$WORK/err")"
grep -q -F "| 91.87% | +1.20 | 23,071 (5.00%) | not met |" "$md" || fail "a missed goal is not shown: $(grep -F '+1.20' "$md")"
grep -q -F "1.20 below the ideal 91.87% | within 1 of ideal (issue 44) | not met |" "$md" || fail "a missed claim is not shown"
echo "report_resnet: ok"
