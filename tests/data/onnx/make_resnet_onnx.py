#!/usr/bin/python3
"""Writes the residual ONNX fixtures of nnc's tests (tests/test_onnx_graph.cpp): a tiny CIFAR
ResNet of He et al. 2016 (widths 4/8/16, one basic block per stage) with random weights and
batch-norm statistics (fixed seed), for each shortcut kind, exported by PyTorch's own exporter
at opsets 11 and 17, and PyTorch's logits for a fixed input batch. They are committed, so the
tests need no torch.

  resnet_a_op11.onnx  option A (x[:, :, ::2, ::2] zero-padded in channels), dynamic batch
  resnet_a_op17.onnx  option A, batch fixed at 4
  resnet_b_op11.onnx  option B (1x1 conv + batch norm projection), batch fixed at 4
  resnet_b_op17.onnx  option B, dynamic batch
  resnet_a2_op13.onnx option A as torch.cat of torch.zeros(x.size(0), ...) around a
                      MaxPool2d(1, 2) (Concat, ConstantOfShape over Shape), dynamic batch;
                      the same weights as option A's, so resnet_a_logits.pb
At opset 11 the exporter's defaults (each batch norm folded into its convolution's weights and
bias, constants folded); at opset 17 BatchNormalization nodes kept and nothing folded.
  resnet_input.pb     the input batch, float32 [4, 3, 16, 16]
  resnet_{a,b}_logits.pb  PyTorch's logits on it, float32 [4, 10]

Option A's network ends as the akamaster CIFAR ResNets do (F.avg_pool2d over the whole side,
out.view(out.size(0), -1): AveragePool, and with a dynamic batch Shape/Gather/Concat/Reshape);
option B's as torchvision does (AdaptiveAvgPool2d(1), torch.flatten: GlobalAveragePool,
Flatten). bench/resnet20_onnx_check.py imports this module for the full ResNet-20.

Run from this directory with Debian's python3-torch and python3-onnx:
  /usr/bin/python3 make_resnet_onnx.py
"""
import io
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class LambdaLayer(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            pad = (planes - in_planes) // 2
            if option == "A":
                self.shortcut = LambdaLayer(
                    lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0))
            elif option == "A2":  # the same shortcut written with a 1x1 max pool and torch.cat
                subsample = nn.MaxPool2d(1, stride)

                def cat_zeros(x):
                    y = subsample(x)
                    z = torch.zeros(y.size(0), pad, y.size(2), y.size(3), dtype=y.dtype)
                    return torch.cat([z, y, z], 1)
                self.shortcut = LambdaLayer(cat_zeros)
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    """He et al. 2016's CIFAR ResNet: 6n + 2 layers of the given widths."""

    def __init__(self, n, widths=(16, 32, 64), option="A", classes=10):
        super().__init__()
        self.option = option
        w = widths[0]
        self.conv1 = nn.Conv2d(3, w, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        blocks = []
        for stage, planes in enumerate(widths):
            for b in range(n):
                stride = 2 if stage > 0 and b == 0 else 1
                blocks.append(BasicBlock(w, planes, stride, option))
                w = planes
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(w, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.blocks(out)
        if self.option in ("A", "A2"):
            out = F.avg_pool2d(out, int(out.size(3)))
            out = out.view(out.size(0), -1)
        else:
            out = torch.flatten(self.pool(out), 1)
        return self.linear(out)


def randomize(model, seed):
    """Random weights and non-trivial batch-norm statistics, so every parameter matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (1.0 / m.in_features) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    return model.eval()


def export(model, x, opset, dynamic_batch, keep_bn):
    """The ONNX bytes of torch.onnx.export. By default (keep_bn False) the exporter folds each
    batch norm into the convolution before it and folds constants; with keep_bn it keeps the
    BatchNormalization nodes (training=PRESERVE of a model in eval mode) and folds nothing."""
    f = io.BytesIO()
    kw = {}
    if dynamic_batch:
        kw["dynamic_axes"] = {"input": {0: "N"}, "logits": {0: "N"}}
    if keep_bn:
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
        kw["do_constant_folding"] = False
    torch.onnx.export(model, x, f, opset_version=opset, input_names=["input"], output_names=["logits"], **kw)
    return f.getvalue()


def tensor_pb(array, name):
    from onnx import numpy_helper
    return numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name).SerializeToString()


def main():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    with open("resnet_input.pb", "wb") as f:
        f.write(tensor_pb(x.numpy(), "input"))
    for option, seed in (("A", 2), ("B", 3)):
        model = randomize(CifarResNet(1, (4, 8, 16), option), seed)
        with torch.no_grad():
            logits = model(x)
        tag = option.lower()
        with open(f"resnet_{tag}_logits.pb", "wb") as f:
            f.write(tensor_pb(logits.numpy(), "logits"))
        for opset in (11, 17):
            dynamic = (opset == 11) == (option == "A")
            with open(f"resnet_{tag}_op{opset}.onnx", "wb") as f:
                f.write(export(model, x, opset, dynamic, keep_bn=opset == 17))
    # Option A written another way: the same weights (the shortcut has none), so the same logits.
    model = randomize(CifarResNet(1, (4, 8, 16), "A2"), 2)
    with open("resnet_a2_op13.onnx", "wb") as f:
        f.write(export(model, x, 13, True, keep_bn=False))
    print("wrote the ResNet ONNX fixtures", file=sys.stderr)


if __name__ == "__main__":
    main()
