#!/usr/bin/env bash
# neurosim-compare.sh: nnc-cost beside DNN+NeuroSim V1.4 on the same chip (issue 47). Copies the
# peer's C++ source (../shared/peers/neurosim, CC BY-NC 4.0: run, never copied into nnc) to a
# scratch folder outside the repository, sets its Param.cpp to nnc's chip (RRAM, 22 nm, 128x128
# subarrays, one 5-bit cell per weight for 32 levels, on/off from the chip's G_on / G_off, the same
# ADC bits, all 128 rows read in parallel, and nnc's mapping: conventional, each weight placed
# once (novelMapping off, speedUpDegree 1); a SAR ADC as nnc's, or with --neurosim-adc mlsa
# NeuroSim's default multi-level sense amplifier), builds it, has nnc-cost write the network CSV
# and the weight and input traces of the chip and the first test image (--neurosim-traces), runs
# NeuroSim on them and prints per mapped layer: arrays (nnc's placed tiles / NeuroSim's
# ceil(rows/128) ceil(cols/128) subarrays of its conventional mapping) and NeuroSim's duplication
# (1: none); ADC conversions (nnc's: vectors x input bits x columns; NeuroSim senses the same
# columns of each subarray for every input bit); both dynamic read energies, their ratio and
# shares; per component nnc / NeuroSim: ADC, accumulation (nnc's shift-and-add), and the rest
# (nnc: array, drivers, buffer, interconnect and the digital layers after the layer; NeuroSim:
# array, decoders, muxes, switch matrices, buffers, H-tree and bus, ReLU and pooling). Then both
# chip areas. The last line is one JSON object: arrays equal per layer, the largest per-layer
# energy ratio (either way), the Spearman rank correlation of the per-layer energies, the largest
# share difference (points), the total-area ratio (nnc / NeuroSim) and the area ratio per
# provisioned array (nnc's chip over its placed tiles, NeuroSim's over its subarrays: NeuroSim
# provisions whole tiles of 4 x 4 subarrays per layer and fills idle ones with weight copies, so
# its chip holds more arrays than the weights need), the totals per component.
#
# Differences left in place: NeuroSim encodes a signed weight against a reference column, nnc
# with a differential pair (G+ - G-, two arrays per tile; nnc's array energy counts both cells);
# NeuroSim reads the first input bit as a sign, nnc codes the inputs of a non-negative layer
# unsigned (the same 1 bits, the same array activity); NeuroSim has no batch norm, nnc costs it
# as a digital layer. NeuroSim's floorplan needs a layer of at least 4 x 128 columns: when the
# network has none (cnn9: 256 at most), a dense layer 128 -> 512 with zero weights and zero
# inputs is appended for the floorplan only. It is left out of every per-layer figure; NeuroSim's
# chip area then includes its tile (JSON "floorplan_layer": true).
#
# Usage: bench/neurosim-compare.sh CHIP --dataset D [--adc-bits B] [--neurosim-adc sar|mlsa]
#        [--bin DIR] [--work DIR] [--keep]
#   --work DIR  build NeuroSim in DIR/ns and keep it: a second run with other settings rebuilds
#               only Param.cpp (default: a fresh scratch folder, removed unless --keep)
# e.g.:  bench/neurosim-compare.sh exp/all/cifar10/chips/s0.1-1.h5 --dataset cifar10 --adc-bits 5
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
peer="$root/../shared/peers/neurosim"
bin="$root/build/bin"
chip=""
dataset=""
adc_bits=5
ns_adc=sar
work=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dataset) dataset=$2; shift 2 ;;
    --adc-bits) adc_bits=$2; shift 2 ;;
    --neurosim-adc) ns_adc=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "neurosim-compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) chip=$1; shift ;;
  esac
done
[[ -n "$chip" && -n "$dataset" ]] || { echo "neurosim-compare.sh: give CHIP and --dataset (see --help)" >&2; exit 2; }
[[ -f "$chip" ]] || { echo "neurosim-compare.sh: $chip: no such file" >&2; exit 2; }
[[ $ns_adc = sar || $ns_adc = mlsa ]] || { echo "neurosim-compare.sh: --neurosim-adc is sar or mlsa" >&2; exit 2; }
[[ -d "$peer" ]] || { echo "neurosim-compare.sh: the peer is not at $peer" >&2; exit 2; }

if [[ -n "$work" ]]; then
  scratch=$work
  mkdir -p "$scratch"
  rm -rf "$scratch/traces"
