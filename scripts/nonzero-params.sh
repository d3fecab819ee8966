#!/usr/bin/env bash
# nonzero-params.sh MODEL: prints the model's nonzero parameter count (docs/design.md section 8).
set -euo pipefail
"${NNC_BIN:-build/bin}/nnc-info" "$1" --json | grep -o '"nonzero_params": [0-9]*' | awk 'NR == 1 { print $2 }'
