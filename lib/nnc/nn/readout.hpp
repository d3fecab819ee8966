// How a conv or dense layer's weight product is read out: the extension point through which a
// device (lib/nnc/device, e.g. device/adc.hpp AdcReadout, an ADC resolving crossbar column
// sums) changes a layer's arithmetic without nn knowing about devices (docs/design.md sections
// 2 and 6, docs/algorithms.md "ADC").
//
// A layer without a readout (the default) computes its usual single product, bit for bit as
// if this file did not exist. With one, the layer (nn/layers.cpp) cuts the crossbar matrix
// (rows = inputs, conv: in*k*k) into blocks of block_rows rows, computes each block's partial
// sums of the analog weights (one GEMM per block), lets the readout transform them in place,
// adds the blocks in block order, then adds the digital remainder (weight - analog, e.g. RSA
// cells) multiplied exactly, then the bias.
//
// A readout that needs no block's partial sums, only noise on the layer's whole sum (sums_only:
// read noise without an ADC), leaves the layer its usual product (Winograd, direct or im2col,
// the whole weight at once); the layer then computes the variance of every sum as the same
// product of the squared inputs with the readout's variance weights and lets the readout add the
// noise (add_to_sums).
//
// Backward ignores the readout: a straight-through estimator (the transform's derivative taken
// as 1), so the weight gradient of the digital part is exact and the input gradient is that of
// the untransformed sum (docs/algorithms.md "ADC and RSA").
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "nnc/nn/layer.hpp"

namespace nnc {

// One forward pass through a readout, as the layer announces it to begin_pass().
struct ReadoutPass {
  std::string layer;    // the layer's spec token, for error messages
  int rows = 0;         // rows of the layer's crossbar matrix (its inputs; conv: in*k*k)
  int blocks = 0;       // row blocks: ceil(rows / block_rows)
  int samples = 0;      // samples of the batch
  int chunks = 0;       // sample chunks the batch is cut into; transform()'s chunk is below this
  ForwardContext ctx;   // the pass's context (training, seed, step, layer index)
};

// Which partial sums one transform() call holds. The matrix `part` of a block is, for the
// chunk's samples [sample_begin, sample_end):
//   outputs_in_rows false (im2col conv):  (samples * positions) x outputs, row (s - sample_begin) * positions + p
//   outputs_in_rows true (dense; Winograd conv):  (outputs * positions) x samples, row o * positions + p,
//                                                 column s - sample_begin (the layer's output order)
// Enough to address every sum by (block, sample, position, output), e.g. to seed per-read noise.
// A read's noise depends on the block's inputs (docs/algorithms.md "Read noise"): either the
// layer gives the variance of every sum of part (`variance`, part's layout: a Winograd conv
// computes it as a second product), or the block's inputs: im2col conv: (samples * positions) x
// block rows, rows as part's; dense: block rows x samples.
struct ReadoutBlock {
  int block = 0;                          // rows [block * block_rows, ...) of the crossbar matrix
  int chunk = 0;                          // the sample chunk of the pass
  int sample_begin = 0, sample_end = 0;   // the chunk's samples in the batch
  int positions = 1;                      // output positions per sample (conv: out h * w)
  bool outputs_in_rows = false;
  const Real* variance = nullptr;         // null: computed from the inputs below
  const Real* inputs = nullptr;           // column-major, input_rows x input_cols, outer stride
  Eigen::Index input_rows = 0, input_cols = 0, input_stride = 0;

