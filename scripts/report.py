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
DEG_ROWS = [("s0-nofaults", "sigma 0, no faults"), ("s0-faults", "sigma 0, faults"),
            ("s0.1-nofaults", "sigma 0.1, no faults"), ("s0.1-faults", "sigma 0.1, faults (defaults: 32 levels, rates x 1)"),
            ("s0.3-nofaults", "sigma 0.3, no faults"), ("s0.3-faults", "sigma 0.3, faults"),
            ("s0.5-nofaults", "sigma 0.5, no faults"), ("s0.5-faults", "sigma 0.5, faults"),
            ("scale0.1", "sigma 0.1, fault rates x 0.1"), ("scale0.25", "sigma 0.1, fault rates x 0.25"),
            ("scale0.5", "sigma 0.1, fault rates x 0.5"), ("swapped", "sigma 0.1, rates swapped (9.04% stuck at LRS)"),
            ("levels8", "sigma 0.1, faults, 8 levels"), ("levels16", "sigma 0.1, faults, 16 levels"),
            ("levels64", "sigma 0.1, faults, 64 levels"),
            ("rvw-s0.1", "sigma 0.1, faults, after R-V-W"), ("rvw-s0.5", "sigma 0.5, faults, after R-V-W")]


def acc_cell(j):
    if not j:
        return "n/a"
    return f"{100 * j['accuracy']:.2f} ± {100 * j.get('accuracy_std', 0):.2f}"


def degradation(d, title, figure):
    """The Monte Carlo table of d/degradation/<w-scale>/<run>.json, one column per w-scale."""
    scales = sorted(os.path.basename(x) for x in glob.glob(os.path.join(d, "degradation", "*")) if os.path.isdir(x))
    if not scales:
        return
    deg = {(w, r): load(os.path.join(d, "degradation", w, r + ".json")) for w in scales for r, _ in DEG_ROWS}
    any_run = next((j for j in deg.values() if j), None)
    if not any_run:
        return
    out(f"## {title}")
    out()
    out(f"Accuracy in % (mean ± std over {any_run.get('chips')} chips, seeds 1..{any_run.get('chips')}, "
        f"on {any_run.get('samples')} test images), one column per weight scale (`--w-scale`).")
    out()
    out("| setting | " + " | ".join(f"--w-scale {w}" for w in scales) + " |")
    out("|---|" + "---|" * len(scales))
    for r, label in DEG_ROWS:
        if any(deg[(w, r)] for w in scales):
            out(f"| {label} | " + " | ".join(acc_cell(deg[(w, r)]) for w in scales) + " |")
    out()
    out("R-V-W (max 20 pulses, every weight verified; time = pulses x (t_write 6.5 us + t_read 100 ns)), "
        "and the wall time to simulate one chip:")
    out()
    out("| run | w-scale | accuracy | write pulses per chip | modeled programming time per chip | simulation s per chip |")
    out("|---|---|---|---|---|---|")
    for w in scales:
        for r in ("s0.1-faults", "rvw-s0.1", "s0.5-faults", "rvw-s0.5"):
            j = deg[(w, r)]
            if j:
                out(f"| {r} | {w} | {acc_cell(j)} | {j.get('pulses_mean', 0):,.0f} | {j.get('time_s_mean', 0):.3g} s "
                    f"| {j.get('seconds_per_chip', 0):.2f} |")
    out()
    out("Command (the others vary the device flags): " + cmd(os.path.join(d, "degradation", scales[0], "s0.1-faults.json")))
    out()
    series = {}
    for k, w in enumerate(scales):
        for faults in ("faults", "nofaults"):
            series[f"{faults}{k}"] = [(s, deg[(w, f"s{s}-{faults}")]["accuracy"], deg[(w, f"s{s}-{faults}")].get("accuracy_std", 0))
                                      for s in ("0", "0.1", "0.3", "0.5") if deg[(w, f"s{s}-{faults}")]]
    script = "set xlabel 'write variation sigma'\nset ylabel 'test accuracy'\nplot " + ", ".join(
        f"'{{{key}}}' using 1:2:3 with yerrorlines title '{'faults' if key.startswith('faults') else 'no faults'}, "
        f"w-scale {scales[int(key[-1])]}'" for key in series if series[key]) + "\n"
    if any(series.values()):
        out(plot(figure, script, {k: v or [(0, 0, 0)] for k, v in series.items()}))
        out()