else
  scratch=$(mktemp -d /tmp/nnc-neurosim-XXXXXX)
  [[ $keep = 1 ]] || trap 'rm -rf "$scratch"' EXIT
fi
[[ -d "$scratch/ns" ]] || { cp -r "$peer" "$scratch/ns" && cp "$scratch/ns/Param.cpp" "$scratch/ns/Param.cpp.shipped"; }

# nnc's side first: the cost as JSON and the traces.
"$bin/nnc-cost" "$chip" --dataset "$dataset" --limit-test 1 --adc-bits "$adc_bits" --neurosim-traces "$scratch/traces" \
  --json --quiet >"$scratch/nnc.json"
read -r g_on g_off < <("$bin/nnc-info" "$chip" --json | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())["device"]
print(d["g_on_siemens"], d["g_off_siemens"])')

# NeuroSim's Param.cpp set to nnc's chip (each line replaced by its name; the rest as shipped).
levels=$((1 << adc_bits))
sar=$([[ $ns_adc = sar ]] && echo true || echo false)
sed -E \
  -e "s/^(\s*)memcelltype = [0-9]+;/\1memcelltype = 2;/" \
  -e "s/^(\s*)technode = [0-9]+;/\1technode = 22;/" \
  -e "s/^(\s*)cellBit = [0-9]+;/\1cellBit = 5;/" \
  -e "s/^(\s*)levelOutput = [0-9]+;/\1levelOutput = $levels;/" \
  -e "s/^(\s*)resistanceOn = [^;]+;/\1resistanceOn = 1.0\/$g_on;/" \
  -e "s/^(\s*)resistanceOff = [^;]+;/\1resistanceOff = 1.0\/$g_off;/" \
  -e "s/^(\s*)novelMapping = [a-z]+;/\1novelMapping = false;/" \
  -e "s/^(\s*)speedUpDegree = [0-9]+;/\1speedUpDegree = 1;/" \
  -e "s/^(\s*)SARADC = [a-z]+;/\1SARADC = $sar;/" \
  "$scratch/ns/Param.cpp.shipped" >"$scratch/Param.cpp.new"
cmp -s "$scratch/Param.cpp.new" "$scratch/ns/Param.cpp" || mv "$scratch/Param.cpp.new" "$scratch/ns/Param.cpp"
make -s -C "$scratch/ns" -j2 >"$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log" >&2; exit 1; }

# The floorplan layer (see the header) when no layer has 4 x 128 columns or more.
n=$(grep -c . "$scratch/traces/net.csv")
floorplan=$(python3 - "$scratch/traces" "$n" <<'PY'
import math, sys
d, n = sys.argv[1], int(sys.argv[2])
rows = [[int(x) for x in l.split(",")] for l in open(f"{d}/net.csv") if l.strip()]
if max(2 ** math.ceil(math.log2(r[5])) for r in rows) >= 512:
    print(0)
else:
    with open(f"{d}/net.csv", "a") as f:
        f.write("1,1,128,1,1,512,0,1\n")
    with open(f"{d}/w{n + 1}.csv", "w") as f:
        f.write((",".join(["0"] * 512) + "\n") * 128)
    with open(f"{d}/in{n + 1}.csv", "w") as f:
        f.write((",".join(["0"] * 8) + "\n") * 128)
    print(1)
PY
)
args=()
for k in $(seq 1 $((n + floorplan))); do args+=("$scratch/traces/w$k.csv" "$scratch/traces/in$k.csv"); done
(cd "$scratch/ns" && ./main "$scratch/traces/net.csv" 5 8 128 128 "${args[@]}") >"$scratch/neurosim.txt" 2>&1 ||
  { tail -20 "$scratch/neurosim.txt" >&2; echo "neurosim-compare.sh: NeuroSim failed (output in $scratch/neurosim.txt with --keep)" >&2; exit 1; }
grep -q "ChipArea" "$scratch/neurosim.txt" ||
  { tail -5 "$scratch/neurosim.txt" >&2; echo "neurosim-compare.sh: NeuroSim printed no chip summary" >&2; exit 1; }

