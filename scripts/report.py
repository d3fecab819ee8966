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


def plot(name, title, script, data, key="bottom left"):
    """Runs gnuplot with `data` (name -> rows) written beside the figure; returns the markdown.
    Every figure has a title and its legend inside the plot (at `key`), boxed so lines behind it
    stay readable."""
    base = os.path.join(OUT, name)
    files = {}
    for k, rows in data.items():
        files[k] = f"{base}.{k}.dat"
        with open(files[k], "w") as f:
            for r in rows:
                f.write(" ".join(str(v) for v in r) + "\n")
    text = (f"set terminal pngcairo size 720,440 noenhanced\nset output '{base}.png'\nset grid\n"
            f"set title '{title}'\nset key inside {key} opaque box samplen 2\n")
    text += script.format(**files)
    try:
        subprocess.run(["gnuplot"], input=text, text=True, check=True, capture_output=True)
        return f"![{name}]({name}.png)"
    except (OSError, subprocess.CalledProcessError) as e:
        return f"(figure {name} not drawn: {getattr(e, 'stderr', e)})"


PERCENT_Y = "set format y '%g%%'\n"


def yrange(values, below=0.08, above=0.08, top=None, axis="y", least=0.5, bottom=None):
    """A y range holding every value (error bar ends included) with margins (fractions of the
    span; a wide one leaves room for the legend), so nothing is cut at the plot's edge; `top`
    and `bottom` cap the margins (100% and 0% for accuracies)."""
    return f"set {axis}range [{yrange_of(values, below, above, top, least, bottom)[0]:g}:" \
           f"{yrange_of(values, below, above, top, least, bottom)[1]:g}]\n"


def yrange_of(values, below=0.08, above=0.08, top=None, least=0.5, bottom=None):
    lo, hi = min(values), max(values)
    span = max(hi - lo, least)
    hi = hi + above * span if top is None else min(hi + above * span, top)
    lo = lo - below * span if bottom is None else max(lo - below * span, bottom)
    return lo, hi


def free_corner(points, xr, yr, entries, width=0.45):
    """The first corner of the plot whose legend box (`entries` lines, `width` of the plot) holds
    none of `points` (x, y), given the axis ranges; None if every corner holds some."""
    h = 0.06 * entries + 0.04
    for corner in ("bottom left", "bottom right", "top right", "top left"):
        v, u = corner.split()
        box_x = (0, width) if u == "left" else (1 - width, 1)
        box_y = (0, h) if v == "bottom" else (1 - h, 1)
        inside = any(box_x[0] <= (x - xr[0]) / (xr[1] - xr[0]) <= box_x[1] and
                     box_y[0] <= (y - yr[0]) / (yr[1] - yr[0]) <= box_y[1] for x, y in points)
        if not inside:
            return corner
    return None


def xrange_of(xs, pad=0.06):
    lo, hi = min(xs), max(xs)
    span = max(hi - lo, 1e-9)
    return f"set xrange [{lo - pad * span:g}:{hi + pad * span:g}]\n"


ideal = load(os.path.join(D, "lenet5.eval.json"))
ideal_acc = ideal["accuracy"] if ideal else None
out(f"# nnc reproduction report ({PROFILE} settings)")
out()
out("Every number below was measured by the step whose command is quoted beside it; the paper's")
out("figure is given for comparison. `quick` settings are deliberately small (short training on")
out("part of the data, few chips), so they show each experiment works end to end, not the")
out("paper's accuracies; `make -f Makefile.pipeline all` runs the full settings.")
out()
CLAIMS_AT = len(lines)  # the claim table goes here, once every step has been read
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
            ("rvw-s0.1", "sigma 0.1, faults, after R-V-W"), ("rvw-s0.5", "sigma 0.5, faults, after R-V-W"),
            ("rvw-nofaults-s0.1", "sigma 0.1, no faults, after R-V-W"),
            ("rvw-nofaults-s0.5", "sigma 0.5, no faults, after R-V-W")]


def acc_cell(j):
    if not j:
        return "n/a"
    return f"{100 * j['accuracy']:.2f} ± {100 * j.get('accuracy_std', 0):.2f}"


def degradation(d, title, figure, model):
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
        for r in ("s0.1-faults", "rvw-s0.1", "s0.5-faults", "rvw-s0.5", "s0.1-nofaults", "rvw-nofaults-s0.1",
                  "s0.5-nofaults", "rvw-nofaults-s0.5"):
            j = deg[(w, r)]
            if j:
                out(f"| {r} | {w} | {acc_cell(j)} | {j.get('pulses_mean', 0):,.0f} | {j.get('time_s_mean', 0):.3g} s "
                    f"| {j.get('seconds_per_chip', 0):.2f} |")
    out()
    out("Command (the others vary the device flags): " + cmd(os.path.join(d, "degradation", scales[0], "s0.1-faults.json")))
    out()
    rvw_note(deg, scales)
    # Accuracy in %, each series shifted a little along x so that error bars do not hide each other.
    series, shift, n = {}, 0, 2 * len(scales)
    for k, w in enumerate(scales):
        for faults in ("faults", "nofaults"):
            dx = 0.006 * (shift - (n - 1) / 2)
            shift += 1
            series[f"{faults}{k}"] = [(float(s) + dx, 100 * deg[(w, f"s{s}-{faults}")]["accuracy"],
                                       100 * deg[(w, f"s{s}-{faults}")].get("accuracy_std", 0))
                                      for s in ("0", "0.1", "0.3", "0.5") if deg[(w, f"s{s}-{faults}")]]
    series = {k: v for k, v in series.items() if v}  # a missing run is not drawn (no made-up points)
    if series:
        ends = [y - e for v in series.values() for _, y, e in v] + [y + e for v in series.values() for _, y, e in v]
        # Every point and error bar end, and the lines between points, where a legend must not sit;
        # the y range grows (within 0% and 101%) until a corner is free for it.
        pts = [(x, y + d) for v in series.values() for x, y, e in v for d in (-e, 0, e)]
        pts += [((x0 + x1) / 2, (y0 + y1) / 2) for v in series.values() for (x0, y0, _), (x1, y1, _) in zip(v, v[1:])]
        for margin in (0.1, 0.25, 0.4):
            yr = yrange_of(ends, below=3 * margin, above=margin, top=101, bottom=0)
            corner = free_corner(pts, (-0.04, 0.54), yr, len(series))
            if corner:
                break
        corner = corner or "bottom left"
        script = ("set xlabel 'write variation sigma'\nset ylabel 'test accuracy'\n" + PERCENT_Y +
                  "set xrange [-0.04:0.54]\nset xtics ('0' 0, '0.1' 0.1, '0.3' 0.3, '0.5' 0.5)\n" +
                  f"set yrange [{yr[0]:g}:{yr[1]:g}]\n" +
                  "plot " + ", ".join(
                      f"'{{{key}}}' using 1:2:3 with yerrorlines title '{'faults' if key.startswith('faults') else 'no faults'}, "
                      f"w-scale {scales[int(key[-1])]}'" for key in series) + "\n")
        out(plot(figure, f"{model}: accuracy on RRAM chips (mean and std over chips)", script, series, key=corner))
        out()
        out("Error bars: one standard deviation over the chips; series are shifted slightly along x so "
            "that they do not hide each other.")
        out()


def rvw_note(deg, scales):
    """Explains R-V-W against one-shot programming at sigma 0.5, where R-V-W can come out lower."""
    for w in scales:
        one, rvw = deg[(w, "s0.5-faults")], deg[(w, "rvw-s0.5")]
        if not (one and rvw):
            continue
        d = 100 * (rvw["accuracy"] - one["accuracy"])
        sd = 100 * max(one.get("accuracy_std", 0), rvw.get("accuracy_std", 0))
        text = (f"**R-V-W at sigma 0.5 (w-scale {w}):** {d:+.2f} points against one-shot programming, "
                f"while the chip-to-chip standard deviation is {sd:.2f} points. ")
        text += ("R-V-W is below one-shot here. " if d < 0 else "")
        text += ("With the default fault rates (1.75% of cells stuck at LRS, 9.04% at HRS) the stuck cells "
                 "dominate the error: R-V-W cannot move a stuck cell, so it only tightens the variation of the "
                 "others, and " + ("that gain is within the chip-to-chip noise (each chip's faults differ). "
                                   if abs(d) <= sd else f"that gain is {d:+.2f} points. "))
        nf, rnf = deg[(w, "s0.5-nofaults")], deg[(w, "rvw-nofaults-s0.5")]
        if nf and rnf:
            gain = 100 * (rnf["accuracy"] - nf["accuracy"])
            text += (f"With faults off, R-V-W {'does help' if gain > 0 else 'does not help either'}: "
                     f"{100 * nf['accuracy']:.2f}% one-shot against {100 * rnf['accuracy']:.2f}% after R-V-W at "
                     f"sigma 0.5 ({gain:+.2f} points; rows \"no faults, after R-V-W\").")
        else:
            text += ("With faults off R-V-W is expected to help; the run that shows it "
                     "(degradation/<w-scale>/rvw-nofaults-s0.5) is missing here.")
        out(text)
        out()


degradation(D, "Degradation on RRAM chips: LeNet-5 on MNIST (Monte Carlo)", "degradation", "LeNet-5 on MNIST")


# ---- drift --------------------------------------------------------------------------------
DRIFT_KINDS = (("rram", "RRAM nu 0.005 ± 0.002"), ("pcm", "PCM-like nu 0.05 ± 0.01"))
DRIFT_FAULTS = (("faults", "faults"), ("nofaults", "no faults"))


def time_label(t):
    for unit, s in (("year", 31536000), ("days", 86400), ("h", 3600)):
        if t >= s and t % s == 0:
            n = t // s
            return f"{n} {unit}" if unit != "days" or n != 1 else "1 day"
    return f"{t} s"


