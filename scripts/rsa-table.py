#!/usr/bin/env python3
"""Tables of scripts/rsa-table.sh's runs (OUT_DIR/runs.jsonl) in markdown."""
import json, statistics, sys
from collections import defaultdict

out = sys.argv[1]
ideal = json.load(open(f"{out}/ideal.json"))["accuracy"]
runs = [json.loads(l) for l in open(f"{out}/runs.jsonl") if l.strip()]
print(f"Ideal model on the same 2000 test images: {ideal:.4f}\n")
print("| sigma | density | cells % of placed weights | SRAM bytes | before | after (mean over chips) | ideal - after | modeled RSA time |")
print("|---|---|---|---|---|---|---|---|")
by = defaultdict(list)
for r in runs:
    by[(r["sigma"], r["run"], r["result"]["density"])].append(r["result"])
for (sigma, run, d), rs in sorted(by.items()):
    if run != "density":
        continue
    m = lambda k: statistics.mean(x[k] for x in rs)
    # Percent of the placed weight positions (older runs: cells_percent, of all weights).
    pk = 'cells_percent_of_placed' if 'cells_percent_of_placed' in rs[0] else 'cells_percent'
    print(f"| {sigma} | {d:g} | {m(pk):.2f} | {m('sram_bytes'):.0f} | {m('accuracy_before'):.4f} | "
          f"{m('accuracy_after'):.4f} (n={len(rs)}) | {ideal - m('accuracy_after'):+.4f} | {m('time_s'):.3g} s |")
print("\nRSA (5%) vs R-V-W on the same chips (R-V-W time = pulses x (t_write + t_read), t_read = 100 ns):\n")
print("| sigma | chip | RSA acc | R-V-W acc | RSA time | R-V-W pulses | R-V-W time @6.5us | speed-up @6.5us | speed-up @4.5ms | RSA time to R-V-W val acc |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    x = r["result"]
    if "rvw" not in x:
        continue
    v = x["rvw"]
    t65 = v["pulses"] * (6.5e-6 + 1e-7)
    t45 = v["pulses"] * (4.5e-3 + 1e-7)
    reach = v["rsa_time_to_rvw_val_accuracy_s"]
    reach_s = f"{reach:.3g} s" if reach is not None else "not reached"
    print(f"| {r['sigma']} | {r['chip']} | {x['accuracy_after']:.4f} | {v['accuracy']:.4f} | {x['time_s']:.3g} s | "
          f"{v['pulses']:.0f} | {t65:.3g} s | {t65 / x['time_s']:.0f}x | {t45 / x['time_s']:.0f}x | {reach_s} |")
print("\nVariants at density 5%, sigma 0.5:\n")
print("| variant | accuracy after (mean) | chips |")
print("|---|---|---|")
for name, key in [("additive, balanced", "density"), ("replace, balanced", "replace"), ("additive, random selection", "random")]:
    rs = [r["result"] for r in runs if r["sigma"] == 0.5 and r["run"] == key and r["result"]["density"] == 0.05]
    if rs:
        print(f"| {name} | {statistics.mean(x['accuracy_after'] for x in rs):.4f} | {len(rs)} |")