python3 - "$scratch/nnc.json" "$scratch/neurosim.txt" "$scratch/traces/net.csv" "$floorplan" "$ns_adc" "$scratch/ns/Param.cpp" <<'PY'
import json, math, re, sys
nnc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
net = [[int(x) for x in l.split(",")] for l in open(sys.argv[3]) if l.strip()]
floorplan, ns_adc = sys.argv[4] == "1", sys.argv[5]
num = r"([-0-9.e+]+)"
# NeuroSim's per-layer blocks, "Estimation of Layer k" up to the next; the first breakdown in a
# block is the layer's.
blocks = re.split(r"-+ Estimation of Layer (\d+) -+", text.split("Hardware Performance ---")[-1])
ns = {}
for k, body in zip(blocks[1::2], blocks[2::2]):
    get = lambda pat: float(re.search(pat, body).group(1)) * 1e-12
    ns[int(k)] = {"total": get(r"readDynamicEnergy is: " + num + "pJ"),
                  "adc": get(r"ADC \(or S/As and precharger for SRAM\) readDynamicEnergy is : " + num + "pJ"),
                  "accum": get(r"Accumulation Circuits .*? readDynamicEnergy is : " + num + "pJ"),
                  "other": get(r"Other Peripheries .*? readDynamicEnergy is : " + num + "pJ"),
                  "buffer": get(r"buffer readDynamicEnergy is: " + num + "pJ"),
                  "ic": get(r"ic readDynamicEnergy is: " + num + "pJ")}
dup_text = text.split("Speed-up of each layer")[1].split("Utilization")[0]
dup = {int(k): float(v) for k, v in re.findall(r"layer(\d+): ([0-9.e+]+)", dup_text)}
# nnc per mapped layer, with the digital layers after it (NeuroSim counts ReLU and pooling with
# the layer before them).
mapped, comp = [], []
for l in nnc["layers"]:
    e = l["energy_j"]
    if l["mapped"]:
        mapped.append(l)
        comp.append({"adc": e["adc"], "accum": e["shift_add"], "buffer": e["buffer"], "ic": e["interconnect"],
                     "other": e["array"] + e["driver"] + e["buffer"] + e["interconnect"] + e["rsa"]})
    elif comp:
        comp[-1]["other"] += e["total"]
for c in comp:
    c["total"] = c["adc"] + c["accum"] + c["other"]
if len(net) - floorplan != len(mapped):
    sys.exit(f"neurosim-compare.sh: NeuroSim's network has {len(net) - floorplan} layers, nnc maps {len(mapped)}")
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
nsl = [ns.get(i + 1, {}) for i in range(len(mapped))]
ours = [c["total"] for c in comp]
theirs = [x.get("total", float("nan")) for x in nsl]
so, st = sum(ours), sum(theirs)
print(f"{'layer':>5} {'spec':>8} {'arrays':>7} {'dup':>4} {'ADC conv':>10} {'nnc nJ':>9} {'NS nJ':>9} {'ratio':>6} "
      f"{'nnc %':>6} {'NS %':>6} | {'ADC nJ nnc/NS':>17} {'accum nJ nnc/NS':>17} {'rest nJ nnc/NS':>17}")
worst, share, arrays_equal = 1.0, 0.0, True
for i, (l, c, x) in enumerate(zip(mapped, comp, nsl)):
    b = x.get("total", float("nan"))
    r = c["total"] / b if b > 0 else float("nan")
    worst = max(worst, r, 1 / r) if r == r and r > 0 else worst
    share = max(share, abs(100 * c["total"] / so - 100 * b / st))
    h, w, cin, kh, kw, cout = net[i][:6]
    ns_arrays = math.ceil(cin * kh * kw / 128) * math.ceil(cout / 128)
    arrays_equal = arrays_equal and ns_arrays == l["tiles_used"]
    pair = lambda k: f"{c[k] * 1e9:.4g}/{x.get(k, float('nan')) * 1e9:.4g}"
    print(f"{l['layer']:>5} {l['spec']:>8} {str(l['tiles_used']) + '/' + str(ns_arrays):>7} {dup.get(i + 1, 0):>4g} "
          f"{l['adc_conversions']:>10.0f} {c['total'] * 1e9:>9.4g} {b * 1e9:>9.4g} {r:>6.3f} {100 * c['total'] / so:>6.1f} "
          f"{100 * b / st:>6.1f} | {pair('adc'):>17} {pair('accum'):>17} {pair('other'):>17}")
tot = lambda d, k: sum(x.get(k, 0) for x in d)
conv = sum(l["adc_conversions"] for l in mapped)
area = re.search(r"ChipArea : " + num + r"um\^2", text)
nnc_area = nnc["total"]["area_um2"]
ns_area = float(area.group(1)) if area else float("nan")
print(f"total: nnc {so * 1e9:.4g} nJ, NeuroSim {st * 1e9:.4g} nJ; ADC energy per conversion: nnc "
      f"{tot(comp, 'adc') / conv * 1e12:.3g} pJ, NeuroSim {tot(nsl, 'adc') / conv * 1e12:.3g} pJ ({ns_adc})")