def drift(d, model, figure):
    """Accuracy against time after programming: d/drift/<kind>-<faults>-t<T>[-comp].json."""
    runs = {}
    for f in glob.glob(os.path.join(d, "drift", "*.json")):
        parts = os.path.basename(f)[:-5].split("-")
        j = load(f)
        if j and len(parts) >= 3 and parts[2].startswith("t"):
            runs[(parts[0], parts[1], int(float(parts[2][1:])), len(parts) > 3)] = j
    if not runs:
        return
    times = sorted({k[2] for k in runs})
    out(f"## Drift: {model} against time after programming (issue 20)")
    out()
    out(f"{model} chips at sigma 0.1 read t seconds after programming, G(t) = G(t0) (t/t0)^-nu with nu")
    out("drawn per cell (t0 = 1 s; stuck cells do not drift), without and with global drift")
    out("compensation (one digital scale per layer from an all-ones reference read). Test accuracy,")
    out("mean ± std over chips.")
    out()
    cols = [(k, kl, f, fl, c) for k, kl in DRIFT_KINDS for f, fl in DRIFT_FAULTS for c in (False, True)
            if any(key[:2] == (k, f) for key in runs)]
    out("| t | " + " | ".join(f"{kl}, {fl}{', comp.' if c else ''}" for _, kl, _, fl, c in cols) + " |")
    out("|---|" + "---|" * len(cols))
    for t in times:
        cells = []
        for k, _, f, _, c in cols:
            j = runs.get((k, f, t, c)) or (runs.get((k, f, t, False)) if t == 1 else None)
            cells.append(acc_cell(j) if j else "n/a")
        out(f"| {time_label(t)} | " + " | ".join(cells) + " |")
    out()
    first = sorted(runs)[0]
    out("Command (the others vary --time, the drift flags and the faults): " +
        cmd(os.path.join(d, "drift", f"{first[0]}-{first[1]}-t{first[2]}{'-comp' if first[3] else ''}.json")))
    out()
    series = {}
    for k, kl, f, fl, c in cols:
        rows = []
        for t in times:
            j = runs.get((k, f, t, c)) or (runs.get((k, f, t, False)) if t == 1 else None)
            if j:
                rows.append((t, 100 * j["accuracy"], 100 * j.get("accuracy_std", 0)))
        if rows:
            series[f"{k}_{f}_{'comp' if c else 'raw'}"] = (rows, f"{k.upper()}, {fl}{', comp.' if c else ''}")
    if series:
        ys = [y - e for rows, _ in series.values() for _, y, e in rows] + [y + e for rows, _ in series.values() for _, y, e in rows]
        lo, hi = yrange_of(ys, below=0.9, above=0.05, top=101, bottom=0)
        tics = ", ".join(f"'{time_label(t)}' {t}" for t in times)
        script = ("set xlabel 'time after programming (log scale)'\nset ylabel 'test accuracy'\n" + PERCENT_Y +
                  f"set logscale x\nset xrange [0.5:{2 * times[-1]}]\nset xtics ({tics})\nset yrange [{lo:g}:{hi:g}]\n" +
                  "plot " + ", ".join(
                      f"'{{{key}}}' using 1:2:3 with yerrorlines lw 2 dt {2 if key.endswith('comp') else 1} "
                      f"title '{title}'" for key, (_, title) in series.items()) + "\n")
        out(plot(figure, f"{model} on RRAM chips: accuracy against time after programming", script,
                 {k: rows for k, (rows, _) in series.items()}, key="bottom left maxrows 4"))
        out()
        out("RRAM: nu 0.005 ± 0.002 (nnc's default); PCM: the PCM-like setting nu 0.05 ± 0.01. Dashed: with "
            "global drift compensation. Error bars: one standard deviation over the chips.")
        out()


drift(D, "LeNet-5", "drift")


# ---- fig4 ---------------------------------------------------------------------------------
def rsa_runs(d):
    """rsa/s<sigma>-<chip>-<density>[-<variant>].json -> {(sigma, variant, density): [json]}, and per-file."""
    groups, files = {}, {}
    for f in sorted(glob.glob(os.path.join(d, "rsa", "*.json"))):
        j = load(f)
        if not j:
            continue
        p = os.path.basename(f)[1:-5].split("-")
        key = (p[0], "-".join(p[3:]) if len(p) > 3 else "additive", float(p[2]))
        groups.setdefault(key, []).append(j)
        files[os.path.basename(f)[:-5]] = j
    return groups, files


def rsa_tables(d, ideal_acc):
    groups, files = rsa_runs(d)
    if not groups:
        return groups, files
    out("Test accuracy in % (mean ± std over chips) after adapting RSA cells; the ideal model: " + pct(ideal_acc) + ".")
    out("Variant: additive (default), replace (--mode replace), random (--selection random), "
        "bnr (batch-norm statistics recalibrated on the chip), e5 (5 epochs instead of 1), "
        "cos (lr 0.03 falling as a cosine instead of 0.01 constant).")
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
        at_once = []
        for n, j in rvw:
            v = j["rvw"]
            t65, t45 = v["pulses"] * (6.5e-6 + 1e-7), v["pulses"] * (4.5e-3 + 1e-7)
            reach = v.get("rsa_time_to_rvw_val_accuracy_s")
            if reach == 0:
                at_once.append(n)
            out(f"| {n} | {pct(j['accuracy_after'])} | {pct(v['accuracy'])} | {j['time_s']:.3g} s | {v['pulses']:,.0f} "
                f"| {t65:.3g} s | {t65 / j['time_s']:.0f}x | {t45 / j['time_s']:.3g}x | "
                f"{'not reached' if reach is None else ('0 s (before RSA)' if reach == 0 else f'{reach:.3g} s')} |")
        out()
        out("Accuracies here are test accuracies; \"RSA time to R-V-W's val acc\" is the modeled RSA time until "
            "RSA's validation accuracy first reaches the validation accuracy of the R-V-W chip.")
        if at_once:
            out(f"It is 0 s for {', '.join(at_once)}: there the chip before any RSA step already matches R-V-W's "
                "validation accuracy, because R-V-W gained nothing over one-shot programming. With stuck cells "
                "dominating the error, R-V-W's gain on the other cells is within the chip-to-chip noise "
                "(see the degradation section, where R-V-W with faults off does help); RSA, whose cells sit beside "
                "the stuck ones, is what recovers the accuracy.")
        out()
    epochs_table(files, ideal_acc)
    out("Command (one of them): " + cmd(os.path.join(d, "rsa", sorted(files)[0] + ".json")))
    out()
    return groups, files


def epochs_table(files, ideal_acc):
    """The runs that recorded test accuracy after some epochs (--test-epochs): one row each."""
    runs = [(n, j) for n, j in sorted(files.items()) if j.get("test_after_epoch")]
    if not runs:
        return
    epochs = sorted({e["epoch"] for _, j in runs for e in j["test_after_epoch"]})
    out("Test accuracy after each recorded epoch (the runs of more than one epoch; bnr: after batch-norm "
        "recalibration, whose accuracy is the \"after BN\" column):")
    out()
    out("| run | before | after BN | " + " | ".join(f"epoch {e}" for e in epochs) + " | ideal - last (points) |")
    out("|---|---|---|" + "---|" * len(epochs) + "---|")
    for n, j in runs:
        at = {e["epoch"]: e["accuracy"] for e in j["test_after_epoch"]}
        gap = f"{100 * (ideal_acc - j['accuracy_after']):+.2f}" if ideal_acc else "n/a"
        out(f"| {n} | {pct(j.get('accuracy_before'))} | {pct(j.get('bn_recalibrated_accuracy'))} | "
            + " | ".join(pct(at.get(e)) for e in epochs) + f" | {gap} |")
    out()


def density_figure(name, title, groups, variant, ideal_acc):
    """Mean test accuracy after RSA against density, one line per sigma, for one variant's runs."""
    curves = {}
    for key, g in groups.items():
        if key[1] == variant:
            curves.setdefault(key[0], []).append((100 * key[2], 100 * statistics.mean(j["accuracy_after"] for j in g)))
    if not curves:
        return
    sigmas = sorted(curves)
    data = {f"c{i}": sorted(curves[s]) for i, s in enumerate(sigmas)}  # format keys: no dots
    ys = [y for c in curves.values() for _, y in c] + ([100 * ideal_acc] if ideal_acc else [])
    xs = sorted({x for c in curves.values() for x, _ in c})
    script = "set xlabel 'RSA cells (% of weights)'\nset ylabel 'test accuracy'\n" + PERCENT_Y
    script += yrange(ys, below=0.35, top=100.5) + xrange_of(xs)
    script += "set xtics (" + ", ".join(f"'{x:g}%%' {x:g}" for x in xs) + ")\n"
    script += "plot " + ", ".join(f"'{{c{i}}}' using 1:2 with linespoints title 'sigma {s}'" for i, s in enumerate(sigmas))
    if ideal_acc:
        script += f", {100 * ideal_acc} title 'ideal model' dt 2"
    out(plot(name, title, script + "\n", data, key="bottom right"))
    out()


out("## Random Sparse Adaptation: LeNet-5 on MNIST (the paper's Figure 4)")
out()
groups, files = rsa_tables(D, ideal_acc)
if groups:
    density_figure("fig4-density", "LeNet-5 on MNIST chips: accuracy after RSA against RSA density", groups, "additive",
                   ideal_acc)
    # Accuracy against modeled time: RSA's validation points and R-V-W's end point, sigma 0.5, 5%.
    j = files.get("s0.5-1-0.05")
    if j and "points" in j:
        # Step 0 (before RSA) has time 0, which a log axis cannot show: it is drawn as a dashed
        # line, not as a point at a made-up time.
        rsa = [(p["time_s"], 100 * p["val_accuracy"]) for p in j["points"] if p["time_s"] > 0]
        start = [100 * p["val_accuracy"] for p in j["points"] if p["time_s"] <= 0]
        rvw = [(j["rvw"]["time_s"], 100 * j["rvw"].get("val_accuracy", j["rvw"].get("accuracy")))] if "rvw" in j else []
        ys = [y for _, y in rsa + rvw] + start
        series = {k: v for k, v in (("rsa", rsa), ("rvw", rvw)) if v}
        plots = []
        if start:
            plots.append(f"{start[0]} title 'before RSA (time 0)' dt 2 lc rgb 'gray40'")
        if "rsa" in series:
            plots.append("'{rsa}' using 1:2 with linespoints title 'RSA, 5% cells'")
        if "rvw" in series:
            plots.append("'{rvw}' using 1:2 with points pt 7 ps 2 title 'R-V-W'")
        if plots and ys:
            xs = [x for x, _ in rsa + rvw]
            script = ("set logscale x\nset format x '%g'\n" +
                      (f"set xrange [{min(xs) / 2:g}:{max(xs) * 2:g}]\n" if xs else "") +
                      "set xlabel 'modeled time (s, log scale)'\nset ylabel 'validation accuracy'\n" + PERCENT_Y +
                      yrange(ys, above=0.4, top=100.5) + "plot " + ", ".join(plots) + "\n")
            out(plot("fig4-time", "Chip s0.5-1: validation accuracy against modeled time", script, series,
                     key="top right"))
            out()
            out("Time is on a log axis, which has no 0: the chip before RSA (step 0, time 0) is the dashed line.")
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
out("Test accuracy in % (mean ± std over training seeds), parameters = nonzero weights + every bias (docs/design.md section 8),")
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
recs = [r for r in jsonl(os.path.join(D, "sw", "theta-s1.h5.jsonl")) if r.get("record") in ("unpruned", "theta")]
if recs:
    out("| theta | params | val accuracy | L | C | path length | clustering | small-world sigma | tiles | tile links |")
    out("|---|---|---|---|---|---|---|---|---|---|")
    for r in recs:
        out(f"| {r.get('theta', 0)} | {r.get('params')} | {pct(r.get('val_accuracy'))} | {r.get('L', 0):.1f} | "
            f"{r.get('C', 0):.2f} | {r.get('path_length', 0):.2f} | {r.get('clustering', 0):.3f} | "
            f"{r.get('small_world_sigma', 0):.2f} | {r.get('tiles')} | {r.get('tile_links')} |")
    out()
    data = {"lc": [(r.get("theta", 0), r.get("L", 0), r.get("C", 0)) for r in recs]}
    out(plot("fig7", "Small-World LeNet-5: path length L and clustering C against theta",
             "set xlabel 'pruning threshold theta (0: before pruning)'\nset ylabel 'L (path length)'\nset y2label 'C (clustering)'\n"
             "set y2tics\nset ytics nomirror\n" + xrange_of([r[0] for r in data["lc"]]) +
             yrange([r[1] for r in data["lc"]], below=0.1, above=0.35, least=0.1) +
             yrange([r[2] for r in data["lc"]], below=0.1, above=0.35, least=0.01, axis="y2") +
             "plot '{lc}' using 1:2 with linespoints title 'L', '{lc}' using 1:3 axes x1y2 with linespoints title 'C'\n",
             data, key="top center horizontal"))
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

