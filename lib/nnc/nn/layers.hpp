// The layers of the spec grammar (docs/design.md section 5). Each is state plus the interface;
// the arithmetic lives in layers.cpp.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/layer.hpp"
#include "nnc/nn/readout.hpp"
#include "nnc/nn/winograd.hpp"

namespace nnc {

// A transformed filter as the Winograd products take it: float matrices (nn/winograd.hpp), or,
// with bf16 products, packed for them (nn/gemm_bf16.hpp) and the float ones freed.
struct WinogradFilter {
  WinogradMatrices u;
  std::array<PackedA, kWinogradMaxPoints> packed;
  bool bf16 = false;
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
  using Layer::params;
  void prepare_inference() override;
  int inference_samples() const override;
  LayerPtr clone() const override { return std::make_unique<Conv2d>(*this); }
  double macs() const override;
  Param* weight_param() override { return &weight; }
  const Param* weight_param() const override { return &weight; }
  int width() const override { return out_channels_; }
  int input_units() const override { return in_.c; }
  void set_width(int out) override { out_channels_ = out; }

  int out_channels() const { return out_channels_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int pad() const { return pad_; }
  bool has_bias() const { return has_bias_; }
  int rows() const { return in_.c * kernel_ * kernel_; }  // inputs of the unrolled matrix
  // Whether forward and backward take the Winograd path (nn/winograd.hpp) rather
  // than im2col: kernel 3, stride 1, padding 1, no readout (a readout reads the im2col product's
  // partial sums, so a chip with an ADC keeps im2col), and at least kWinogradMinChannels inputs.
  bool uses_winograd() const;
  // With few input channels (cnn9's first layer has 3) the GEMMs are short and the transforms,
  // which move 16 values per 2x2 tile and channel, cost more than the multiplications saved:
  // at 32x32, 32 outputs, batch 64, one thread, Winograd took 1.8x im2col's time with 3 inputs,
  // about the same with 8, 0.7x with 16 and 0.55x with 32.
  static constexpr int kWinogradMinChannels = 16;
  // Whether forward takes the direct path instead (3x3, stride 1, padding 1, no readout, fewer
  // than kWinogradMinChannels inputs); backward keeps im2col.
  bool uses_direct() const;
  // The Winograd path's output tile: F(4x4,3x3) (2.25 multiplications per output and input
  // channel instead of F(2x2,3x3)'s 4) on maps of at least kWinograd4MinSize a side;
  // F(2x2,3x3) on smaller ones (VGG-16's 2x2), which a 4x4 tile would mostly pad.
  static constexpr int kWinograd4MinSize = 4;
  int winograd_tile() const;
  // Whether the Winograd path's forward (or backward) pass transforms the whole batch and
  // runs its GEMMs (one per point) side by side, rather than a chunk per thread in cache-sized
  // blocks: for output maps too small for a chunk to give enough tiles (layers.cpp).
  bool winograd_whole_batch(bool backward) const;
  // For an inference copy only (Model::infer): folds the batch norm that follows, y*scale[o] +
  // shift[o], into the weights and bias, applies the ReLU after it in the output pass when
  // `relu`, and a 2x2 max pool after that when `pool` (can_fuse_pool()), so that none of them
  // makes a pass of its own; forward() then writes the pooled shape. Not with a readout.
  void fuse_inference(const std::vector<Real>& scale, const std::vector<Real>& shift, bool relu, bool pool);
  // Whether the output pass can pool 2x2 (the Winograd path, whose tiles hold whole 2x2
  // windows on even maps).
  bool can_fuse_pool() const { return uses_winograd() && out_.h % 2 == 0 && out_.w % 2 == 0; }
  Param weight{"weight"}, bias{"bias"};
  // How the product is read out (nn/readout.hpp); null: the exact product. Set on a chip with an
  // ADC (device/adc.hpp AdcReadout, device/chip.hpp attach_adc).
  ReadoutPtr readout;

 private:
  void im2col(const Tensor& x, int begin, int end, Matrix& cols) const;
  void col2im(const Matrix& dcols, int begin, int end, Tensor& dx) const;
  void forward_im2col(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  void backward_im2col(const Tensor& x, const Tensor& dy, Tensor* dx);
  void forward_direct(const Tensor& x, Tensor& y);
  void forward_winograd(const Tensor& x, Tensor& y);
  void backward_winograd(const Tensor& x, const Tensor& dy, Tensor* dx);
  void backward_winograd_batch(const Tensor& x, const Tensor& dy, Tensor* dx);
  void sum_chunk_gradients(int chunks);
  void release_winograd();
  int out_channels_, kernel_, stride_, pad_;
  bool has_bias_;
  bool relu_out_ = false;  // fuse_inference: the output pass applies max(0, .)
  bool pool_out_ = false;  // fuse_inference: and pools 2x2
  // The Winograd path's transformed matrices, each in_.c x T or out_channels_ x T, and its
  // filter gradient; outside a prepared inference copy, freed after each pass
  // (release_winograd).
  // a and b: a product's operands in bf16 (nn/gemm_bf16.hpp).
  struct Work {
    Matrix cols, out, dout, dcols, dw, part;
    Vector db;
    WinogradMatrices t_in, t_out, du;
    PackedA a;
    PairsB b;
  };
  // The Winograd path's transformed filter of the current pass: forward's U (out x in), or in
  // backward the rotated filter of the input gradient (in x out); made once per call. Shared,
  // never written once made: the per-thread copies of Model::infer share one.
  std::shared_ptr<const WinogradFilter> filter_;
  // filter_ holds forward's U of the weights as prepare_inference() found them, so forward
  // need not transform them again for every chunk (backward clears it).
  bool filter_ready_ = false;
  ScratchBuffers<Work> work_;     // one per sample chunk, reused from batch to batch
  ScratchBuffers<Work> scratch_;  // one per thread: buffers not kept from one pass to the next
  ScratchBuffers<Work> batch_;    // the whole-batch Winograd schedule's matrices (one Work)
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
