// The layers that residual networks add to the spec grammar (docs/design.md section 5): the
// elementwise sum of two branches, global average pooling, and the identity shortcut of He et
// al. (2016) option A. A 1x1 projection shortcut needs no layer of its own: it is a conv and a
// batch norm on a branch.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nnc/nn/layer.hpp"

namespace nnc {

// y = a + b, elementwise, of two inputs of the same shape (the end of a residual block).
// Backward writes dy to both inputs' gradients (each where asked for). With
// ForwardContext::relu_after, y = max(0, a + b): the ReLU after the block in the same pass, and
// backward takes the gradient of the ReLU's output.
class Add : public Layer {
 public:
  std::string type() const override { return "add"; }
  std::string spec() const override { return "add"; }
  int arity() const override { return 2; }
  Shape setup_inputs(const std::vector<Shape>& in) override;
  void forward_inputs(const std::vector<const Tensor*>& x, Tensor& y, const ForwardContext& ctx) override;
  void backward_inputs(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                       const std::vector<Tensor*>& dx) override;
  // The one-input interface does not apply: these throw.
  Shape setup(Shape in) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<Add>(*this); }
  double macs() const override { return 0; }

 private:
  bool last_relu_ = false;  // the last forward pass applied the ReLU after it (relu_after)
};

// Global average pooling: [C][H][W] to [C][1][1], each channel's mean.
class GlobalAvgPool : public Layer {
 public:
  std::string type() const override { return "gap"; }
  std::string spec() const override { return "gap"; }
  Shape setup(Shape in) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<GlobalAvgPool>(*this); }
};

// The identity shortcut of He et al. 2016, option A, for a block that changes the width:
// every S-th row and column from the first (a C x H x W input gives C x ceil(H/S) x ceil(W/S)),
// the C input channels placed at channels [(N - C) / 2, (N - C) / 2 + C) of the N outputs and
// the other channels zero (the zero padding of the new channels on both sides, as PyTorch's
// CIFAR ResNets write it: x[:, :, ::2, ::2] padded by N/4 channels each side). No parameters.
class PadShortcut : public Layer {
 public:
  PadShortcut(int channels, int stride) : channels_(channels), stride_(stride) {}
  std::string type() const override { return "shortcut"; }
  std::string spec() const override;
  Shape setup(Shape in) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<PadShortcut>(*this); }
  int channels() const { return channels_; }
  int stride() const { return stride_; }
  int channel_offset() const { return (channels_ - in_.c) / 2; }

 private:
  int channels_, stride_;
};

}  // namespace nnc