# ---- fig7 on VGG-16 (issue 42) --------------------------------------------------------------
VP = os.path.join(OUT, "cifar10", "vgg16-prune")


def lc_groups(r):
    """L and C of a record's conv layers and of its fully connected layers, each group as the
    network's are made of its layers (docs/algorithms.md "L and C"): L summed over the group's
    layers, C = the classes reached summed over the group's live units / its live units."""
    out = {}
    for kind, name in (("conv", "conv"), ("dense", "fc")):
        ls = [l for l in r.get("layers", []) if l.get("type") == kind]
        live = sum(l.get("live", 0) for l in ls)
        out[name] = (sum(l.get("L", 0) for l in ls),
                     sum(l.get("C", 0) * l.get("live", 0) for l in ls) / live if live else 0.0)
    return out


def graph_means(r, kind):
    """The mean over a group's layers of each layer's bipartite path length and clustering."""
    ls = [l for l in r.get("layers", []) if l.get("type") == kind]
    n = max(len(ls), 1)
    return sum(l.get("path_length", 0) for l in ls) / n, sum(l.get("clustering", 0) for l in ls) / n


def fig7_vgg16_records(name):
    return [r for r in jsonl(os.path.join(VP, name + ".h5.jsonl")) if r.get("record") in ("unpruned", "theta_probe")]


