#!/usr/bin/env bash
# neurosim-compare.sh: nnc-cost beside DNN+NeuroSim V1.4 on the same chip (issue 47). Copies the
# peer's C++ source (../shared/peers/neurosim, CC BY-NC 4.0: run, never copied into nnc) to a
# scratch folder outside the repository, sets its Param.cpp to nnc's device (RRAM, 22 nm,
# 128x128 subarrays, one 5-bit cell per weight for 32 levels, on/off 10 kOhm / 1 MOhm from the
# chip's G_on / G_off, the same ADC bits, all 128 rows read in parallel), builds it, has
# nnc-cost write the network CSV and the weight and input traces of the chip and the first test
# image (--neurosim-traces), runs NeuroSim on them and prints per mapped layer both read dynamic
# energies and their ratio, each layer's share of its tool's total, then both chip areas. The last
# line is one JSON object: the largest per-layer energy ratio (either way), the Spearman rank
# correlation of the per-layer energies, the largest share difference (points) and the total-area
# ratio (nnc / NeuroSim), with both totals.
#
# Differences, not reconciled here: NeuroSim encodes a signed weight with a reference column,
# nnc with a differential pair (G+ - G-, two arrays per tile); NeuroSim counts leakage, its
# buffers and H-tree/bus in other lines than its per-layer read energy, nnc lists its own
# components per layer; NeuroSim reads the first input bit as a sign, nnc codes the inputs of
# a non-negative layer unsigned (same 1 bits, the array activity is the same). NeuroSim needs
# the widest layer's columns (rounded up to a power of two) >= 4 x 128: LeNet-5 does not run.
#
# Usage: bench/neurosim-compare.sh CHIP --dataset D [--adc-bits B] [--bin DIR] [--keep]
# e.g.:  bench/neurosim-compare.sh exp/all/cifar10/vgg16/chips/s0.1-1.h5 --dataset cifar10 --adc-bits 5
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
peer="$root/../shared/peers/neurosim"
bin="$root/build/bin"
chip=""
dataset=""
adc_bits=5
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dataset) dataset=$2; shift 2 ;;
    --adc-bits) adc_bits=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "neurosim-compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) chip=$1; shift ;;
  esac
done
[[ -n "$chip" && -n "$dataset" ]] || { echo "neurosim-compare.sh: give CHIP and --dataset (see --help)" >&2; exit 2; }
[[ -f "$chip" ]] || { echo "neurosim-compare.sh: $chip: no such file" >&2; exit 2; }
[[ -d "$peer" ]] || { echo "neurosim-compare.sh: the peer is not at $peer" >&2; exit 2; }

scratch=$(mktemp -d /tmp/nnc-neurosim-XXXXXX)
[[ $keep = 1 ]] || trap 'rm -rf "$scratch"' EXIT
cp -r "$peer" "$scratch/ns"

# nnc's side first: the cost as JSON and the traces.
"$bin/nnc-cost" "$chip" --dataset "$dataset" --limit-test 1 --adc-bits "$adc_bits" --neurosim-traces "$scratch/traces" \
  --json --quiet >"$scratch/nnc.json"
read -r g_on g_off < <("$bin/nnc-info" "$chip" --json | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())["device"]
print(d["g_on_siemens"], d["g_off_siemens"])')

# NeuroSim's Param.cpp set to nnc's device (each line replaced by its name; the rest as shipped).
levels=$((1 << adc_bits))
sed -i -E \
  -e "s/^(\s*)memcelltype = [0-9]+;/\1memcelltype = 2;/" \
  -e "s/^(\s*)technode = [0-9]+;/\1technode = 22;/" \
  -e "s/^(\s*)cellBit = [0-9]+;/\1cellBit = 5;/" \
  -e "s/^(\s*)levelOutput = [0-9]+;/\1levelOutput = $levels;/" \
  -e "s/^(\s*)resistanceOn = [^;]+;/\1resistanceOn = 1.0\/$g_on;/" \
  -e "s/^(\s*)resistanceOff = [^;]+;/\1resistanceOff = 1.0\/$g_off;/" \
  "$scratch/ns/Param.cpp"
make -s -C "$scratch/ns" -j2 >"$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log" >&2; exit 1; }

args=()
n=$(grep -c . "$scratch/traces/net.csv")
for k in $(seq 1 "$n"); do args+=("$scratch/traces/w$k.csv" "$scratch/traces/in$k.csv"); done
(cd "$scratch/ns" && ./main "$scratch/traces/net.csv" 5 8 128 128 "${args[@]}") >"$scratch/neurosim.txt" 2>&1 ||
  { tail -20 "$scratch/neurosim.txt" >&2; echo "neurosim-compare.sh: NeuroSim failed (output in $scratch/neurosim.txt with --keep)" >&2; exit 1; }

python3 - "$scratch/nnc.json" "$scratch/neurosim.txt" <<'EOF'
import json, re, sys
nnc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
ns = {int(k): float(v) * 1e-12 for k, v in re.findall(r"layer(\d+)'s readDynamicEnergy is: ([-0-9.e+]+)pJ", text)}
area = re.search(r"ChipArea : ([-0-9.e+]+)um\^2", text)
mapped = [l for l in nnc["layers"] if l["mapped"]]
ours = [l["energy_j"]["total"] for l in mapped]
theirs = [ns.get(i + 1, float("nan")) for i in range(len(mapped))]
def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    for pos, i in enumerate(order):
        r[i] = pos + 1.0
    return r
def spearman(a, b):
    n = len(a)
    if n < 2:
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb)) / (n * (n * n - 1))
so, st = sum(ours), sum(theirs)
print(f"{'layer':>5} {'spec':>10} {'nnc nJ':>10} {'NeuroSim nJ':>12} {'ratio':>7} {'nnc %':>6} {'NS %':>6}")
worst, share = 1.0, 0.0
for l, a, b in zip(mapped, ours, theirs):
    r = a / b if b > 0 else float("nan")
    worst = max(worst, r, 1 / r) if r == r and r > 0 else worst
    share = max(share, abs(100 * a / so - 100 * b / st))
    print(f"{l['layer']:>5} {l['spec']:>10} {a * 1e9:>10.4g} {b * 1e9:>12.4g} {r:>7.3f} {100 * a / so:>6.1f} {100 * b / st:>6.1f}")
nnc_area = nnc["total"]["area_um2"]
ns_area = float(area.group(1)) if area else float("nan")
print(f"area: nnc {nnc_area * 1e-6:.4g} mm^2, NeuroSim {ns_area * 1e-6:.4g} mm^2")
print(json.dumps({"layers": len(mapped), "max_energy_ratio": worst, "spearman": spearman(ours, theirs),
                  "max_share_difference_points": share,
                  "area_ratio": nnc_area / ns_area if ns_area == ns_area and ns_area > 0 else None,
                  "adc_bits": nnc["adc_bits"], "nnc_energy_j": so, "neurosim_energy_j": st,
                  "nnc_area_um2": nnc_area, "neurosim_area_um2": ns_area}))
EOF
