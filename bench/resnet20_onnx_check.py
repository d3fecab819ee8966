#!/usr/bin/python3
"""PyTorch's CIFAR ResNet-20 through ONNX into nnc and back (issue 44), run by hand:

  1. builds He et al.'s ResNet-20 (widths 16/32/64, three basic blocks per stage) in PyTorch with
     each shortcut kind (A: x[:, :, ::2, ::2] zero-padded in channels; B: 1x1 conv + batch norm),
     random weights and batch-norm statistics (fixed seed; the dense layer scaled so that the
     largest logit is --logit-scale, 20, as a trained network's are), and exports it with torch.onnx at
     opsets 11 (the exporter's defaults: batch norm folded into the convolutions) and 17
     (BatchNormalization kept, nothing folded);
  2. nnc-import, then nnc's logits (bench onnx-logits: Model::infer as nnc-eval runs it, float
     products) against PyTorch's on the same images: the first --images CIFAR-10 test images
     (data/cifar-10-batches-bin, normalized per channel) or, without them, random ones;
  3. nnc-export of the imported model, checked by onnx.checker and evaluated node by node with
     PyTorch's own operators (torch.nn.functional), against PyTorch's logits again.

Prints one line per model and check, and exits 1 if a difference passes --tol (1e-4).
Usage: /usr/bin/python3 bench/resnet20_onnx_check.py [--bin build/bin] [--images 1000] [--work DIR]
Needs Debian's python3-torch and python3-onnx, and a build with the tools and onnx-logits.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "onnx"))
from make_resnet_onnx import CifarResNet, export, randomize  # noqa: E402


def cifar_images(data_dir, n, seed):
    path = os.path.join(data_dir, "test_batch.bin")
    if os.path.exists(path):
        raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:n, 1:].reshape(-1, 3, 32, 32)
        mean = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)[None, :, None, None]
        std = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)[None, :, None, None]
        return (raw.astype(np.float32) / 255 - mean) / std, "CIFAR-10 test images"
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3, 32, 32)).astype(np.float32), "random images (no CIFAR-10 at " + data_dir + ")"


def run_onnx_with_torch(path, x):
    """Evaluates an ONNX graph node by node with PyTorch's operators (the ops nnc-export writes)."""
    g = onnx.load(path).graph
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
    env[g.input[0].name] = x
    for n in g.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [env[s] if s else None for s in n.input]
        op = n.op_type
        if op == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3], "asymmetric pads"
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                         padding=(p[0], p[1]))
        elif op == "BatchNormalization":
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "GlobalAveragePool":
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif op in ("AveragePool", "MaxPool"):
            f = F.avg_pool2d if op == "AveragePool" else F.max_pool2d
            y = f(i[0], tuple(a["kernel_shape"]), tuple(a.get("strides", a["kernel_shape"])))
        elif op == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Gemm":
            b = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (i[0] @ b) + (a.get("beta", 1.0) * i[2] if len(i) > 2 else 0)
        elif op == "Slice":
            starts, ends = i[1].tolist(), i[2].tolist()
            axes = i[3].tolist() if len(i) > 3 else list(range(len(starts)))
            steps = i[4].tolist() if len(i) > 4 else [1] * len(starts)
            index = [slice(None)] * i[0].dim()
            for s, e, ax, st in zip(starts, ends, axes, steps):
                index[ax] = slice(s, e, st)
            y = i[0][tuple(index)]
        elif op == "Pad":
            pads, r = i[1].tolist(), i[0].dim()
            assert a.get("mode", b"constant") in (b"constant", "constant")
            torch_pads = []
            for ax in reversed(range(r)):
                torch_pads += [pads[ax], pads[ax + r]]
            y = F.pad(i[0], torch_pads, "constant", float(i[2]) if len(i) > 2 and i[2] is not None else 0.0)
        elif op in ("Identity", "Dropout"):
            y = i[0]
        else:
            raise SystemExit(f"{path}: no PyTorch counterpart here for {op}")
        env[n.output[0]] = y
    return env[g.output[0].name]


def compare(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b).max(), int((a.argmax(1) == b.argmax(1)).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--data-dir", default="data/cifar-10-batches-bin")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--work", default="")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--logit-scale", type=float, default=20.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    work = args.work or tempfile.mkdtemp(prefix="nnc-resnet20-onnx-")
    os.makedirs(work, exist_ok=True)
    images, what = cifar_images(args.data_dir, args.images, args.seed)
    x = torch.from_numpy(images)
    images.tofile(os.path.join(work, "input.f32"))
    print(f"inputs: {len(images)} {what}; work in {work}")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    tool = lambda name, *a: subprocess.run([os.path.join(args.bin, name), *a], check=True, env=env,  # noqa: E731
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    worst = 0.0
    for option, seed in (("A", args.seed), ("B", args.seed + 1)):
        model = randomize(CifarResNet(3, (16, 32, 64), option), seed)
        with torch.no_grad():
            # Random weights give logits in the hundreds; the dense layer scaled so that the
            # largest is --logit-scale, as a trained CIFAR network's are, keeps 1e-4 meaningful
            # (float rounding is relative: the differences scale with the logits).
            raw = np.abs(model(x).numpy()).max()
            model.linear.weight.mul_(args.logit_scale / raw)
            model.linear.bias.mul_(args.logit_scale / raw)
            want = model(x).numpy()
        scale = np.abs(want).max()
        print(f"resnet20 option {option}: largest |logit| {raw:.3g} with random weights, {scale:.3g} after scaling "
              "the dense layer")
        for opset in (11, 17):
            tag = f"resnet20_{option.lower()}_op{opset}"
            onnx_path, h5, logits = (os.path.join(work, tag + s) for s in (".onnx", ".h5", "_nnc.f32"))
            with open(onnx_path, "wb") as f:
                f.write(export(model, x[:2], opset, dynamic_batch=True, keep_bn=opset == 17))
            tool("nnc-import", onnx_path, "-o", h5, "--arch-name", tag)
            tool("onnx-logits", h5, os.path.join(work, "input.f32"), logits)
            got = np.fromfile(logits, dtype=np.float32).reshape(want.shape)
            d, agree = compare(got, want)
            worst = max(worst, d)
            print(f"{tag}: nnc-import, nnc's logits vs PyTorch's: max |diff| {d:.3g} ({d / scale:.2g} of the largest "
                  f"|logit|), argmax agrees on {agree}/{len(want)}")
            back = os.path.join(work, tag + "_nnc_export.onnx")
            tool("nnc-export", h5, "-o", back)
            onnx.checker.check_model(onnx.load(back))
            with torch.no_grad():
                again = run_onnx_with_torch(back, x).numpy()
            d2, agree2 = compare(again, want)
            d3, _ = compare(again, got)
            worst = max(worst, d2)
            print(f"{tag}: nnc-export, the exported graph run by PyTorch's operators vs PyTorch's model: "
                  f"max |diff| {d2:.3g}, argmax agrees on {agree2}/{len(want)}; vs nnc's logits {d3:.3g}")
    ok = worst <= args.tol
    print(f"largest difference {worst:.3g}: {'within' if ok else 'OVER'} {args.tol:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
