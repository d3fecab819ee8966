// The layers of the spec grammar (docs/design.md section 5). Each is state plus the interface;
// the arithmetic lives in layers.cpp, Conv2d's in conv2d.cpp.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "nnc/nn/conv2d.hpp"
#include "nnc/nn/layer.hpp"
#include "nnc/nn/readout.hpp"

namespace nnc {

// Fully connected: weight [out][in], i.e. column-major in x out.
class Dense : public Layer {
 public:
  explicit Dense(int out) : outputs_(out) {}
  std::string type() const override { return "dense"; }
  std::string spec() const override { return "fc" + std::to_string(outputs_); }
  Shape setup(Shape in) override;
  void init(Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::vector<Param*> params() override { return {&weight, &bias}; }
  using Layer::params;
  LayerPtr clone() const override { return std::make_unique<Dense>(*this); }
  double macs() const override { return double(in_.size()) * outputs_; }
  Param* weight_param() override { return &weight; }
  const Param* weight_param() const override { return &weight; }
  int width() const override { return outputs_; }
  int input_units() const override { return static_cast<int>(in_.size()); }
  void set_width(int out) override { outputs_ = out; }

  int outputs() const { return outputs_; }
  Param weight{"weight"}, bias{"bias"};
  // How the product is read out (nn/readout.hpp); null: the exact product. Set on a chip with an
  // ADC (device/adc.hpp AdcReadout, device/chip.hpp attach_adc).
  ReadoutPtr readout;

 private:
  void forward_readout(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  void add_sum_noise(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  int outputs_;
  ScratchBuffers<Matrix> dw_;  // per sample chunk
  ScratchBuffers<Vector> db_;
};

// The readout slot of a conv or dense layer (nn/readout.hpp); null for any other layer.
ReadoutPtr* readout_slot(Layer& l);
const ReadoutPtr* readout_slot(const Layer& l);

class Relu : public Layer {
 public:
  std::string type() const override { return "relu"; }
  std::string spec() const override { return "relu"; }
  Shape setup(Shape in) override { return out_ = in_ = in; }
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<Relu>(*this); }
};

// Max or average pooling over k x k windows with stride k (rows and columns that do not fill
// a window are dropped).
class Pool : public Layer {
 public:
  Pool(bool max, int k) : max_(max), k_(k) {}
  std::string type() const override { return max_ ? "maxpool" : "avgpool"; }
  std::string spec() const override { return (max_ ? "mp" : "ap") + std::to_string(k_); }
  Shape setup(Shape in) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<Pool>(*this); }
  bool is_max() const { return max_; }
  int kernel() const { return k_; }

 private:
  bool max_;
  int k_;
  std::vector<int> argmax_;  // per output element of the last forward, for max pooling
};

// Batch normalization per channel (conv) or per feature (dense): gamma, beta, and running
// statistics used at inference (momentum 0.1, unbiased running variance, eps 1e-5).
class BatchNorm : public Layer {
 public:
  std::string type() const override { return "bn"; }
  std::string spec() const override { return "bn"; }
  Shape setup(Shape in) override;
  void init(Rng&) override { reset(); }
  void reset();  // gamma 1, beta 0, running mean 0, running variance 1
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::vector<Param*> params() override { return {&gamma, &beta, &running_mean, &running_var}; }
  using Layer::params;
  LayerPtr clone() const override { return std::make_unique<BatchNorm>(*this); }

  // The map inference applies, y = x*scale[c] + shift[c], from the running statistics.
  void inference_affine(std::vector<Real>& scale, std::vector<Real>& shift) const;

  static constexpr double kEps = 1e-5;
  static constexpr double kMomentum = 0.1;
  Param gamma{"gamma"}, beta{"beta"}, running_mean{"running_mean"}, running_var{"running_var"};
  bool frozen = false;  // training-mode passes use running statistics and do not update them

 private:
  std::vector<double> mean_, inv_std_;  // used by the last forward pass
  bool last_batch_stats_ = false;
  bool last_relu_ = false;  // the last forward pass applied the ReLU after it (relu_after)
};

// Inverted dropout: at training, each activation is zeroed with probability p and the rest
// scaled by 1/(1-p); identity at inference.
class Dropout : public Layer {
 public:
  explicit Dropout(double p) : p_(p) {}
  std::string type() const override { return "dropout"; }
  std::string spec() const override;
  Shape setup(Shape in) override { return out_ = in_ = in; }
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<Dropout>(*this); }
  double rate() const { return p_; }

 private:
  double p_;
  std::vector<std::uint8_t> keep_;
};

// [C][H][W] to a flat vector: the data does not move, only the shape changes.
class Flatten : public Layer {
 public:
  std::string type() const override { return "flatten"; }
  std::string spec() const override { return "flat"; }
  Shape setup(Shape in) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  LayerPtr clone() const override { return std::make_unique<Flatten>(*this); }
};

}  // namespace nnc
