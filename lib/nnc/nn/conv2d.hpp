// Conv2d, the convolution layer of the spec grammar (`cN[kK][sS][pP]`, docs/design.md
// section 5): its state and interface; the arithmetic (im2col, direct, Winograd) is in conv2d.cpp.
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
  // Whether forward takes the direct path instead (3x3, padding 1, no readout; stride 1 with
  // fewer than kWinogradMinChannels inputs, or, at inference, stride 2 with output rows of at
  // least kDirectMinWidth, a vector register of floats: ResNets' first conv of a stage at
  // 16x16; training keeps im2col there, whose unrolled input backward reuses); backward keeps
  // im2col.
  bool uses_direct(bool training = false) const;
  static constexpr int kDirectMinWidth = 16;
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
  // makes a pass of its own; forward() then writes the pooled shape. With a readout the
  // weights stay (the read-out must see the array's own sums): the output pass applies the
  // batch norm's map to the sums read out, then the ReLU and the pool, with the float
  // operations of those layers in their order (after_readout_plane in conv2d.cpp), so the
  // output is the layers' to the bit.
  void fuse_inference(const std::vector<Real>& scale, const std::vector<Real>& shift, bool relu, bool pool);
  // Whether the output pass can pool 2x2: the Winograd path, whose tiles hold whole 2x2
  // windows on even maps; with a readout every path, whose output pass goes plane by plane.
  bool can_fuse_pool() const {
    return readout ? out_.h >= 2 && out_.w >= 2 : uses_winograd() && out_.h % 2 == 0 && out_.w % 2 == 0;
  }
  Param weight{"weight"}, bias{"bias"};
  // How the product is read out (nn/readout.hpp); null: the exact product. Set on a chip with an
  // ADC (device/adc.hpp AdcReadout, device/chip.hpp attach_adc).
  ReadoutPtr readout;

 private:
  void im2col(const Tensor& x, int begin, int end, Matrix& cols) const;
  void col2im(const Matrix& dcols, int begin, int end, Tensor& dx) const;
  void forward_im2col(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  // Whether the readout reads each row block's partial sums (an ADC), which keeps im2col; a
  // readout that only adds noise to the sums (PartialSumReadout::sums_only) does not.
  bool reads_blocks() const { return readout && !readout->sums_only(); }
  void add_sum_noise(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  // An inference pass through a readout that reads each row block, on the Winograd path: one
  // input transform, then per block the transform-domain products over the block's channels
  // with the block's filter and an output transform (docs/algorithms.md "ADC resolution").
  bool reads_blocks_by_winograd(const ForwardContext& ctx) const;
  void forward_winograd_blocks(const Tensor& x, Tensor& y, const ForwardContext& ctx);
  static constexpr int kBlocksChunk = 64;  // its samples per chunk (and inference_samples()): 4 x kSampleChunk
  // forward_winograd_blocks' transformed filters: per row block the analog weights' and, with
  // read noise, the noise power's; the digital part's (null: none).
  struct BlockFilters {
    std::vector<std::shared_ptr<const WinogradFilter>> signal, variance;
    std::shared_ptr<const WinogradFilter> digital;
  };
  std::shared_ptr<const BlockFilters> block_filters(const Real* analog, const Vector& digital) const;
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
  // fuse_inference on a layer with a readout: the batch norm's map (scale empty: none fused),
  // the ReLU and the 2x2 max pool that the output pass applies after the read-out.
  struct AfterReadout {
    std::vector<Real> scale, shift;
    bool relu = false, pool = false;
  } after_;
  bool fused_after_readout() const { return !after_.scale.empty(); }
  Shape fused_output_shape() const { return after_.pool ? Shape{out_.c, out_.h / 2, out_.w / 2} : out_; }
  // Sample smp's output channel o of an output pass with after_: from P = out h * w sums read
  // out, in a row (plus the bias when `add_bias`), into y.
  void after_readout(const Real* sums, bool add_bias, int smp, int o, Tensor& y) const;
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
  // An inference copy's filters for its readout (prepare_inference(); null: made in every
  // pass): the row blocks' (forward_winograd_blocks), or, with read noise on the whole sums,
  // the noise power's transform for add_sum_noise's variance convolution.
  std::shared_ptr<const BlockFilters> block_filters_;
  std::shared_ptr<const WinogradFilter> variance_filter_;
  ScratchBuffers<Work> work_;     // one per sample chunk, reused from batch to batch
  ScratchBuffers<Work> scratch_;  // one per thread: buffers not kept from one pass to the next
  ScratchBuffers<Work> batch_;    // the whole-batch Winograd schedule's matrices (one Work)
  ScratchBuffers<Tensor> noisy_;  // with after_ and noise on the whole sums: the sums read out
  // work_[k].cols hold the unrolled input `cols_of_` of the last training forward pass (null
  // when not kept), so that backward need not unroll it again.
  const Tensor* cols_of_ = nullptr;
  int cols_n_ = 0;
};

}  // namespace nnc
