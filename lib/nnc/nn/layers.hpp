// The layers of the spec grammar (docs/design.md section 5). Each is state plus the interface;
// the arithmetic lives in layers.cpp.
#pragma once
#include <optional>
#include <vector>

#include "nnc/nn/layer.hpp"

namespace nnc {

// A crossbar read out through an ADC (docs/design.md section 6, docs/algorithms.md "ADC").
// When a conv or dense layer has one, its product is computed per block of `block_rows` inputs (one tile row
// of the crossbar matrix), each block's column sums (one per output, sample and output
// position) are quantized, and the blocks are added digitally; the digital part of the weight
// (weight - analog: RSA cells) is multiplied unquantized and added after the ADC. Without one
// (the default) the layer computes exactly as if this did not exist. Backward ignores the ADC:
// a straight-through estimator (the quantizer's derivative taken as 1), so the weight
// gradient of the digital part is exact and the input gradient is that of the unquantized sum.
struct AdcReadout {
  int block_rows = 128;  // inputs per block (the chip's tile size)
  int bits = 8;          // 2^bits levels: round(v / step) clamped to [-2^(bits-1), 2^(bits-1) - 1]
  // Per block: the largest |column sum| resolved; step = full_scale / (2^(bits-1) - 1). A block
  // with full scale 0 reads 0.
  std::vector<double> full_scale;
  // The weights on the crossbar, in the weight's layout. Empty: all of the layer's weight.
  Vector analog;
  // Calibration pass: when true, forward does not quantize and raises observed[b] to the
  // largest |column sum| block b produced.
  bool calibrating = false;
  std::vector<double> observed;

  int blocks(int rows) const { return (rows + block_rows - 1) / block_rows; }
  // Quantizes every value of part with block b's step (in place).
  void quantize(Matrix& part, int b) const;
};

// Convolution: `out` filters of kernel x kernel, stride, zero padding. Weight
// [out][in][k][k]; seen as an Eigen matrix it is column-major (in*k*k) x out, the crossbar's
// orientation (rows are inputs, row = cin*k*k + i*k + j).
class Conv2d : public Layer {
 public:
  Conv2d(int out, int kernel, int stride, int pad, bool bias)
      : out_channels_(out), kernel_(kernel), stride_(stride), pad_(pad), has_bias_(bias) {}
  std::string type() const override { return "conv"; }
  std::string spec() const override;
  Shape setup(Shape in) override;
  void init(Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::vector<Param*> params() override;
  LayerPtr clone() const override { return std::make_unique<Conv2d>(*this); }
  double macs() const override;

  int out_channels() const { return out_channels_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int pad() const { return pad_; }
  bool has_bias() const { return has_bias_; }
  int rows() const { return in_.c * kernel_ * kernel_; }  // inputs of the unrolled matrix
  // Changes the number of filters (CGaP); Model::setup() must run before the next pass.
  void set_width(int out) { out_channels_ = out; }
  Param weight{"weight"}, bias{"bias"};
  std::optional<AdcReadout> adc;  // set on a chip with an ADC (device/chip.hpp attach_adc)

 private:
  void im2col(const Tensor& x, int begin, int end, Matrix& cols) const;
  void col2im(const Matrix& dcols, int begin, int end, Tensor& dx) const;
  int out_channels_, kernel_, stride_, pad_;
  bool has_bias_;
  struct Work { Matrix cols, out, dout, dcols, dw, part; Vector db; };
  std::vector<Work> work_;     // one per sample chunk, reused from batch to batch
  std::vector<Work> scratch_;  // one per thread: buffers not kept from one pass to the next
  // work_[k].cols hold the unrolled input `cols_of_` of the last training forward pass (null
  // when not kept), so that backward need not unroll it again.
  const Tensor* cols_of_ = nullptr;
  int cols_n_ = 0;
};

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
  LayerPtr clone() const override { return std::make_unique<Dense>(*this); }
  double macs() const override { return double(in_.size()) * outputs_; }

  int outputs() const { return outputs_; }
  // Changes the number of outputs (CGaP); Model::setup() must run before the next pass.
  void set_width(int out) { outputs_ = out; }
  Param weight{"weight"}, bias{"bias"};
  std::optional<AdcReadout> adc;  // set on a chip with an ADC (device/chip.hpp attach_adc)

 private:
  void forward_adc(const Tensor& x, Tensor& y);
  int outputs_;
  std::vector<Matrix> dw_;  // per sample chunk
  std::vector<Vector> db_;
};

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
  LayerPtr clone() const override { return std::make_unique<BatchNorm>(*this); }

  static constexpr double kEps = 1e-5;
  static constexpr double kMomentum = 0.1;
  Param gamma{"gamma"}, beta{"beta"}, running_mean{"running_mean"}, running_var{"running_var"};
  bool frozen = false;  // training-mode passes use running statistics and do not update them

 private:
  std::vector<double> mean_, inv_std_;  // used by the last forward pass
  bool last_batch_stats_ = false;
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