rest = lambda d: tot(d, "other") - tot(d, "buffer") - tot(d, "ic")
pj = lambda k: f"{tot(comp, k) * 1e9:.4g}/{tot(nsl, k) * 1e9:.4g}"
print(f"components, nJ nnc/NeuroSim: ADC {pj('adc')}, accumulation {pj('accum')}, buffer {pj('buffer')}, "
      f"interconnect {pj('ic')}, the rest {rest(comp) * 1e9:.4g}/{rest(nsl) * 1e9:.4g} (nnc: arrays, drivers, digital "
      "layers; NeuroSim: arrays, decoders, muxes, switch matrices, ReLU, pooling)")
# NeuroSim's subarrays as provisioned: its CIM array area over one subarray's (its 1T1R cell).
cell_f2 = 1.0
for name in ("heightInFeatureSize1T1R", "widthInFeatureSize1T1R"):
    cell_f2 *= float(re.search(name + r"\s*=\s*([0-9.]+)", open(sys.argv[6]).read()).group(1))
ns_cim = float(re.search(r"Chip total CIM array : " + num, text).group(1))
ns_subarrays = ns_cim / (128 * 128 * cell_f2 * (nnc["constants"]["node_nm"] * 1e-3) ** 2)
areas = {}
for l in nnc["layers"]:
    for k, v in (l["area_um2"].items() if isinstance(l["area_um2"], dict) else ()):
        areas[k] = areas.get(k, 0) + v
summary = text.split("- Summary -")[-1]
ns_part = lambda pat: float(re.search(pat + r".*?:\s*" + num + "um", summary).group(1)) * 1e-6
nnc_tiles = sum(l["tiles_used"] for l in mapped)
per_array = (nnc_area / nnc_tiles) / (ns_area / ns_subarrays) if nnc_tiles and ns_subarrays and ns_area == ns_area else None
print(f"area: nnc {nnc_area * 1e-6:.4g} mm^2, NeuroSim {ns_area * 1e-6:.4g} mm^2" +
      (" (with the floorplan layer's tile)" if floorplan else "") +
      f"; arrays: nnc {nnc_tiles} tiles (pairs), NeuroSim {ns_subarrays:.0f} subarrays provisioned; "
      f"mm^2 nnc/NeuroSim: cells {areas.get('array', 0) * 1e-6:.3g}/{ns_cim * 1e-6:.3g}, "
      f"ADC {areas.get('adc', 0) * 1e-6:.3g}/{ns_part('Total ADC'):.3g}, "
      f"accumulation {areas.get('shift_add', 0) * 1e-6:.3g}/{ns_part('Total Accumulation Circuits'):.3g}, "
      f"the rest {(nnc_area - areas.get('array', 0) - areas.get('adc', 0) - areas.get('shift_add', 0)) * 1e-6:.3g}/"
      f"{ns_part('Total IC Area') + ns_part('Other Peripheries'):.3g}")
rest = ("driver", "column", "write", "tile_buffer", "link", "rsa", "overhead")
print("nnc's rest, mm^2: " + ", ".join(f"{k} {areas.get(k, 0) * 1e-6:.3g}" for k in rest) +
      f", activation buffer {nnc['total']['buffer_area_um2'] * 1e-6:.3g}; per provisioned array nnc / NeuroSim: "
      f"{nnc_area / max(1, nnc_tiles):.4g} / {ns_area / max(1, ns_subarrays):.4g} um^2" +
      (f" ({per_array:.3f})" if per_array else ""))
print(json.dumps({"layers": len(mapped), "arrays_equal": arrays_equal, "max_energy_ratio": worst,
                  "spearman": spearman(ours, theirs), "max_share_difference_points": share,
                  "area_ratio": nnc_area / ns_area if ns_area == ns_area and ns_area > 0 else None,
                  "area_ratio_per_array": per_array,
                  "adc_bits": nnc["adc_bits"], "neurosim_adc": ns_adc, "floorplan_layer": floorplan,
                  "adc_conversions": conv, "nnc_energy_j": so, "neurosim_energy_j": st,
                  "nnc_j": {k: tot(comp, k) for k in ("adc", "accum", "buffer", "ic", "other")},
                  "neurosim_j": {k: tot(nsl, k) for k in ("adc", "accum", "buffer", "ic", "other")},
                  "nnc_area_um2": nnc_area, "neurosim_area_um2": ns_area,
                  "nnc_arrays": sum(l["tiles_used"] for l in mapped), "neurosim_subarrays": round(ns_subarrays)}))
PY