degradation(D, "Degradation on RRAM chips: LeNet-5 on MNIST (Monte Carlo)", "degradation")


# ---- fig4 ---------------------------------------------------------------------------------
def rsa_runs(d):
    """rsa/s<sigma>-<chip>-<density>[-<variant>].json -> {(sigma, variant, density): [json]}, and per-file."""
    groups, files = {}, {}
    for f in sorted(glob.glob(os.path.join(d, "rsa", "*.json"))):
        j = load(f)
        if not j:
            continue
        p = os.path.basename(f)[1:-5].split("-")
        key = (p[0], p[3] if len(p) > 3 else "additive", float(p[2]))
        groups.setdefault(key, []).append(j)
        files[os.path.basename(f)[:-5]] = j
    return groups, files


def rsa_tables(d, ideal_acc):
    groups, files = rsa_runs(d)
    if not groups:
        return groups, files
    out("Test accuracy in % (mean ± std over chips) after adapting RSA cells; the ideal model: " + pct(ideal_acc) + ".")
    out("Variant: additive (default), replace (--mode replace), random (--selection random), "
        "bnr (batch-norm statistics recalibrated on the chip).")
    out()
    out("| sigma | variant | density | chips | before | after | ideal - after (points) | cells (% of placed weights) | SRAM bytes | modeled time (RSA + BN recalibration) |")
    out("|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(groups):
        g = groups[key]
        after = statistics.mean(j["accuracy_after"] for j in g)
        gap = f"{100 * (ideal_acc - after):+.2f}" if ideal_acc else "n/a"
        avg = lambda k: statistics.mean(j.get(k, 0) for j in g)
        out(f"| {key[0]} | {key[1]} | {100 * key[2]:g}% | {len(g)} | {mean_sd([j.get('accuracy_before') for j in g])} "
            f"| {mean_sd([j.get('accuracy_after') for j in g])} | {gap} | {avg('cells'):.0f} ({avg('cells_percent_of_placed') or avg('cells_percent'):.2f}%) "
            f"| {avg('sram_bytes'):.0f} | {statistics.mean(j.get('total_time_s', j.get('time_s', 0)) for j in g):.3g} s |")
    out()
    rvw = [(n, j) for n, j in sorted(files.items()) if "rvw" in j]
    if rvw:
        out("RSA (5%) against R-V-W on the same chip (R-V-W time = pulses x (t_write + t_read 100 ns); "
            "RSA time = steps x (crossbar reads x t_mvm 100 ns + cells x t_sram 1 ns)):")
        out()
        out("| chip | RSA acc | R-V-W acc | RSA time | R-V-W pulses | R-V-W time @6.5 us | speed-up @6.5 us | speed-up @4.5 ms | RSA time to R-V-W's val acc |")
        out("|---|---|---|---|---|---|---|---|---|")
        for n, j in rvw:
            v = j["rvw"]
            t65, t45 = v["pulses"] * (6.5e-6 + 1e-7), v["pulses"] * (4.5e-3 + 1e-7)
            reach = v.get("rsa_time_to_rvw_val_accuracy_s")
            out(f"| {n} | {pct(j['accuracy_after'])} | {pct(v['accuracy'])} | {j['time_s']:.3g} s | {v['pulses']:,.0f} "
                f"| {t65:.3g} s | {t65 / j['time_s']:.0f}x | {t45 / j['time_s']:.3g}x | "
                f"{'not reached' if reach is None else f'{reach:.3g} s'} |")
        out()
    out("Command (one of them): " + cmd(os.path.join(d, "rsa", sorted(files)[0] + ".json")))
    out()
    return groups, files


out("## Random Sparse Adaptation: LeNet-5 on MNIST (the paper's Figure 4)")
out()
groups, files = rsa_tables(D, ideal_acc)
if groups:
    curves = {}
    for key, g in groups.items():
        if key[1] == "additive":
            curves.setdefault(key[0], []).append((100 * key[2], statistics.mean(j["accuracy_after"] for j in g)))
    sigmas = sorted(curves)
    data = {f"c{i}": sorted(curves[s]) for i, s in enumerate(sigmas)}  # format keys: no dots
    script = "set xlabel 'RSA density (% of weights)'\nset ylabel 'test accuracy'\n"
    script += "plot " + ", ".join(f"'{{c{i}}}' using 1:2 with linespoints title 'sigma {s}'" for i, s in enumerate(sigmas))
    if ideal_acc:
        script += f", {ideal_acc} title 'ideal model' dt 2"
    out(plot("fig4-density", script + "\n", data))
    out()
    # Accuracy against modeled time: RSA's validation points and R-V-W's end point, sigma 0.5, 5%.
    j = files.get("s0.5-1-0.05")
    if j and "points" in j:
        rsa = [(max(p["time_s"], 1e-6), p["val_accuracy"]) for p in j["points"]]
        rvw = [(j["rvw"]["time_s"], j["rvw"].get("val_accuracy", j["rvw"].get("accuracy")))] if "rvw" in j else []
        script = ("set logscale x\nset format x '%g'\nset xlabel 'modeled time (s)'\nset ylabel 'validation accuracy'\n"
                  "plot '{rsa}' using 1:2 with linespoints title 'RSA 5%', '{rvw}' using 1:2 with points pt 7 ps 2 title 'R-V-W'\n")
        out(plot("fig4-time", script, {"rsa": rsa, "rvw": rvw or [(1, 0)]}))
        out()
        out("Paper: under 5% RSA cells recover the accuracy, 10-100x faster than R-V-W.")
        out()
goal = {}
for f in sorted(glob.glob(os.path.join(D, "rsa-goal", "rsa-*-c*.json"))):
    scale, chip = os.path.basename(f)[len("rsa-"):-len(".json")].split("-c")
    j = load(f)
    if j:
        goal.setdefault(scale, []).append((int(chip), j))
if goal:
    out("The goal (within 0.3 points of the ideal " + pct(ideal_acc) + " at 5% or less): RSA 5% adapted longer on")
    out("sigma-0.1 chips (default faults) programmed with the p99 and the max weight scale.")
    out()
    out("| w-scale | chip | before | after RSA 5% | ideal - after (points) | steps | modeled time |")
    out("|---|---|---|---|---|---|---|")
    for scale, rows in sorted(goal.items(), reverse=True):
        for chip, j in sorted(rows):
            gap = "n/a" if ideal_acc is None else f"{100 * (ideal_acc - j['accuracy_after']):.2f}"
            out(f"| {scale} | {chip} | {pct(j['accuracy_before'])} | {pct(j['accuracy_after'])} | {gap} | {j['steps']} | {j['time_s']:.3g} s |")
        after = [j["accuracy_after"] for _, j in rows]
        gap = "n/a" if ideal_acc is None else f"{100 * (ideal_acc - statistics.mean(after)):.2f}"
        out(f"| {scale} | mean | {mean_sd([j['accuracy_before'] for _, j in rows])} | {mean_sd(after)} | {gap} | | |")
    out()
    out("Command: " + cmd(os.path.join(D, "rsa-goal", "rsa-p99-c1.json")))
    out()

# ---- table1 / fig7 ------------------------------------------------------------------------
out("## Small-World pruning (the paper's Table I and Figure 7)")
out()
out("Test accuracy in % (mean ± std over training seeds), parameters = nonzero weights + live biases,")
out("crossbar tiles of 128 x 128 holding at least one nonzero weight.")
out()
out("| model | seeds | params (nonzero, mean) | test accuracy | tiles | paper |")
out("|---|---|---|---|---|---|")
for kind, name, paper in (("dense", "dense LeNet-5", "99.29% at 431K"), ("sw", "Small-World", "99.18% at 9.9K"),
                          ("mag", "magnitude pruning", "99.20% at 10.7K")):
    evals = [load(f) for f in sorted(glob.glob(os.path.join(D, "sw", f"{kind}-s*.eval.json")))]
    evals = [e for e in evals if e]
    if not evals:
        continue
    params = statistics.mean(e.get("nonzero_params", 0) for e in evals)
    tiles = statistics.mean(sum(l.get("tiles", 0) for l in e.get("layers", [])) for e in evals)
    out(f"| {name} | {len(evals)} | {params:,.0f} | {mean_sd([e.get('accuracy') for e in evals])} | {tiles:.0f} | {paper} |")
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
    prow = [(0.0001, r) for r in recs if r.get("theta") == 0.5]
    for f in glob.glob(os.path.join(D, "sw", "p*.h5.jsonl")):
        prow += [(float(os.path.basename(f)[1:-9]), r) for r in jsonl(f) if r.get("record") == "theta"]
    if len(prow) > 1:
        out("Rewiring probability p (Small-World seed 1, pruned at theta 0.5, fine-tuned): locality against tiles.")
        out()
        out("| p | params | test accuracy | tiles | tile links | clustering | path length | small-world sigma |")
        out("|---|---|---|---|---|---|---|---|")
        for p, r in sorted(prow, key=lambda x: x[0]):
            out(f"| {p:g} | {r.get('params')} | {pct(r.get('test_accuracy'))} | {r.get('tiles')} | {r.get('tile_links')} | "
                f"{r.get('clustering', 0):.3f} | {r.get('path_length', 0):.2f} | {r.get('small_world_sigma', 0):.2f} |")
        out()
        out("Command (p = 0.01): " + cmd(os.path.join(D, "sw", "p0.01.h5")))
        out()

# ---- fig9 ---------------------------------------------------------------------------------
def cgap_runs():
    """(dataset, arch, seed) -> (CGaP record, baseline eval) for every CGaP run under OUT/cgap."""
    runs = {}
    for f in sorted(glob.glob(os.path.join(OUT, "cgap", "*.h5.json"))):
        name = os.path.basename(f)[: -len(".h5.json")]
        if "-cgap" not in name:
            continue
        parts = name.split("-")
        seed = int(parts[-1][1:]) if parts[-1][:1] == "s" and parts[-1][1:].isdigit() else 1
        arch = "cnn9" if "-cnn9-" in name else "lenet5"
        ds = name.split("-cnn9")[0].split("-cgap")[0]
        j = load(f)
        if j:
            runs[(ds, arch, seed)] = (j, load(os.path.join(OUT, "cgap", name.replace("-cgap", "-base") + ".eval.json")))
    return runs


out("## Continuous Growth and Pruning (the paper's Figure 9)")
out()
out("Widths are the template's conv and dense layers in order (LeNet-5: conv1, conv2, fc1); the output")
out("layer keeps 10. Accuracy: validation at seed and peak, test at the end; FLOPs per sample; the")
out("baseline is the full-width template trained with the same seed, epochs, data and learning rate.")
out()
out("| dataset | template | stage | widths | val / test accuracy | params | FLOPs | stopped by |")
out("|---|---|---|---|---|---|---|---|")
runs = cgap_runs()
widths = {}
for (ds, arch, seed), (j, base) in runs.items():
    if seed != 1:
        continue
    st, peak, end = j.get("seed", {}), j.get("peak", {}), j.get("end", {})
    if arch == "lenet5":
        widths[ds] = end.get("widths", [])
    out(f"| {ds} | {arch} | seed | {st.get('widths')} | {pct(st.get('val_accuracy'))} | {st.get('params', 0):,} | {st.get('flops', 0):,} | |")
    out(f"| {ds} | {arch} | peak (epoch {peak.get('epoch', 0):.2f}) | {peak.get('widths')} | {pct(peak.get('val_accuracy'))} "
        f"| {peak.get('params', 0):,} | {peak.get('flops', 0):,} | growth: {j.get('growth_stop')} |")
    out(f"| {ds} | {arch} | end (epoch {end.get('epoch', 0):.2f}) | {end.get('widths')} | {pct(end.get('val_accuracy'))} / {pct(end.get('test_accuracy'))} "
        f"| {end.get('params', 0):,} ({100 * end.get('params', 0) / max(j.get('template_params', 1), 1):.1f}%) "
        f"| {end.get('flops', 0):,} ({100 * end.get('flops', 0) / max(j.get('template_flops', 1), 1):.1f}%) | pruning: {j.get('prune_stop')} |")
    if base:
        gap = 100 * (base.get("accuracy", 0) - end.get("test_accuracy", 0))
        out(f"| {ds} | {arch} | full-width baseline | template | test {pct(base.get('accuracy'))} (CGaP {gap:+.2f} points below) "
            f"| {base.get('nonzero_params', base.get('params', 0)):,} | {j.get('template_flops', 0):,} | |")
out()
if runs:
    out("Command: " + cmd(sorted(glob.glob(os.path.join(OUT, "cgap", "*-cgap.h5")))[0]))
    out()
    out("Every seed (goal: within 0.5 points of the baseline with at least 50% fewer parameters):")
    out()
    out("| dataset | template | seed | end widths | CGaP test | baseline test | points below | params | FLOPs | goal |")
    out("|---|---|---|---|---|---|---|---|---|---|")
    groups = {}
    for (ds, arch, seed), run in sorted(runs.items()):
        groups.setdefault((ds, arch), []).append((seed, run))
    for (ds, arch), group in groups.items():
        ends = [(j.get("end", {}), j, (base or {}).get("accuracy")) for _, (j, base) in group]
        for (seed, _), (end, j, ref) in zip(group, ends):
            acc = end.get("test_accuracy")
            fp = end.get("params", 0) / max(j.get("template_params", 1), 1)
            ff = end.get("flops", 0) / max(j.get("template_flops", 1), 1)
            gap = None if acc is None or ref is None else 100 * (ref - acc)
            goal = "n/a" if gap is None else ("met" if gap <= 0.5 and fp <= 0.5 else "not met")
            out(f"| {ds} | {arch} | {seed} | {end.get('widths')} | {pct(acc)} | {pct(ref)} | "
                f"{'n/a' if gap is None else f'{gap:+.2f}'} | {100 * fp:.1f}% | {100 * ff:.1f}% | {goal} |")
        if len(group) > 1:
            accs = [end.get("test_accuracy") for end, _, _ in ends]
            refs = [ref for _, _, ref in ends]
            gaps = [100 * (r - a) for a, r in zip(accs, refs) if a is not None and r is not None]
            fps = [end.get("params", 0) / max(j.get("template_params", 1), 1) for end, j, _ in ends]
            out(f"| {ds} | {arch} | mean | | {mean_sd(accs)} | {mean_sd(refs)} | "
                f"{f'{statistics.mean(gaps):+.2f}' if gaps else 'n/a'} | {100 * statistics.mean(fps):.1f}% | | |")
    out()
if widths:
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
C = os.path.join(OUT, "cifar10")
c = load(os.path.join(C, "cnn9.eval.json"))
out("## cnn9 on CIFAR-10")
out()
if c:
    out(f"Test accuracy {pct(c.get('accuracy'))} ({cmd(os.path.join(C, 'cnn9.h5'))}).")
    out()
    degradation(C, "Degradation on RRAM chips: cnn9 on CIFAR-10 (Monte Carlo)", "degradation-cifar10")
    out("## Random Sparse Adaptation: cnn9 on CIFAR-10")
    out()
    out("Paper: on this 9-layer CNN, 5% RSA cells raise the chip's accuracy by more than 10 points.")
    out()
    rsa_tables(C, c.get("accuracy"))
else:
    out("Skipped: CIFAR-10 was not found.")
    out()

with open(os.path.join(OUT, "report.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