  Eigen::Map<const Matrix, 0, Eigen::OuterStride<>> input_map() const {
    return {inputs, input_rows, input_cols, Eigen::OuterStride<>(input_stride)};
  }
};

// A uniform quantizer with saturation applied to every sum of a block: level = clamp(rint(v *
// inv_step), lo, hi) (rint: half to even), read as level * step; `zero`: the block reads 0.
struct BlockQuantizer {
  Real inv_step = 0, step = 0, lo = 0, hi = 0;
  bool zero = false;
};

class PartialSumReadout {
 public:
  virtual ~PartialSumReadout() = default;
  // A copy with the same state: a copied layer (and so a copied Model) owns its own readout.
  virtual std::unique_ptr<PartialSumReadout> clone() const = 0;
  // Before the pass's first transform(): checks the readout fits the pass (throws Error naming
  // pass.layer) and prepares per-chunk state.
  virtual void begin_pass(const ReadoutPass& pass) = 0;
  // Transforms one block's partial sums in place. Called for every (chunk, block), the blocks of
  // one chunk in order on one thread, different chunks concurrently: it may write only state
  // of its own chunk.
  virtual void transform(Matrix& part, const ReadoutBlock& block) = 0;
  // Transforms one block's partial sums and adds them to the chunk's sum: acc = T(part) for the
  // first block of the chunk, acc += T(part) for the others. By default transform() and then the
  // sum; a readout may do both in one pass over the sums (part may be overwritten).
  virtual void accumulate(Matrix& part, const ReadoutBlock& block, Matrix& acc, bool first) {
    transform(part, block);
    if (first) {
      acc = part;
    } else {
      acc += part;
    }
  }
  // Whether transform() of block b is a BlockQuantizer alone (no noise, nothing recorded in the
  // pass), and if so which (in q): the layer may then quantize in its own output pass instead of
  // calling accumulate(), adding the blocks as it does: acc = level * step for the first block,
  // acc = fma(level, step, acc) after it (the product and the sum rounded once); a zero block
  // leaves acc (the first: 0).
  virtual bool quantizer(int /*block*/, BlockQuantizer& /*q*/) const { return false; }
  // After the pass's last transform(): folds per-chunk state, in chunk order (so the result does
  // not depend on the thread count).
  virtual void end_pass() = 0;
  // Starts a new read stream (e.g. a test pass, a training run): a readout that draws per read
  // numbers its reads from 0 again in that stream, so the same images read in the same stream
  // get the same draws whatever the batch size. Readouts that draw nothing ignore it.
  virtual void start_reads(std::uint64_t /*stream*/) {}
  // Reads made so far in the current stream: the next read's index. Model::infer's per-thread
  // copies each run a part of the batch and are dropped, so it sets each copy's to where its
  // part starts and the model's to after the batch.
  virtual std::uint64_t reads() const { return 0; }
  virtual void set_reads(std::uint64_t /*reads*/) {}

  // Whether the readout only adds noise to the layer's sums (no block transform, no begin_pass
  // .. end_pass): the layer computes its sums by its usual product, the variance of each as the
  // same product (bias-free) of the squared inputs with *variance_weight() (the weight's layout,
  // non-negative; computed at the precision of that product, e.g. bf16 in a Winograd conv), and
  // calls add_to_sums once per pass.
  virtual bool sums_only() const { return false; }
  virtual const Vector* variance_weight() const { return nullptr; }
  // Adds noise to the pass's sums in place. `sums` and `variance` hold pass.samples samples in
  // batch order, per_sample values each, in the layer's output order (conv: channel, then
  // position; dense: outputs). Counts the pass's reads.
  virtual void add_to_sums(Real* /*sums*/, const Real* /*variance*/, int /*per_sample*/, const ReadoutPass& /*pass*/) {}

  int blocks(int rows) const { return (rows + block_rows - 1) / block_rows; }

  int block_rows = 128;  // rows (inputs) per block, >= 1: a device's tile size
  // The weights read through the readout, in the weight's layout; empty: all of the layer's
  // weight. The rest, weight - analog, is multiplied exactly and added after the readout.
  Vector analog;

 protected:
  PartialSumReadout() = default;
  PartialSumReadout(const PartialSumReadout&) = default;
  PartialSumReadout& operator=(const PartialSumReadout&) = default;
};

// A layer's readout: owns at most one PartialSumReadout (null: the exact product) and copies it
// with clone(), so layers that hold one keep their value semantics (copying a layer or a Model
// copies the readout's state). Used like a std::unique_ptr.
class ReadoutPtr {
 public:
  ReadoutPtr() = default;
  template <class T, class = std::enable_if_t<std::is_base_of_v<PartialSumReadout, T>>>
  ReadoutPtr(std::unique_ptr<T> p) : p_(std::move(p)) {}  // NOLINT: implicit, as unique_ptr's
  ReadoutPtr(const ReadoutPtr& o) : p_(o.p_ ? o.p_->clone() : nullptr) {}
  ReadoutPtr(ReadoutPtr&&) noexcept = default;
  ReadoutPtr& operator=(const ReadoutPtr& o) {
    if (this != &o) p_ = o.p_ ? o.p_->clone() : nullptr;
    return *this;
  }
  ReadoutPtr& operator=(ReadoutPtr&&) noexcept = default;
  ~ReadoutPtr() = default;

  explicit operator bool() const { return p_ != nullptr; }
  PartialSumReadout* get() const { return p_.get(); }
  PartialSumReadout* operator->() const { return p_.get(); }
  PartialSumReadout& operator*() const { return *p_; }
  void reset() { p_.reset(); }

 private:
  std::unique_ptr<PartialSumReadout> p_;
};

}  // namespace nnc
