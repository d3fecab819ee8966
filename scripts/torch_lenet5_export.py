#!/usr/bin/python3
"""Trains nnc's LeNet-5 (c20k5,mp2,c50k5,mp2,flat,fc500,relu,fc10) in PyTorch for a short
while on MNIST, exports it with torch.onnx (opset 13), and writes PyTorch's test-set logits
so that nnc-import's model can be compared with it (bench/onnx_torch_compare).

Usage: /usr/bin/python3 scripts/torch_lenet5_export.py OUT_DIR [--data-dir data/mnist]
       [--epochs 1] [--seed 1] [--threads 1]
Writes OUT_DIR/lenet5.onnx and OUT_DIR/lenet5_logits.f32 (10000 x 10 float32, row-major,
little-endian: one row of logits per MNIST test image, in file order).
Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import os
import struct
import sys

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def images(pixels):
    # nnc's MNIST normalization: x = pixel * (1 / 255) in float32.
    return torch.from_numpy(pixels.astype(np.float32)[:, None, :, :] * np.float32(1.0 / 255.0))


def lenet5():
    # Caffe's LeNet-5 as nnc's preset: no ReLU after the convolutions.
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--data-dir", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    d = args.data_dir
    train_x = images(read_idx(os.path.join(d, "train-images-idx3-ubyte"))[:55000])
    train_y = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte"))[:55000].astype(np.int64))
    test_x = images(read_idx(os.path.join(d, "t10k-images-idx3-ubyte")))
    test_y = torch.from_numpy(read_idx(os.path.join(d, "t10k-labels-idx1-ubyte")).astype(np.int64))

    model = lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(train_x.shape[0])
        for i in range(0, train_x.shape[0], args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}", file=sys.stderr)

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(test_x[i:i + 1000]) for i in range(0, test_x.shape[0], 1000)])
    acc = (logits.argmax(1) == test_y).float().mean().item()
    print(f"PyTorch test accuracy: {acc:.4f} ({test_x.shape[0]} images)", file=sys.stderr)

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "lenet5.onnx")
    torch.onnx.export(model, test_x[:1], onnx_path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    logits.numpy().astype("<f4").tofile(os.path.join(args.out_dir, "lenet5_logits.f32"))
    print(f"wrote {onnx_path} and lenet5_logits.f32 (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
