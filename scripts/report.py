#!/usr/bin/env python3
"""Writes OUT/report.md and its gnuplot figures from what Makefile.pipeline's steps printed.

usage: scripts/report.py OUT PROFILE
Every number in the report is read from a JSON file under OUT; each table names the command
file (.cmd) beside it. Missing steps are reported as missing, never filled in.
"""
import glob, json, math, os, statistics, subprocess, sys

OUT, PROFILE = sys.argv[1], sys.argv[2]
D = os.path.join(OUT, "mnist")
lines = []


def out(s=""):
    lines.append(s)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except (OSError, ValueError):
        return []


def cmd(path):
    try:
        with open(path + ".cmd") as f:
            return "`" + f.read().strip() + "`"
    except OSError:
        return "(no command recorded)"


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}%"


def mean_sd(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return f"{100 * xs[0]:.2f}% (1 run)"
    return f"{100 * statistics.mean(xs):.2f} ± {100 * statistics.stdev(xs):.2f}% ({len(xs)} runs)"


def plot(name, script, data):
    """Runs gnuplot with `data` (name -> rows) written beside the figure; returns the markdown."""
    base = os.path.join(OUT, name)
    files = {}
    for key, rows in data.items():
        files[key] = f"{base}.{key}.dat"
        with open(files[key], "w") as f:
            for r in rows:
                f.write(" ".join(str(v) for v in r) + "\n")
    text = f"set terminal pngcairo size 720,440 noenhanced\nset output '{base}.png'\nset grid\nset key outside right\n"
    text += script.format(**files)
    try:
        subprocess.run(["gnuplot"], input=text, text=True, check=True, capture_output=True)
        return f"![{name}]({name}.png)"
    except (OSError, subprocess.CalledProcessError) as e:
        return f"(figure {name} not drawn: {getattr(e, 'stderr', e)})"


ideal = load(os.path.join(D, "lenet5.eval.json"))
ideal_acc = ideal["accuracy"] if ideal else None
out(f"# nnc reproduction report ({PROFILE} settings)")
out()
out("Every number below was measured by the step whose command is quoted beside it; the paper's")
out("figure is given for comparison. `quick` settings are deliberately small (short training on")
out("part of the data, few chips), so they show each experiment works end to end, not the")
out("paper's accuracies; `make -f Makefile.pipeline all` runs the full settings.")
out()
out("## LeNet-5 on MNIST (the model the chip experiments start from)")
out()
out(f"| | nnc | paper |\n|---|---|---|\n| test accuracy | {pct(ideal_acc)} | 99.29% |")
out(f"\nCommand: {cmd(os.path.join(D, 'lenet5.h5'))}")
out()

# ---- degradation -------------------------------------------------------------------------
out("## Degradation on RRAM chips (Monte Carlo)")
out()
out("| setting | accuracy mean ± std | min | max | chips |")
out("|---|---|---|---|---|")
deg = {}
for f in sorted(glob.glob(os.path.join(D, "degradation", "*.json"))):
    j = load(f)
    if not j:
        continue
    name = os.path.basename(f)[:-5]
    deg[name] = j
    out(f"| {name} | {pct(j.get('accuracy'))} ± {100 * j.get('accuracy_std', 0):.2f} | {pct(j.get('accuracy_min'))} "
        f"| {pct(j.get('accuracy_max'))} | {j.get('chips', '?')} |")
out()
if deg:
    out("Commands: " + cmd(os.path.join(D, "degradation", "s0.1-faults.json")) + " (the others vary the device flags).")
    on = [(s, deg[f"s{s}-faults"]["accuracy"], deg[f"s{s}-faults"].get("accuracy_std", 0))
          for s in ("0", "0.1", "0.3", "0.5") if f"s{s}-faults" in deg]
    off = [(s, deg[f"s{s}-nofaults"]["accuracy"], deg[f"s{s}-nofaults"].get("accuracy_std", 0))
           for s in ("0", "0.1", "0.3", "0.5") if f"s{s}-nofaults" in deg]
    out()
    out(plot("degradation", "set xlabel 'write variation sigma'\nset ylabel 'test accuracy'\n"
             "plot '{on}' using 1:2:3 with yerrorlines title 'stuck-at faults on', "
             "'{off}' using 1:2:3 with yerrorlines title 'no faults'\n", {"on": on, "off": off}))
    out()

# ---- fig4 ---------------------------------------------------------------------------------
out("## Random Sparse Adaptation (the paper's Figure 4)")
out()
runs = {}
for f in glob.glob(os.path.join(D, "rsa", "*.json")):
    j = load(f)
    if j:
        runs[os.path.basename(f)[:-5]] = j
out("Accuracy on the test images after adapting RSA cells (mean over chips); the ideal model: " + pct(ideal_acc))
out()
out("| sigma | mode | density | accuracy before | accuracy after | cells | SRAM bytes | R-V-W accuracy | R-V-W time (s) | RSA time (s) |")
out("|---|---|---|---|---|---|---|---|---|---|")
groups = {}
for name, j in runs.items():
    p = name[1:].split("-")
    key = (p[0], p[3] if len(p) > 3 else "additive", float(p[2]))
    groups.setdefault(key, []).append(j)
curves = {}
for key in sorted(groups):
    g = groups[key]
    avg = lambda f: statistics.mean(f(j) for j in g)
    rvw = [j["rvw"] for j in g if "rvw" in j]
    out(f"| {key[0]} | {key[1]} | {100 * key[2]:g}% | {mean_sd([j.get('accuracy_before') for j in g])} "
        f"| {mean_sd([j.get('accuracy_after') for j in g])} | {avg(lambda j: j.get('cells', 0)):.0f} "
        f"| {avg(lambda j: j.get('sram_bytes', 0)):.0f} "
        f"| {mean_sd([r.get('accuracy') for r in rvw]) if rvw else 'n/a'} "
        f"| {statistics.mean(r.get('time_s', 0) for r in rvw):.2f} | {avg(lambda j: j.get('time_s', 0)):.3f} |" if rvw else
        f"| {key[0]} | {key[1]} | {100 * key[2]:g}% | {mean_sd([j.get('accuracy_before') for j in g])} "
        f"| {mean_sd([j.get('accuracy_after') for j in g])} | {avg(lambda j: j.get('cells', 0)):.0f} "
        f"| {avg(lambda j: j.get('sram_bytes', 0)):.0f} | n/a | n/a | {avg(lambda j: j.get('time_s', 0)):.3f} |")
    if key[1] == "additive":
        curves.setdefault(key[0], []).append((100 * key[2], statistics.mean(j["accuracy_after"] for j in g)))
out()
if runs:
    out("Command (one of them): " + cmd(sorted(glob.glob(os.path.join(D, "rsa", "*.json")))[0]))
    out()
    sigmas = sorted(curves)
    data = {f"c{i}": sorted(curves[s]) for i, s in enumerate(sigmas)}  # format keys: no dots
    script = "set xlabel 'RSA density (% of weights)'\nset ylabel 'test accuracy'\n"
    script += "plot " + ", ".join(f"'{{c{i}}}' using 1:2 with linespoints title 'sigma {s}'" for i, s in enumerate(sigmas))
    if ideal_acc:
        script += f", {ideal_acc} title 'ideal model' dt 2"
    out(plot("fig4-density", script + "\n", data))
    out()
    # Accuracy against modeled time: RSA's validation points and R-V-W's end point, sigma 0.5, 5%.
    pick = [j for n, j in sorted(runs.items()) if n.startswith("s0.5-1-0.05") and "replace" not in n]
    if pick and "points" in pick[0]:
        j = pick[0]
        rsa = [(max(p["time_s"], 1e-6), p["val_accuracy"]) for p in j["points"]]
        rvw = [(j["rvw"]["time_s"], j["rvw"].get("val_accuracy", j["rvw"].get("accuracy")))] if "rvw" in j else []
        script = ("set logscale x\nset format x '%g'\nset xlabel 'modeled time (s)'\nset ylabel 'validation accuracy'\n"
                  "plot '{rsa}' using 1:2 with linespoints title 'RSA 5%', '{rvw}' using 1:2 with points pt 7 ps 2 title 'R-V-W'\n")
        out(plot("fig4-time", script, {"rsa": rsa, "rvw": rvw or [(1, 0)]}))
        if rvw:
            out(f"\nModeled time: RSA {j['time_s']:.3g} s against R-V-W {j['rvw']['time_s']:.3g} s "
                f"(speed-up {j['rvw']['time_s'] / max(j['time_s'], 1e-12):.0f}x at 6.5 us per write pulse; "
                "paper: 10-100x).")
        out()

# ---- table1 / fig7 ------------------------------------------------------------------------
out("## Small-World pruning (the paper's Table I and Figure 7)")
out()
out("| model | params (nonzero) | test accuracy | tiles | paper |")
out("|---|---|---|---|---|")
if ideal:
    out(f"| dense LeNet-5 | {ideal.get('nonzero_params')} | {pct(ideal_acc)} | "
        f"{sum(l.get('tiles', 0) for l in ideal.get('layers', []))} | 99.29% at 431K |")
for kind, paper in (("sw", "99.18% at 9.9K"), ("mag", "99.20% at 10.7K (magnitude pruning)")):
    evals = [load(f) for f in sorted(glob.glob(os.path.join(D, "sw", f"{kind}-s*.eval.json")))]
    evals = [e for e in evals if e]
    if not evals:
        continue
    params = statistics.mean(e.get("nonzero_params", 0) for e in evals)
    tiles = statistics.mean(sum(l.get("tiles", 0) for l in e.get("layers", [])) for e in evals)
    out(f"| {'Small-World' if kind == 'sw' else 'magnitude pruning'} | {params:.0f} | "
        f"{mean_sd([e.get('accuracy') for e in evals])} | {tiles:.0f} | {paper} |")
out()
out("Commands: " + cmd(os.path.join(D, "sw", "sw-s1.h5")) + " and " + cmd(os.path.join(D, "sw", "mag-s1.h5")))
out()
recs = [r for r in jsonl(os.path.join(D, "sw", "sw-s1.h5.jsonl")) if r.get("record") in ("unpruned", "theta")]
if recs:
    out("| theta | params | val accuracy | L | C | path length | clustering | small-world sigma | tiles | tile links |")
    out("|---|---|---|---|---|---|---|---|---|---|")
    for r in recs:
        out(f"| {r.get('theta', 0)} | {r.get('params')} | {pct(r.get('val_accuracy'))} | {r.get('L', 0):.1f} | "
            f"{r.get('C', 0):.2f} | {r.get('path_length', 0):.2f} | {r.get('clustering', 0):.3f} | "
            f"{r.get('small_world_sigma', 0):.2f} | {r.get('tiles')} | {r.get('tile_links')} |")
    out()
    data = {"lc": [(r.get("theta", 0), r.get("L", 0), r.get("C", 0)) for r in recs]}
    out(plot("fig7", "set xlabel 'theta'\nset ylabel 'L'\nset y2label 'C'\nset y2tics\n"
             "plot '{lc}' using 1:2 with linespoints title 'L', '{lc}' using 1:3 axes x1y2 with linespoints title 'C'\n",
             data))
    out()
    out("Paper (Figure 7, p = 0.0001): L falls with theta while C stays high.")
    out()

# ---- fig9 ---------------------------------------------------------------------------------
out("## Continuous Growth and Pruning (the paper's Figure 9)")
out()
out("| dataset | widths (template) | widths learned (end) | params seed / peak / end | test accuracy | baseline accuracy | baseline params |")
out("|---|---|---|---|---|---|---|")
widths = {}
for f in sorted(glob.glob(os.path.join(OUT, "cgap", "*-cgap.h5.json"))):
    j = load(f)
    ds = os.path.basename(f).split("-cgap")[0]
    if not j:
        continue
    base = load(os.path.join(OUT, "cgap", f"{ds}-base.eval.json")) or {}
    mine = load(os.path.join(OUT, "cgap", f"{ds}-cgap.eval.json")) or {}
    end, peak, seed = j.get("end", {}), j.get("peak", {}), j.get("seed_stats", j.get("seed", {}))
    seed_params = seed.get("params", "?") if isinstance(seed, dict) else "?"
    widths[ds] = end.get("widths", [])
    out(f"| {ds} | {j.get('template_widths')} | {end.get('widths')} | {seed_params} / {peak.get('params', '?')} / "
        f"{end.get('params', '?')} | {pct(mine.get('accuracy'))} | {pct(base.get('accuracy'))} | {base.get('params', '?')} |")
out()
if widths:
    out("Command: " + cmd(sorted(glob.glob(os.path.join(OUT, "cgap", "*-cgap.h5")))[0]))
    out()
    n = max(len(w) for w in widths.values())
    rows = [[f"layer{i}"] + [w[i] if i < len(w) else 0 for w in widths.values()] for i in range(n)]
    cols = " , ".join(f"'{{w}}' using {k + 2}:xtic(1) title '{ds}'" for k, ds in enumerate(widths))
    out(plot("fig9", "set style data histograms\nset style fill solid 0.8\nset ylabel 'width (units)'\n"
             f"plot {cols}\n", {"w": rows}))
    out()
    out("Paper: the learned widths depend on the dataset (MNIST < Fashion-MNIST < CIFAR-10).")
    out()

# ---- combined -----------------------------------------------------------------------------
out("## Combined: a Small-World LeNet-5 on a faulty chip, repaired by RSA (not in the papers)")
out()
out("| model | tiles | RSA cells (5%) | SRAM bytes | chip accuracy before RSA | after RSA |")
out("|---|---|---|---|---|---|")
for m in ("dense", "sw"):
    j = load(os.path.join(D, "combined", f"{m}-rsa.json"))
    info = load(os.path.join(D, "combined", f"{m}-chip.info.json")) or {}
    if not j:
        continue
    tiles = sum(l.get("tiles", 0) for l in info.get("layers", []) if isinstance(l, dict))
    out(f"| {'dense' if m == 'dense' else 'Small-World'} | {tiles} | {j.get('cells')} | {j.get('sram_bytes')} | "
        f"{pct(j.get('accuracy_before'))} | {pct(j.get('accuracy_after'))} |")
out()
out("Command: " + cmd(os.path.join(D, "combined", "sw-rsa.json")))
out()

# ---- cifar --------------------------------------------------------------------------------
out("## cnn9 on CIFAR-10")
out()
c = load(os.path.join(OUT, "cifar10", "cnn9.eval.json"))
if c:
    out(f"Test accuracy {pct(c.get('accuracy'))} ({cmd(os.path.join(OUT, 'cifar10', 'cnn9.h5'))}); "
        "the paper's VGG-16 reaches 92.93% after full training.")
    for s in ("0.1", "0.5"):
        j = load(os.path.join(OUT, "cifar10", f"chips-s{s}.json"))
        if j:
            out(f"\nOn chips at sigma {s} with faults: {pct(j.get('accuracy'))} ± {100 * j.get('accuracy_std', 0):.2f} "
                f"over {j.get('chips')} chips.")
else:
    out("Skipped: CIFAR-10 was not found.")
out()

with open(os.path.join(OUT, "report.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