def fig7_vgg16():
    trained, init = fig7_vgg16_records("sw-5.3m"), fig7_vgg16_records("sw-init")
    if not (trained or init):
        if PROFILE == "all":
            out("### Figure 7 on VGG-16")
            out()
            out("Not run yet (`make -f Makefile.pipeline PROFILE=all fig7-vgg16`).")
            out()
        return
    out("### Figure 7 on VGG-16: L and C of the convolutional and the fully connected layers against theta")
    out()
    out("The Small-World VGG-16 lattice (p = 0.0001) pruned at each theta, not fine-tuned (fine-tuning keeps the")
    out("masks, so L and C are those of the theta flow): a conv kernel goes when its RMS is below theta x the std of")
    out("the layer's surviving weights, a dense layer's weight when its |w| is (--prune-granularity kernel). Units: filters and input channels of a convolution, neurons of a dense layer. Per group, L sums the")
    out("layers' L (units with a path to class k, averaged over the classes) and C is the classes a live unit")
    out("reaches, averaged over the group's live units. Path length and clustering: each layer's bipartite unit")
    out("graph's (docs/algorithms.md), averaged over the group's layers.")
    out()
    for recs, what, src in ((trained, "the trained lattice (before pruning to 5.3M)", "sw-5.3m.h5"),
                            (init, "the lattice after one SGD step on 64 images (near initialization: not the paper's "
                                   "figure, what the structure alone gives)", "sw-init.h5")):
        if not recs:
            continue
        out(f"Of {what}:")
        out()
        out("| theta | params | val accuracy | L conv | C conv | L fc | C fc | path length conv, fc | "
            "clustering conv, fc | tiles | tile links |")
        out("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in recs:
            g, pc, pf = lc_groups(r), graph_means(r, "conv"), graph_means(r, "dense")
            out(f"| {r.get('theta', 0)} | {r.get('params'):,} | {pct(r.get('val_accuracy'))} | {g['conv'][0]:.1f} | "
                f"{g['conv'][1]:.2f} | {g['fc'][0]:.1f} | {g['fc'][1]:.2f} | {pc[0]:.2f}, {pf[0]:.2f} | "
                f"{pc[1]:.3f}, {pf[1]:.3f} | {r.get('tiles')} | {r.get('tile_links')} |")
        out()
        out("Command: " + cmd(os.path.join(VP, src)))
        out()
    recs, when = (trained, "trained lattice") if trained else (init, "lattice near initialization")
    for group, label in (("fc", "fully connected"), ("conv", "convolutional")):
        rows = [(r.get("theta", 0),) + lc_groups(r)[group] for r in recs]
        out(plot(f"fig7-vgg16-{group}", f"Small-World VGG-16 ({when}), {label} layers: L and C against theta",
                 "set xlabel 'pruning threshold theta (0: before pruning)'\nset ylabel 'L (units reaching a class)'\n"
                 "set y2label 'C (classes a live unit reaches)'\nset y2tics\nset ytics nomirror\n" +
                 xrange_of([x[0] for x in rows]) + yrange([x[1] for x in rows], below=0.1, above=0.35, least=0.1) +
                 yrange([x[2] for x in rows], below=0.1, above=0.35, least=0.01, axis="y2") +
                 "plot '{lc}' using 1:2 with linespoints title 'L', '{lc}' using 1:3 axes x1y2 with linespoints title 'C'\n",
                 {"lc": rows}, key="top center horizontal"))
        out()
    out("Paper (Figure 7, Small-World VGG-16, p = 0.0001): L falls with theta while C stays high.")
    out()


fig7_vgg16()


# ---- fig9 ---------------------------------------------------------------------------------
def cgap_layer_names(n):
    """Names of the grown layers (conv1, conv2, fc1, ...) from the layer types in a LeNet-5 CGaP
    file's /history@cgap_layers ("index:spec ..."); layer1.. when no file says."""
    for f in sorted(glob.glob(os.path.join(OUT, "cgap", "*-cgap*.h5"))):
        if "-cnn9-" in f:
            continue
        try:
            dump = subprocess.run(["h5dump", "-a", "/history/cgap_layers", f], capture_output=True, text=True).stdout
        except OSError:
            break
        data = dump.split("DATA {", 1)[1] if "DATA {" in dump else ""
        specs = [t.split(":", 1)[1] for t in (data.split('"')[1].split() if data.count('"') >= 2 else []) if ":" in t]
        if len(specs) == n:
            names, count = [], {}
            for spec in specs:
                kind = "fc" if spec.startswith("fc") else "conv" if spec[:1] == "c" else spec.rstrip("0123456789")
                count[kind] = count.get(kind, 0) + 1
                names.append(f"{kind}{count[kind]}")
            return names
    return ["conv1", "conv2", "fc1"] if n == 3 else [f"layer{i + 1}" for i in range(n)]


# CGaP's goals per template (issues 18 and 45): points below the baseline on the mean and on any
# one seed, share of the template's parameters, share of its training FLOPs.
CGAP_GOALS = {"vgg16": (0.5, 0.5, 0.4, 0.5)}
CGAP_GOAL = (0.5, 1.0, 0.5, 0.6)


def cgap_goal(arch):
    return CGAP_GOALS.get(arch.split()[0], CGAP_GOAL)


def cgap_cifar_arch(runs, seed):
    """The template of Figure 9's CIFAR-10 column: cnn9 when its run is there (issue 45), else LeNet-5."""
    return "cnn9" if ("cifar10", "cnn9", seed) in runs else "lenet5"


def cgap_runs():
    """(dataset, arch, seed) -> (CGaP record, baseline eval) for every CGaP run under OUT/cgap."""
    runs = {}
    for f in sorted(glob.glob(os.path.join(OUT, "cgap", "*.h5.json"))):
        name = os.path.basename(f)[: -len(".h5.json")]
        if "-cgap" not in name:
            continue
        parts = name.split("-")
        seed = int(parts[-1][1:]) if parts[-1][:1] == "s" and parts[-1][1:].isdigit() else 1
        # cgaploose: the pruning test loosened by flags (CGAP_LOOSE, before issue 45's defaults)
        kind = "-cgaploose" if "-cgaploose" in name else "-cgap"
        net = next((a for a in ("cnn9", "vgg16") if f"-{a}-" in name), "lenet5")
        arch = net + (" (test loosened)" if kind == "-cgaploose" else "")
        ds = name.split(f"-{net}")[0].split("-cgap")[0]
        j = load(f)
        if j:
            runs[(ds, arch, seed)] = (j, load(os.path.join(OUT, "cgap", name.replace(kind, "-base") + ".eval.json")))
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
    made = sorted(glob.glob(os.path.join(OUT, "cgap", "*-cgap*.h5")))
    out("Command: " + (cmd(made[0]) if made else "(no command recorded)"))
    out()
    out("Every seed (goal, issues 18 and 45: the mean within 0.5 points of the baselines', no seed more than 1.0")
    out("below its baseline, at least 50% fewer parameters, training FLOPs at most 60% of the baseline's; VGG-16:")
    out("within 0.5, at most 40% of the parameters and 50% of the training FLOPs):")
    out()
    out("| dataset | template | seed | end widths | CGaP test | baseline test | points below | params | FLOPs | training FLOPs | goal |")
    out("|---|---|---|---|---|---|---|---|---|---|---|")
    groups = {}
    for (ds, arch, seed), run in sorted(runs.items()):
        groups.setdefault((ds, arch), []).append((seed, run))
    for (ds, arch), group in groups.items():
        g_mean, g_seed, g_params, g_tf = cgap_goal(arch)
        ends = [(j.get("end", {}), j, (base or {}).get("accuracy")) for _, (j, base) in group]
        misses = set()
        for (seed, _), (end, j, ref) in zip(group, ends):
            acc = end.get("test_accuracy")
            fp = end.get("params", 0) / max(j.get("template_params", 1), 1)
            ff = end.get("flops", 0) / max(j.get("template_flops", 1), 1)
            tf = j.get("train_flops_ratio")
            gap = None if acc is None or ref is None else 100 * (ref - acc)
            miss = [] if gap is None else [m for m, bad in (("accuracy", gap > (g_seed if len(group) > 1 else g_mean)),
                                                             ("params", fp > g_params),
                                                             ("training FLOPs", tf is None or tf > g_tf)) if bad]
            misses.update(miss)
            goal = "n/a" if gap is None else ("met" if not miss else "not met: " + ", ".join(miss))
            out(f"| {ds} | {arch} | {seed} | {end.get('widths')} | {pct(acc)} | {pct(ref)} | "
                f"{'n/a' if gap is None else f'{gap:+.2f}'} | {100 * fp:.1f}% | {100 * ff:.1f}% | "
                f"{'n/a' if tf is None else f'{100 * tf:.1f}%'} | {goal} |")
        if len(group) > 1:
            accs = [end.get("test_accuracy") for end, _, _ in ends]
            refs = [ref for _, _, ref in ends]
            gaps = [100 * (r - a) for a, r in zip(accs, refs) if a is not None and r is not None]
            fps = [end.get("params", 0) / max(j.get("template_params", 1), 1) for end, j, _ in ends]
            tfs = [j.get("train_flops_ratio") for _, j, _ in ends if j.get("train_flops_ratio") is not None]
            if gaps and statistics.mean(gaps) > g_mean:
                misses.add("mean accuracy")
            goal = "n/a" if not gaps else ("met" if not misses else "not met: " + ", ".join(sorted(misses)))
            out(f"| {ds} | {arch} | mean | | {mean_sd(accs)} | {mean_sd(refs)} | "
                f"{f'{statistics.mean(gaps):+.2f}' if gaps else 'n/a'} | {100 * statistics.mean(fps):.1f}% | | "
                f"{f'{100 * statistics.mean(tfs):.1f}%' if tfs else 'n/a'} | {goal} |")
    out()
    # Figure 9's finding per seed: end parameters MNIST < Fashion-MNIST < CIFAR-10 (LeNet-5;
    # CIFAR-10 with cnn9 when it ran, issue 45).
    order = ("mnist", "fashion-mnist", "cifar10")
    seeds = sorted({seed for (ds, arch, seed) in runs if arch == "lenet5"})
    order_rows = []
    for seed in seeds:
        ps = [runs.get((ds, cgap_cifar_arch(runs, seed) if ds == "cifar10" else "lenet5", seed), ({}, None))[0]
              .get("end", {}).get("params") for ds in order]
        if all(p is not None for p in ps):
            holds = ps[0] < ps[1] < ps[2]
            order_rows.append(f"| {seed} | {ps[0]:,} | {ps[1]:,} | {ps[2]:,} ({cgap_cifar_arch(runs, seed)}) "
                              f"| {'holds' if holds else 'does not hold'} |")
    if order_rows:
        out("End parameters per seed (LeNet-5, CIFAR-10 with cnn9 when it ran; the paper's order MNIST < Fashion-MNIST < CIFAR-10):")
        out()
        out("| seed | mnist | fashion-mnist | cifar10 | order |")
        out("|---|---|---|---|---|")
        for row in order_rows:
            out(row)
        out()
if widths:
    n = max(len(w) for w in widths.values())
    names = cgap_layer_names(n)
    rows = [[names[i]] + [w[i] if i < len(w) else 0 for w in widths.values()] for i in range(n)]
    cols = " , ".join(f"'{{w}}' using {k + 2}:xtic(1) title '{ds}'" for k, ds in enumerate(widths))
    top = max(max(w) for w in widths.values() if w)
    out(plot("fig9", "CGaP on LeNet-5: learned width of each layer, per dataset",
             "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
             f"set ylabel 'width (channels or units)'\nset xlabel 'layer'\nset yrange [0:{1.25 * top:g}]\n"
             f"plot {cols}\n", {"w": rows}, key="top right"))
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

def cifar_small_world(dense_eval):
    """Small-World cnn9 against the dense cnn9: accuracy, parameters, crossbar tiles used."""
    out("## Small-World cnn9 on CIFAR-10")
    out()
    sw = load(os.path.join(C, "sw", "cnn9-sw.eval.json"))
    if not sw:
        out("Queued, not run yet (`make -f Makefile.pipeline PROFILE=all exp/all/cifar10/sw/cnn9-sw.eval.json`).")
        out()
        return
    summary = next((r for r in jsonl(os.path.join(C, "sw", "cnn9-sw.h5.jsonl")) if r.get("record") == "summary"), {})
    tiles = lambda e: sum(l.get("tiles", 0) for l in e.get("layers", []))
    out("| model | test accuracy | parameters (nonzero) | crossbar tiles (128 x 128 with a nonzero weight) |")
    out("|---|---|---|---|")
    out(f"| dense cnn9 | {pct(dense_eval.get('accuracy'))} | 962,282 | {tiles(dense_eval)} |")
    out(f"| Small-World cnn9 | {pct(sw.get('accuracy'))} | {summary.get('params', 0):,} | {tiles(sw)} |")
    out()
    out("Paper: Small-World VGG-16 at 93.10% with 5.3M parameters (the dense one: 15M).")
    out()
    out("Command: " + cmd(os.path.join(C, "sw", "cnn9-sw.h5")))
    out()


def drift_rsa(d):
    """The RSA chip of d/rsa/s0.1-1-0.05-bnr-e5.h5 read later: d/drift-rsa/<kind>-t<T>[-comp].json."""
    runs = {tuple(os.path.basename(f)[:-5].split("-")): load(f) for f in glob.glob(os.path.join(d, "drift-rsa", "*.json"))}
    runs = {k: j for k, j in runs.items() if j}
    if not runs:
        return
    out("Does an RSA chip adapted at t0 hold? The 5%, 5-epoch RSA chip of seed 1 (batch norm recalibrated first, "
        "default faults) read t seconds after programming, test accuracy:")
    out()
    cols = [(k, c) for k, _ in DRIFT_KINDS for c in (False, True)]
    out("| t | " + " | ".join(f"{k.upper() if k == 'rram' else 'PCM-like'}{', comp.' if c else ''}" for k, c in cols) + " |")
    out("|---|" + "---|" * len(cols))
    for t in sorted({int(k[1][1:]) for k in runs}):
        cells = [runs.get((k, f"t{t}") + (("comp",) if c and t != 1 else ())) for k, c in cols]
        out(f"| {time_label(t)} | " + " | ".join(pct(j.get("accuracy")) if j else "n/a" for j in cells) + " |")
    out()
    out("Command (the others vary --time and the drift flags): " + cmd(os.path.join(d, "drift-rsa", "rram-t86400-comp.json")))
    out()


# ---- cifar --------------------------------------------------------------------------------
C = os.path.join(OUT, "cifar10")
c = load(os.path.join(C, "cnn9.eval.json"))
out("## cnn9 on CIFAR-10")
out()
if c:
    out(f"Test accuracy {pct(c.get('accuracy'))} ({cmd(os.path.join(C, 'cnn9.h5'))}).")
    out()
    degradation(C, "Degradation on RRAM chips: cnn9 on CIFAR-10 (Monte Carlo)", "degradation-cifar10", "cnn9 on CIFAR-10")
    out("## Random Sparse Adaptation: cnn9 on CIFAR-10")
    out()
    out("Paper: on this 9-layer CNN, 5% RSA cells raise the chip's accuracy by more than 10 points.")
    out()
    cgroups, _ = rsa_tables(C, c.get("accuracy"))
    density_figure("fig4-cifar10", "cnn9 on CIFAR-10 chips: accuracy after 5 epochs of RSA against RSA density",
                   cgroups, "e5", c.get("accuracy"))
    drift(C, "cnn9", "drift-cifar10")
    drift_rsa(C)
    if PROFILE == "all":
        cifar_small_world(c)
else:
    out("Skipped: CIFAR-10 was not found.")
    out()


def vgg16_curve(name):
    """Test accuracy and training curve of OUT/cifar10/<name>.h5 (VGG-16s, ResNets), if it ran."""
    v, info = load(os.path.join(C, name + ".eval.json")), load(os.path.join(C, name + ".info.json"))
    if not (v or info):
        return False
    out(f"Test accuracy {pct((v or {}).get('accuracy'))} ({cmd(os.path.join(C, name + '.h5'))}).")
    out()
    hist = (info or {}).get("history") or []
    if hist:
        out("| epoch | lr | train loss | train acc | val loss | val acc |")
        out("|---|---|---|---|---|---|")
        for e in hist:
            val_loss = "n/a" if e["val_loss"] is None else f"{e['val_loss']:.4f}"  # trained with no validation
            out(f"| {e['epoch']} | {e['lr']:.4f} | {e['train_loss']:.4f} | {pct(e['train_accuracy'])} | "
                f"{val_loss} | {pct(e['val_accuracy'])} |")
        out()
    return True


VGG16_CYCLES = ("vgg16-cut40-r20", "vgg16-cut40-r20-r20")
VGG16_MODELS = ("vgg16", "vgg16-40", "vgg16-drop36", "vgg16-cut40", "vgg16-cut60", "vgg16-cut60-r20",
                "vgg16-cut60-full20", "vgg16-cut60-full20-ls") + VGG16_CYCLES
if any(os.path.exists(os.path.join(C, m + ext)) for m in VGG16_MODELS for ext in (".eval.json", ".info.json")):
    out("## VGG-16 on CIFAR-10")
    out()
    out("Paper: 92.93% (on the original images; these are a JPEG re-encoding).")
    out()
    vgg16_curve("vgg16")
    out("### The paper's 40 epochs from lr 0.05")
    out()
    if not vgg16_curve("vgg16-40"):
        out("Queued, not run yet (`make -f Makefile.pipeline PROFILE=all exp/all/cifar10/vgg16-40.eval.json`: "
            "about 2.7 hours on two cores, resumable from its checkpoints).")
        out()
    cycles = [(name, f"Then cosine cycle {n}: 20 more epochs from lr 0.02 ({40 + 20 * (n - 1)} in all)")
              for n, name in enumerate(VGG16_CYCLES, 2)]
    for name, title in [("vgg16-drop36", "With dropout before the classifier's hidden layers, 36 epochs"),
                        ("vgg16-cut40", "With cutout (8x8), 40 epochs")] + cycles + [
                        ("vgg16-cut60", "With cutout (8x8), one 60-epoch schedule"),
                        ("vgg16-cut60-r20", "Then a second cosine cycle: 20 more epochs from lr 0.02 (80 in all)"),
                        ("vgg16-cut60-full20", "The same second cycle on all 50,000 training images (no validation split)"),
                        ("vgg16-cut60-full20-ls", "The same on all training images, with label smoothing 0.1")]:
        if os.path.exists(os.path.join(C, name + ".eval.json")):
            out(f"### {title}")
            out()
            vgg16_curve(name)
    chip_models = (("vgg16", "the 26-epoch network"), ("vgg16-cut60-r20", "the cutout network, 60 + 20 epochs"),
                   ("vgg16-cut60-full20", "the cutout network, 60 + 20 epochs on all training images"))
    for model, title in chip_models:
        deg = os.path.join(C, model + "-degradation", "max")
        rows = [(s, f, load(os.path.join(deg, f"s{s}-{f}.json")))
                for s in ("0", "0.1", "0.3", "0.5") for f in ("faults", "nofaults")]
        rows = [r for r in rows if r[2]]
        if rows:
            out(f"### Chips of {title} (max scale, 3 chips, all 10,000 test images)")
            out()
            out("| sigma | faults | accuracy (mean ± sd of the chips, %) |")
            out("|---|---|---|")
            for s, f, j in rows:
                out(f"| {s} | {'default' if f == 'faults' else 'none'} | {acc_cell(j)} |")
            out()
            out("Command: " + cmd(os.path.join(deg, f"s{rows[0][0]}-{rows[0][1]}.json")))
            out()
    for model, title in chip_models:
        if glob.glob(os.path.join(C, model, "rsa", "*.json")):
            out(f"### RSA on a chip of {title} (sigma 0.1, default faults, max scale)")
            out()
            out("Goal: at 5% cells and at most 5 epochs, within 3 points of the ideal model.")
            out()
            ideal = load(os.path.join(C, model + ".eval.json"))
            rsa_tables(os.path.join(C, model), (ideal or {}).get("accuracy"))
elif PROFILE == "all":
    out("## VGG-16 on CIFAR-10")
    out()
    out("Not run yet (`make -f Makefile.pipeline PROFILE=all vgg16`).")
    out()

# ---- residual networks --------------------------------------------------------------------
RESNET_RSA = "s0.1-1-0.05-e5-cos"  # the fault-aware chip's RSA run (Makefile.pipeline's RESNET_RSA)
RESNET_RSA_GOAL = 1.0  # points below the ideal model (issue 44)


def resnet_rsa_gap(name):
    """(RSA record, ideal accuracy, points below the ideal) of cifar10/NAME's fault-aware 5% RSA chip."""
    j = load(os.path.join(C, name, "rsa-fa", RESNET_RSA + ".json"))
    ideal = (load(os.path.join(C, name + ".eval.json")) or {}).get("accuracy")
    gap = None if not (j and ideal is not None) else 100 * (ideal - j["accuracy_after"])
    return j, ideal, gap


def resnet_chips(name):
    """cifar10/NAME's chips (Makefile.pipeline's RESNET_CHIPS): sigma and faults, the fault-aware
    chip with 5% RSA, and drift of fault-free chips and of the RSA chip."""
    d = os.path.join(C, name)
    deg = [(s, f, load(os.path.join(d, "degradation", "max", f"s{s}-{f}.json")))
           for s in ("0", "0.1", "0.3", "0.5") for f in ("faults", "nofaults")]
    deg = [r for r in deg if r[2]]
    if deg:
        j = deg[0][2]
        out(f"Chips of {name} (max scale, {j.get('chips')} chips, seeds 1..{j.get('chips')}, on {j.get('samples')} test "
            "images), test accuracy in % (mean ± std over the chips):")
        out()
        out("| sigma | faults | accuracy | per chip |")
        out("|---|---|---|---|")
        for s, f, j in deg:
            chips = " ".join(f"{100 * c['accuracy']:.2f}" for c in j.get("per_chip", []))
            out(f"| {s} | {'default' if f == 'faults' else 'none'} | {acc_cell(j)} | {chips} |")
        out()
        out("Command (the others vary the device flags): " + cmd(os.path.join(d, "degradation", "max", f"s{deg[0][0]}-{deg[0][1]}.json")))
        out()
    j, ideal, gap = resnet_rsa_gap(name)
    if j:
        at = {e["epoch"]: e["accuracy"] for e in j.get("test_after_epoch") or []}
        out(f"A sigma-0.1 chip with the default faults (seed 1) programmed with `--map fault-aware`, then 5% RSA "
            f"cells for {j.get('epochs')} epochs at lr {j.get('lr')} on the {j.get('schedule')} schedule, on "
            f"{j.get('test_samples')} test images (goal, issue 44: within {RESNET_RSA_GOAL:g} point of the ideal model):")
        out()
        out("| before RSA | " + " | ".join(f"after epoch {e}" for e in sorted(at)) + " | after | ideal | ideal - after (points) | cells | goal |")
        out("|---|" + "---|" * len(at) + "---|---|---|---|---|")
        goal = "n/a" if gap is None else ("met" if gap <= RESNET_RSA_GOAL else "not met")
        out(f"| {pct(j.get('accuracy_before'))} | " + "".join(f"{pct(at[e])} | " for e in sorted(at)) +
            f"{pct(j.get('accuracy_after'))} | {pct(ideal)} | {'n/a' if gap is None else f'{gap:+.2f}'} | "
            f"{j.get('cells', 0):,} ({j.get('cells_percent_of_placed', 0):.2f}%) | {goal} |")
        out()
        out("Command: " + cmd(os.path.join(d, "rsa-fa", RESNET_RSA + ".json")) + " (the chip: " +
            cmd(os.path.join(d, "rsa-fa", "chip-s0.1-1.h5")) + ")")
        out()
    mc = {os.path.basename(f)[:-5]: load(f) for f in glob.glob(os.path.join(d, "drift", "*.json"))}
    rsa = {os.path.basename(f)[:-5]: load(f) for f in glob.glob(os.path.join(d, "drift-rsa", "*.json"))}
    if any(mc.values()) or any(rsa.values()):
        times = sorted({int(k.split("-t")[1].split("-")[0]) for k in list(mc) + list(rsa)})
        cols = [(k, c) for k, _ in DRIFT_KINDS for c in (False, True)]
        out(f"Drift: {name}'s chips read t seconds after programming (t0 = 1 s; RRAM nu 0.005 ± 0.002, PCM-like "
            "nu 0.05 ± 0.01; comp.: global drift compensation). 3 chips at sigma 0.1 without stuck faults "
            "(mean ± std), and the fault-aware RSA chip above (default faults; its RSA cells do not drift):")
        out()
        out("| t | chips | " + " | ".join(f"{'RRAM' if k == 'rram' else 'PCM-like'}{', comp.' if c else ''}" for k, c in cols) + " |")
        out("|---|---|" + "---|" * len(cols))
        for t in times:
            for label, runs, key, cell in (("3 chips, no faults", mc, lambda k, c: f"{k}-nofaults-t{t}", acc_cell),
                                           ("RSA chip", rsa, lambda k, c: f"{k}-t{t}", lambda j: pct(j.get("accuracy")))):
                cells = [runs.get(key(k, c) + ("-comp" if c and t != 1 else "")) for k, c in cols]
                if any(cells):
                    out(f"| {time_label(t)} | {label} | " + " | ".join(cell(j) if j else "n/a" for j in cells) + " |")
        out()
        for runs, sub, example in ((mc, "drift", "rram-nofaults-t86400-comp"), (rsa, "drift-rsa", "rram-t86400-comp")):
            if runs:
                out(f"Command ({sub}; the others vary --time and the drift flags): " + cmd(os.path.join(d, sub, example + ".json")))
                out()


RESNETS = (("resnet20", "91.25%"), ("resnet32", "92.49%"))
if any(os.path.exists(os.path.join(C, m + ".eval.json")) for m, _ in RESNETS):
    out("## Residual networks on CIFAR-10")
    out()
    out("He et al. 2016 (original images, 164 epochs): ResNet-20 91.25%, ResNet-32 92.49%. nnc's goals "
        "(issue 44): 90.5% and 91.5%.")
    out()
    for name, paper in RESNETS:
        out(f"### {name} (He et al.: {paper})")
        out()
        if not vgg16_curve(name):
            out("Trained in the all profile only." if PROFILE == "quick" and name != "resnet20" else
                f"Not run yet (`make -f Makefile.pipeline PROFILE={PROFILE} {os.path.join(C, name)}.eval.json`).")
            out()
        resnet_chips(name)


# ---- fault-aware --------------------------------------------------------------------------
def per_chip(j):
    return " ".join(f"{100 * c['accuracy']:.2f}" for c in (j or {}).get("per_chip", []))


def fault_aware():
    """Chips programmed around their stuck cells (`--map fault-aware`): LeNet-5, cnn9, VGG-16."""
    fa = os.path.join(D, "fault-aware")
    deg = lambda r: load(os.path.join(D, "degradation", "max", r + ".json"))
    mc = {"ideal": deg("s0.1-nofaults"), "default": deg("s0.1-faults"), "fa": load(os.path.join(fa, "mc-fa.json")),
          "fa4": load(os.path.join(fa, "mc-fa-spare4.json"))}
    chips = {m: [(load(f), load(os.path.join(fa, "rsa", os.path.basename(f)[:-len(".h5.json")] + ".json")))
                 for f in sorted(glob.glob(os.path.join(fa, "chips", m + "-*.h5.json")))] for m in ("df", "fa")}
    cnn9 = load(os.path.join(C, "fault-aware", "mc-s0.1.json"))
    cnn9_rsa = {os.path.basename(f)[:-5]: load(f) for f in sorted(glob.glob(os.path.join(C, "rsa-fa", "s*.json")))}
    cnn9_rsa = {n: j for n, j in cnn9_rsa.items() if j}
    vgg = [(m, load(os.path.join(C, m, "rsa-fa", "s0.1-1-0.05-e5-cos.json")), load(os.path.join(C, m + ".eval.json")))
           for m in ("vgg16-cut60-r20", "vgg16-cut60-full20")]
    if not (mc["fa"] or cnn9 or cnn9_rsa or any(j for _, j, _ in vgg)):
        return
    out("## Fault-aware mapping (issue 20; not in the paper)")
    out()
    if mc["fa"]:
        out(f"LeNet-5 on MNIST, sigma 0.1, default faults, max scale, {mc['fa'].get('chips')} chips (seeds "
            f"1..{mc['fa'].get('chips')}) on {mc['fa'].get('samples')} test images: the default mapping against "
            "`--map fault-aware` (pair compensation, rows and columns placed around the stuck cells), and 1% RSA "
            "on each chip; write pulses and weights off target from nnc-program-rram's summary of each chip.")
        out()
        out("| chips | accuracy % (mean ± std) | per chip | write pulses per chip | weights off target |")
        out("|---|---|---|---|---|")
        prog = lambda m, k: f"{statistics.mean(c[k] for c, _ in chips[m] if c):,.0f}" if any(c for c, _ in chips[m]) else ""
        rsa = lambda m: [r for _, r in chips[m] if r]
        for label, j, m in (("ideal (no faults)", mc["ideal"], None), ("default mapping", mc["default"], "df"),
                            ("**fault-aware, no training**", mc["fa"], "fa"), ("fault-aware, `--spare-cols 4`", mc["fa4"], None)):
            if j:
                out(f"| {label} | {acc_cell(j)} | {per_chip(j)} | {prog(m, 'write_pulses') if m else ''} | "
                    f"{prog(m, 'off_target') if m else ''} |")
        for label, m in (("default mapping + RSA 1%", "df"), ("**fault-aware + RSA 1%**", "fa")):
            after = [r["accuracy_after"] for r in rsa(m)]
            if after:
                out(f"| {label} | {mean_sd(after)} | {' '.join(f'{100 * a:.2f}' for a in after)} | | |")
        out()
        if mc["ideal"] and mc["default"]:
            lost = mc["ideal"]["accuracy"] - mc["default"]["accuracy"]
            back = mc["fa"]["accuracy"] - mc["default"]["accuracy"]
            out(f"The faults cost {100 * lost:.2f} points; fault-aware mapping, with no training, gets back "
                f"{100 * back:.2f} of them ({100 * back / lost:.1f}% of the loss; target 80%)." if lost > 0 else "")
            out()
        out("Commands: " + cmd(os.path.join(fa, "mc-fa.json")) + "; " + cmd(os.path.join(fa, "chips", "fa-1.h5")) +
            "; " + cmd(os.path.join(fa, "rsa", "fa-1.json")))
        out()
    if cnn9:
        default = load(os.path.join(C, "degradation", "max", "s0.1-faults.json"))
        out(f"cnn9 on CIFAR-10, sigma 0.1, default faults, {cnn9.get('chips')} chips on {cnn9.get('samples')} test images: "
            f"fault-aware {acc_cell(cnn9)}% (per chip {per_chip(cnn9)})" +
            (f", default mapping {acc_cell(default)}% (degradation, {default.get('chips')} chips)." if default else ".") +
            " Command: " + cmd(os.path.join(C, "fault-aware", "mc-s0.1.json")))
        out()
    if cnn9_rsa:
        out("cnn9, 5% RSA on chips programmed fault-aware (rsa-fa/s<sigma>-<chip seed>-<density>-<variant>, the "
            "variants of the RSA section):")
        out()
        epochs_table(cnn9_rsa, (load(os.path.join(C, "cnn9.eval.json")) or {}).get("accuracy"))
        out("Command (one of them): " + cmd(os.path.join(C, "rsa-fa", next(iter(cnn9_rsa)) + ".json")))
        out()
    for m, j, ideal in vgg:
        if j:
            out(f"VGG-16 `{m}`, its sigma-0.1 chip of seed 1, 5% RSA for 5 epochs on the cos schedule, the default "
                "mapping against fault-aware (goal: within 3 points of the ideal):")
            out()
            runs = {"default mapping": load(os.path.join(C, m, "rsa", "s0.1-1-0.05-e5-cos.json")), "fault-aware": j}
            epochs_table({n: r for n, r in runs.items() if r}, (ideal or {}).get("accuracy"))
            out("Command: " + cmd(os.path.join(C, m, "rsa-fa", "s0.1-1-0.05-e5-cos.json")))
            out()

fault_aware()


# ---- cost ---------------------------------------------------------------------------------
COMPONENTS = ("array", "adc", "driver", "shift_add", "buffer", "interconnect", "digital", "rsa")


def cost_row(label, j, params=None):
    """One totals row of a nnc-cost JSON: tiles, links, conversions, energy, area, latency, programming."""
    t, e, p = j["total"], j["total"]["energy_j"], j["programming"]
    return (f"| {label} | {'' if params is None else f'{params:,.0f}'} | {t['tiles_used']} | {t['tile_links']} | "
            f"{t['adc_conversions']:,.0f} | {e['total'] * 1e9:,.1f} | {e['adc'] * 1e9:,.1f} | {e['array'] * 1e9:,.2f} | "
            f"{e['interconnect'] * 1e9:.2f} | {t['area_mm2']:.3f} | {t['latency_s'] * 1e6:.1f} | {p['energy_j'] * 1e6:.2f} |")


def sw_params(path):
    """Parameters of a Table I model: its eval JSON, else the summary or last record of its run."""
    e = load(path[:-len(".h5")] + ".eval.json")
    if e and e.get("nonzero_params") is not None:
        return e["nonzero_params"]
    recs = [r for r in jsonl(path + ".jsonl") if r.get("params") is not None]
    return recs[-1]["params"] if recs else None


def cost():
    """nnc-cost on the chips and models of the other sections (the `cost` target, issue 47)."""
    # The per-layer table: LeNet-5's chip, else cnn9's.
    chip_path = next((f for f in (os.path.join(d, "cost", "chips", "s0.1-1.json") for d in (D, C)) if load(f)), None)
    chip = load(chip_path) if chip_path else None
    found = glob.glob(os.path.join(OUT, "*", "cost", "**", "*.json"), recursive=True)
    if not (chip or found):
        return
    out("## What a chip costs (nnc-cost, issue 47)")
    out()
    out("A first-order estimate per inference image (constants and sources: docs/design.md section 14; formulas: "
        "docs/algorithms.md \"Cost model\"): energy in nJ, latency in us with the layers in sequence, area in mm^2; "
        "programming energy in uJ. Input activity measured on the first test images (COST_LIMIT); an ADC of the "
        "table's 8 bits where the chip's read-out is ideal; a model file is costed mapped onto the default device.")
    out()
    if chip:
        out(f"{'LeNet-5' if chip_path.startswith(D) else 'cnn9'} chip s0.1-1 (sigma 0.1, default faults), per layer, "
            f"{chip['adc_bits']}-bit ADC, "
            f"{chip['input_bits']}-bit inputs bit-serial:")
        out()
        out("| layer | type | tiles | ADC conv. | " + " | ".join(COMPONENTS) + " | total nJ | latency us | area mm^2 |")
        out("|---|---|---|---|" + "---|" * len(COMPONENTS) + "---|---|---|")
        for l in chip["layers"]:
            e = l["energy_j"]
            area = l["area_um2"]["total"] if isinstance(l["area_um2"], dict) else l["area_um2"]
            head = (f"| {l['layer']} | {l['spec']} | {l['tiles_used']} | {l['adc_conversions']:,.0f} | " if l["mapped"]
                    else f"| {l['layer']} | {l['spec']} | - | - | ")
            out(head + " | ".join(f"{e[k] * 1e9:.3g}" for k in COMPONENTS) +
                f" | {e['total'] * 1e9:.4g} | {l['latency_s'] * 1e6:.3g} | {area * 1e-6:.4f} |")
        t = chip["total"]
        out(f"| total | | {t['tiles_used']} | {t['adc_conversions']:,.0f} | " +
            " | ".join(f"{t['energy_j'][k] * 1e9:.4g}" for k in COMPONENTS) +
            f" | {t['energy_j']['total'] * 1e9:.4g} | {t['latency_s'] * 1e6:.4g} | {t['area_mm2']:.4f} |")
        out()
        share = t["energy_j"]["adc"] / t["energy_j"]["total"]
        out(f"ADC conversions take {100 * share:.0f}% of the energy; {t['throughput_images_per_s']:,.0f} images/s with "
            f"the layers in sequence, {t['pipelined_images_per_s']:,.0f} pipelined. Command: "
            + cmd(chip_path))
        out()
    # Totals for the paper's comparisons: Small-World against magnitude pruning (Table I), CGaP
    # against its template, fault-aware against default mapping, cnn9 and VGG-16 chips.
    rows, sources = [], []
    for kind, name in (("dense", "dense LeNet-5"), ("sw", "Small-World LeNet-5"), ("mag", "magnitude-pruned LeNet-5")):
        for f in sorted(glob.glob(os.path.join(D, "cost", "sw", f"{kind}-s*.json"))):
            j, seed = load(f), os.path.basename(f)[len(kind) + 2:-len(".json")]
            if j:
                rows.append(cost_row(f"{name}, seed {seed} (model)", j, sw_params(os.path.join(D, "sw", f"{kind}-s{seed}.h5"))))
                sources.append(f)
    for m, name in (("mnist-base", "LeNet-5 template, MNIST (CGaP baseline)"), ("mnist-cgap", "CGaP LeNet-5, MNIST"),
                    ("cifar10-cnn9-base", "cnn9 template (CGaP baseline)"), ("cifar10-cnn9-cgap", "CGaP cnn9")):
        j, e = load(os.path.join(OUT, "cgap", "cost", m + ".json")), load(os.path.join(OUT, "cgap", m + ".eval.json"))
        if j:
            rows.append(cost_row(name, j, (e or {}).get("nonzero_params")))
            sources.append(os.path.join(OUT, "cgap", "cost", m + ".json"))
    for path, name in ((os.path.join(D, "cost", "fault-aware", "chips", "df-1.json"), "LeNet-5 chip 1, default mapping"),
                       (os.path.join(D, "cost", "fault-aware", "chips", "fa-1.json"), "LeNet-5 chip 1, fault-aware mapping"),
                       (os.path.join(C, "cost", "chips", "s0.1-1.json"), "cnn9 chip s0.1-1"),
                       (os.path.join(C, "cost", "rsa-fa", "chip-s0.1-1.json"), "cnn9 chip s0.1-1, fault-aware mapping"),
                       (os.path.join(C, "cost", "vgg16", "chips", "s0.1-1.json"), "VGG-16 chip s0.1-1")):
        j = load(path)
        if j:
            rows.append(cost_row(name, j))
            sources.append(path)
    for m, name in (("cnn9", "dense cnn9 (model)"), (os.path.join("sw", "cnn9-sw"), "Small-World cnn9 (model)")):
        j, e = load(os.path.join(C, "cost", m + ".json")), load(os.path.join(C, m + ".eval.json"))
        if j:
            rows.append(cost_row(name, j, (e or {}).get("nonzero_params")))
            sources.append(os.path.join(C, "cost", m + ".json"))
    if rows:
        out("Totals per image: the paper's comparisons (Table I's models at equal parameters, CGaP against its "
            "template) and the chips of the other sections.")
        out()
        out("| chip or model | params | tiles | tile links | ADC conv. | energy nJ | ADC nJ | array nJ | interconnect nJ "
            "| area mm^2 | latency us | programming uJ |")
        out("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            out(r)
        out()
        out("Command (the first row's): " + cmd(sources[0]))
        out()
    # RSA against R-V-W: the energy and time to recover a chip. RSA's adaptation reads the chip
    # forward for every training image (steps x batch images at the RSA chip's energy per image;
    # the backward pass and the validation reads are not counted) and updates its SRAM cells.
    rrows = []
    for d, name in ((D, "LeNet-5"), (C, "cnn9")):
        r, rc, vc = (load(os.path.join(d, "rsa", "s0.1-1-0.05.json")), load(os.path.join(d, "cost", "rsa", "s0.1-1-0.05.json")),
                     load(os.path.join(d, "cost", "rvw", "s0.1-1.json")))
        if not (r and rc and vc):
            continue
        p, v = rc["programming"], vc["programming"]
        images = r["steps"] * r["batch"]
        forward = images * rc["total"]["energy_j"]["total"]
        update = (rc.get("rsa") or {}).get("update_j", 0)
        to_rvw = r.get("rvw", {}).get("rsa_time_to_rvw_val_accuracy_s")
        rrows.append(f"| {name} | one-shot + RSA 5%, 1 epoch | {p['write_pulses']:,} | {p['energy_j'] * 1e6:.2f} | "
                     f"{update * 1e6:.2f} | {forward * 1e6:,.0f} ({images:,} images) | {p['time_s']:.2f} + {r['time_s']:.3g} | "
                     f"{'never' if to_rvw is None else f'{to_rvw:.3g} s'} | {pct(r.get('accuracy_after'))} |")
        rrows.append(f"| {name} | R-V-W (same chip seed) | {v['write_pulses']:,} + {v['verify_reads']:,} reads | "
                     f"{v['energy_j'] * 1e6:.2f} | - | - | {v['time_s']:.2f} | - | {pct(r.get('rvw', {}).get('accuracy'))} |")
    if rrows:
        out("RSA against read-verify-write, sigma-0.1 chip 1: programming energy and modeled time, and what RSA "
            "adds (SRAM updates; forward reads of its training images on the chip, a lower bound: the backward pass "
            "is not costed). Time: programming + RSA's modeled time; accuracy on the RSA run's test images.")
        out()
        out("| network | method | write pulses | programming uJ | RSA SRAM updates uJ | RSA forward reads uJ | time s "
            "| RSA reaches R-V-W's accuracy after | test accuracy |")
        out("|---|---|---|---|---|---|---|---|---|")
        for r in rrows:
            out(r)
        out()
        out("Commands: " + cmd(os.path.join(D, "cost", "rsa", "s0.1-1-0.05.json")) + "; " +
            cmd(os.path.join(D, "cost", "rvw", "s0.1-1.h5")))
        out()

cost()


# ---- the claim table, first in the report -------------------------------------------------
def jsons(pattern):
    return [j for j in (load(f) for f in sorted(glob.glob(os.path.join(OUT, pattern)))) if j]


def n_of(n, word):
    return f"{n} {word}{'s' if n != 1 else ''}"


def avg(xs):
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else None


def c_accuracy(pattern, least, most_params=None):
    """Mean test accuracy and nonzero parameters of the models evaluated in `pattern`."""
    e = jsons(pattern)
    if not e:
        return None
    acc, params = avg([j["accuracy"] for j in e]), avg([j.get("nonzero_params") for j in e])
    return (f"{pct(acc)} at {params / 1e3:,.1f}K ({n_of(len(e), 'seed')})",
            acc >= least and (most_params is None or params <= most_params))


def c_vgg16():
    e = [(j["accuracy"], os.path.basename(f)[:-len(".eval.json")]) for f in glob.glob(os.path.join(C, "vgg16*.eval.json"))
         for j in [load(f)] if j]
    if not e:
        return None
    acc, name = max(e)
    return f"{pct(acc)} (best: {name})", acc >= 0.92


def c_degradation():
    g = lambda r: (load(os.path.join(D, "degradation", "max", r + ".json")) or {}).get("accuracy")
    a0, f1, s5 = g("s0-nofaults"), g("s0.1-faults"), g("s0.5-nofaults")
    if None in (a0, f1, s5):
        return None
    return (f"32 levels alone {pct(a0)}; sigma 0.5 {pct(s5)}; sigma 0.1 with faults {pct(f1)}", f1 < a0 and s5 < a0)


def c_rsa_goal():
    ideal = (load(os.path.join(D, "lenet5.eval.json")) or {}).get("accuracy")
    best = max(((avg([j["accuracy_after"] for j in jsons(f"mnist/rsa-goal/rsa-{w}-c*.json")]) or 0, w)
                for w in ("p99", "max")), default=(0, None))
    if ideal is None or not best[0]:
        return None
    gap = 100 * (ideal - best[0])
    return f"{pct(best[0])} ({best[1]} scale), {gap:.2f} below the ideal {pct(ideal)}", gap <= 0.3


def c_rsa_rise(pattern, points):
    e = jsons(pattern)
    if not e:
        return None
    before, after = avg([j["accuracy_before"] for j in e]), avg([j["accuracy_after"] for j in e])
    return f"{pct(before)} -> {pct(after)} (+{100 * (after - before):.1f} points, {n_of(len(e), 'chip')})", after - before > points


def c_cnn9_density():
    goals = {"0.02": 0.768, "0.05": 0.795, "0.1": 0.813}
    means = {d: avg([j["accuracy_after"] for j in jsons(f"cifar10/rsa/s0.1-*-{d}-e5.json")]) for d in goals}
    if all(m is None for m in means.values()):
        return None
    return (", ".join(f"{100 * float(d):g}%: {pct(m)}" for d, m in means.items()),
            all(m is not None and m >= goals[d] for d, m in means.items()))


def c_vgg16_rsa(kind):
    j = load(os.path.join(C, "vgg16-cut60-full20", kind, "s0.1-1-0.05-e5-cos.json"))
    ideal = (load(os.path.join(C, "vgg16-cut60-full20.eval.json")) or {}).get("accuracy")
    if not (j and ideal):
        return None
    gap = 100 * (ideal - j["accuracy_after"])
    return f"{pct(j['accuracy_after'])}, {gap:.2f} below the ideal {pct(ideal)}", gap <= 3


def c_rvw():
    e = [j for j in jsons("mnist/rsa/s*-*-0.05.json") if "rvw" in j]
    if not e:
        return None
    speed = lambda t_write: avg([j["rvw"]["pulses"] * (t_write + 1e-7) / j["time_s"] for j in e])
    rsa, rvw = avg([j["accuracy_after"] for j in e]), avg([j["rvw"]["accuracy"] for j in e])
    return (f"{speed(6.5e-6):,.0f}x at 6.5 us a write, {speed(4.5e-3):,.0f}x at 4.5 ms; accuracy {pct(rsa)} "
            f"against R-V-W's {pct(rvw)} ({n_of(len(e), 'chip')})", speed(6.5e-6) >= 10 and rsa >= rvw)


def c_fig7():
    recs = [r for r in jsonl(os.path.join(D, "sw", "theta-s1.h5.jsonl")) if r.get("record") in ("unpruned", "theta")]
    if len(recs) < 2:
        return None
    a, b = recs[0], recs[-1]
    return (f"theta 0 -> {b.get('theta')}: L {a.get('L', 0):.0f} -> {b.get('L', 0):.0f}, C {a.get('C', 0):.2f} -> "
            f"{b.get('C', 0):.2f}", b.get("L", 0) < a.get("L", 0) and b.get("C", 0) >= 0.8 * a.get("C", 0))


def c_vgg16_pruned(name, most_params, points):
    """A pruned VGG-16 (cifar10/vgg16-prune/NAME) against the dense network it came from."""
    j = load(os.path.join(OUT, "cifar10", "vgg16-prune", name + ".eval.json"))
    dense = (load(os.path.join(OUT, "cifar10", "vgg16-cut60-full20.eval.json")) or {}).get("accuracy")
    if not (j and dense):
        return None
    gap = 100 * (dense - j["accuracy"])
    return (f"{pct(j['accuracy'])} at {j['params'] / 1e6:.2f}M, {gap:.2f} below the dense {pct(dense)}",
            gap <= points and j["params"] <= most_params)


def c_vgg16_tiles():
    """Tiles and tile links of the pruned networks' last records (docs/algorithms.md "Tiles")."""
    last = lambda name: next((r for r in reversed(jsonl(os.path.join(VP, name + ".h5.jsonl")))
                              if r.get("record") in ("target", "baseline")), None)
    sw, mag = last("sw-5.3m"), last("mag-5.4m")
    if not (sw and mag):
        return None
    fewer = 1 - sw["tiles"] / mag["tiles"]
    return (f"{sw['tiles']} tiles, {sw['tile_links']} links at {sw['params'] / 1e6:.2f}M against magnitude's "
            f"{mag['tiles']}, {mag['tile_links']} at {mag['params'] / 1e6:.2f}M ({100 * fewer:.0f}% fewer tiles)",
            fewer >= 0.3 and sw["tile_links"] < mag["tile_links"])


def c_fig7_vgg16():
    recs = fig7_vgg16_records("sw-5.3m")
    if len(recs) < 2:
        return None
    a, b = lc_groups(recs[0]), lc_groups(recs[-1])
    text = "; ".join(f"{g}: L {a[g][0]:.0f} -> {b[g][0]:.0f}, C {a[g][1]:.2f} -> {b[g][1]:.2f}" for g in ("conv", "fc"))
    return (f"theta 0 -> {recs[-1].get('theta')}: {text}",
            all(b[g][0] < a[g][0] and b[g][1] >= 0.8 * a[g][1] for g in ("conv", "fc")))


def c_fig9():
    runs = cgap_runs()
    seeds = sorted({s for (_, arch, s) in runs if arch == "lenet5"})
    order = [[runs.get((ds, cgap_cifar_arch(runs, s) if ds == "cifar10" else "lenet5", s), ({}, None))[0]
              .get("end", {}).get("params") for ds in ("mnist", "fashion-mnist", "cifar10")] for s in seeds]
    order = [p for p in order if None not in p]
    if not order:
        return None
    return ("; ".join(f"{p[0]:,} < {p[1]:,} < {p[2]:,}" for p in order) + f" ({n_of(len(order), 'seed')})",
            all(p[0] < p[1] < p[2] for p in order))


def c_cgap(arch):
    """CGaP against its baselines on CIFAR-10 (issue 45's goals): mean gap, parameters, training FLOPs."""
    group = [(j, base) for (ds, a, _), (j, base) in sorted(cgap_runs().items()) if ds == "cifar10" and a == arch and base]
    if not group:
        return None
    g_mean, g_seed, g_params, g_tf = cgap_goal(arch)
    gaps = [100 * (base["accuracy"] - j["end"]["test_accuracy"]) for j, base in group]
    fps = [j["end"]["params"] / max(j.get("template_params", 1), 1) for j, _ in group]
    tfs = [j.get("train_flops_ratio", 1) for j, _ in group]
    met = (statistics.mean(gaps) <= g_mean and (len(gaps) == 1 or max(gaps) <= g_seed) and max(fps) <= g_params
           and max(tfs) <= g_tf)
    return (f"{statistics.mean(gaps):+.2f} points below, {100 * statistics.mean(fps):.1f}% of the parameters, "
            f"{100 * statistics.mean(tfs):.1f}% of the training FLOPs ({n_of(len(group), 'seed')})", met)


def c_sw_cost():
    """Small-World against magnitude pruning on the chip (nnc-cost): area and interconnect energy, seed means."""
    get = lambda kind: [j for j in (load(f) for f in sorted(glob.glob(os.path.join(D, "cost", "sw", f"{kind}-s*.json")))) if j]
    sw, mag = get("sw"), get("mag")
    if not (sw and mag):
        return None
    m = lambda js, f: statistics.mean(f(j) for j in js)
    area = lambda j: j["total"]["area_mm2"]
    ic = lambda j: j["total"]["energy_j"]["interconnect"] * 1e9
    e = lambda j: j["total"]["energy_j"]["total"] * 1e9
    return (f"area {m(sw, area):.3f} vs {m(mag, area):.3f} mm^2, interconnect {m(sw, ic):.2f} vs {m(mag, ic):.2f} nJ, "
            f"energy {m(sw, e):.0f} vs {m(mag, e):.0f} nJ per image ({n_of(len(sw), 'seed')})",
            m(sw, area) < m(mag, area) and m(sw, ic) < m(mag, ic))

def c_resnet(name, least):
    j = load(os.path.join(C, name + ".eval.json"))
    if not j:
        return None
    return f"{pct(j['accuracy'])} on {j.get('samples', 0):,} test images", j["accuracy"] >= least


def c_resnet_rsa(name):
    j, ideal, gap = resnet_rsa_gap(name)
    if gap is None:
        return None
    return (f"{pct(j['accuracy_after'])} (before RSA {pct(j.get('accuracy_before'))}), {gap:.2f} below the ideal "
            f"{pct(ideal)}", gap <= RESNET_RSA_GOAL)


# (claim, the paper's number, nnc's goal, make target, artifact under OUT, extractor -> (nnc's value, met) or None)
CLAIMS = [
    ("Table I: LeNet-5, dense (MNIST)", "99.29% at 431K", ">= 99.19%", "table1", "mnist/sw/dense-s*.eval.json",
     lambda: c_accuracy("mnist/sw/dense-s*.eval.json", 0.9919)),
    ("Table I: LeNet-5, Small-World", "99.18% at 9.9K", ">= 99.10% at <= 10K", "table1", "mnist/sw/sw-s*.eval.json",
     lambda: c_accuracy("mnist/sw/sw-s*.eval.json", 0.991, 10000)),
    ("Table I: LeNet-5, magnitude pruning", "99.20% at 10.7K", ">= 99.10% at <= 10.7K", "table1", "mnist/sw/mag-s*.eval.json",
     lambda: c_accuracy("mnist/sw/mag-s*.eval.json", 0.991, 10700)),
    ("Table I: VGG-16, dense (CIFAR-10)", "92.93% at 15.3M", ">= 92.0% (JPEG images; issue 42)", "vgg16",
     "cifar10/vgg16*.eval.json", c_vgg16),
    ("Table I: VGG-16, pruning (Zhang et al.)", "93.40% at 5.4M", "within 0.3 of dense at <= 5.4M", "table1-vgg16",
     "cifar10/vgg16-prune/mag-5.4m.eval.json", lambda: c_vgg16_pruned("mag-5.4m", 5.4e6, 0.3)),
    ("Table I: VGG-16, Small-World", "93.10% at 5.3M", "within 0.3 of dense at <= 5.3M", "table1-vgg16",
     "cifar10/vgg16-prune/sw-5.3m.eval.json", lambda: c_vgg16_pruned("sw-5.3m", 5.3e6, 0.3)),
    ("Table I: VGG-16, 90.8% pruned", "93.24% at 1.4M", "within 0.5 of dense at <= 1.41M", "table1-vgg16",
     "cifar10/vgg16-prune/mag-1.41m.eval.json", lambda: c_vgg16_pruned("mag-1.41m", 1.41e6, 0.5)),
    ("Table I hardware: Small-World VGG-16 against magnitude", "locally dense, globally sparse",
     ">= 30% fewer tiles, fewer tile links", "table1-vgg16", "cifar10/vgg16-prune/*.h5.jsonl", c_vgg16_tiles),
    ("ResNet-20 on CIFAR-10", "91.25% (He et al. 2016)", ">= 90.5% (JPEG images; issue 44)", "resnet",
     "cifar10/resnet20.eval.json", lambda: c_resnet("resnet20", 0.905)),
    ("ResNet-32 on CIFAR-10", "92.49% (He et al. 2016)", ">= 91.5% (JPEG images; issue 44)", "resnet",
     "cifar10/resnet32.eval.json", lambda: c_resnet("resnet32", 0.915)),
    ("ResNet-32 chip (sigma 0.1, default faults): fault-aware mapping and 5% RSA", "-",
     f"within {RESNET_RSA_GOAL:g} of ideal (issue 44)", "resnet", f"cifar10/resnet32/rsa-fa/{RESNET_RSA}.json",
     lambda: c_resnet_rsa("resnet32")),
    ("Figure 2: LeNet-5 on RRAM chips", "accuracy falls with variation and stuck-at faults", "both cost accuracy",
     "degradation", "mnist/degradation/max/*.json", c_degradation),
    ("Figure 4: RSA on LeNet-5 chips (sigma 0.1)", "< 5% cells recover the accuracy", "within 0.3 of ideal at 5%",
     "fig4", "mnist/rsa-goal/rsa-*-c*.json", c_rsa_goal),
    ("RSA on cnn9 chips (CIFAR-10, sigma 0.1, 1 epoch)", "5% cells: more than +10 points", "> +10 points", "cifar",
     "cifar10/rsa/s0.1-*-0.05.json", lambda: c_rsa_rise("cifar10/rsa/s0.1-*-0.05.json", 0.10)),
    ("Figure 4 on cnn9: density 2, 5, 10%, 5 epochs", "(LeNet-5 only)", ">= 76.8, 79.5, 81.3% (issue 48)", "fig4",
     "cifar10/rsa/s0.1-*-*-e5.json", c_cnn9_density),
    ("RSA on VGG-16 chips, default mapping", "-", "within 3 of ideal (issue 16)", "vgg16",
     "cifar10/vgg16-cut60-full20/rsa/*.json", lambda: c_vgg16_rsa("rsa")),
    ("RSA on VGG-16 chips, fault-aware mapping", "-", "within 3 of ideal (issue 16)", "fault-aware",
     "cifar10/vgg16-cut60-full20/rsa-fa/*.json", lambda: c_vgg16_rsa("rsa-fa")),
    ("Figure 4: RSA against R-V-W in modeled time", "RSA 10-100x faster at equal or better accuracy",
     ">= 10x, accuracy >= R-V-W's", "fig4", "mnist/rsa/s*-*-0.05.json", c_rvw),
    ("Figure 7: L and C against theta (LeNet-5)", "L falls with theta, C stays high", "L falls, C keeps >= 80%",
     "fig7", "mnist/sw/theta-s1.h5.jsonl", c_fig7),
    ("Figure 7 on VGG-16: L and C against theta, conv and fc", "L falls with theta, C stays high",
     "L falls, C keeps >= 80% in both", "fig7-vgg16", "cifar10/vgg16-prune/sw-5.3m.h5.jsonl", c_fig7_vgg16),
    ("Figure 9: CGaP widths by dataset (LeNet-5; CIFAR-10 cnn9)", "MNIST < Fashion-MNIST < CIFAR-10", "the order on every seed",
     "fig9", "cgap/*-cgap*.h5.json", c_fig9),
    ("CGaP on cnn9 (CIFAR-10, 30 epochs)", "as accurate, smaller (CGaP paper)",
     "mean within 0.5, no seed 1.0 below, <= 50% params, <= 60% training FLOPs", "cgap-cifar",
     "cgap/cifar10-cnn9-cgap*.h5.json", lambda: c_cgap("cnn9")),
    ("CGaP on VGG-16 (CIFAR-10)", "VGG-19, CIFAR-100: 78.9% fewer params, 53.2% fewer FLOPs",
     "within 0.5, <= 40% params, <= 50% training FLOPs", "cgap-cifar", "cgap/cifar10-vgg16-cgap.h5.json",
     lambda: c_cgap("vgg16")),
    ("Small-World on the chip: lower memory and interconnect cost (LeNet-5)", "qualitative",
     "less area and interconnect energy than magnitude pruning", "cost", "mnist/cost/sw/*.json", c_sw_cost),
]


def claim_table():
    rows = ["## The paper's claims", "",
            f"nnc's numbers from {OUT} ({PROFILE} settings" + (": small, so most goals are not met" if PROFILE == "quick"
                                                               else "") + "); \"not run\": the step's output is missing.", "",
            "| claim | paper | nnc | goal | met | target | artifact |", "|---|---|---|---|---|---|---|"]
    for claim, paper, goal, target, artifact, extract in CLAIMS:
        r = extract()
        nnc, met = (r[0], "met" if r[1] else "not met") if r else ("not run", "-")
        where = f"`{os.path.join(OUT, artifact)}`" if artifact else "-"
        target = f"`{target}`" if target else "none yet (issue 42)"
        rows.append(f"| {claim} | {paper} | {nnc} | {goal} | {met} | {target} | {where} |")
    return rows + [""]


lines[CLAIMS_AT:CLAIMS_AT] = claim_table()

with open(os.path.join(OUT, "report.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
