// Layer: the interface every layer implements, and Param, a trainable (or stored) array.
//
// Contract of every layer: setup() is called once with the input shape before anything else;
// forward() overwrites y; backward() overwrites dx (when given) and overwrites, never
// accumulates, the gradients of its params. x, y and dy are the tensors of the same step.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nnc/nn/rng.hpp"
#include "nnc/nn/tensor.hpp"

namespace nnc {

// Buffers a layer reuses from call to call. They are not state: a copy of the layer (clone(),
// the per-thread copies of Model::infer) starts without them rather than copying megabytes.
template <class T>
class ScratchBuffers : public std::vector<T> {
 public:
  ScratchBuffers() = default;
  ScratchBuffers(const ScratchBuffers&) : std::vector<T>() {}
  ScratchBuffers& operator=(const ScratchBuffers&) {
    this->clear();
    return *this;
  }
  ScratchBuffers(ScratchBuffers&&) noexcept = default;
  ScratchBuffers& operator=(ScratchBuffers&&) noexcept = default;
  ~ScratchBuffers() = default;
};

struct Param {
  explicit Param(std::string n = {}) : name(std::move(n)) {}

  std::string name;                 // "weight", "bias", "gamma", "beta", "running_mean", ...
  std::vector<int> shape;           // logical shape, row-major ([out][in][kh][kw] for conv)
  Vector value;
  Vector grad;                      // same size as value; zero for non-trainable params
  Vector velocity;                  // SGD momentum buffer (empty until the first step)
  std::vector<std::uint8_t> mask;   // empty, or 1 = connection kept, 0 = pruned (weights only)
  bool trainable = true;            // false for batch-norm running statistics
  bool decay = true;                // weight decay applies (weights, not biases or bn)

  void resize(std::vector<int> s);
  std::size_t size() const { return static_cast<std::size_t>(value.size()); }
  std::size_t nonzeros() const { return static_cast<std::size_t>((value.array() != 0).count()); }
  bool has_mask() const { return !mask.empty(); }
  void apply_mask();                // zero the pruned weights
};

// What a forward pass may need beyond its input: training mode and the dropout stream.
struct ForwardContext {
  bool training = false;
  std::uint64_t seed = 0;  // dropout draws from Rng(seed, {stream::kDropout, step, layer, sample})
  std::uint64_t step = 0;
  int layer_index = 0;
  // The batch's first sample within the whole batch: a rank's share of a batch draws the
  // dropout masks those samples get on one rank (docs/design.md section 13).
  std::uint64_t first_sample = 0;
  // Batch norm and add only: apply the ReLU that follows it in the same pass, and in backward
  // take the gradient of the ReLU's output (Model::forward then skips the ReLU layer).
  bool relu_after = false;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string type() const = 0;  // "conv", "dense", "relu", "maxpool", ... (schema.md)
  virtual std::string spec() const = 0;  // this layer's token in the spec grammar
  // Sizes the params for the input shape and returns the output shape; throws if impossible.
  virtual Shape setup(Shape in) = 0;
  virtual void init(Rng& /*rng*/) {}  // random initial values of the params
  virtual void forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) = 0;
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) = 0;
  virtual std::vector<Param*> params() { return {}; }
  // A layer of a graph may read more than one tensor (Add: two). Such a layer overrides these
  // four; every other layer has one input, and these call its one-input versions. x[k] (and
  // dx[k], which may be null when that gradient is not needed) is the layer's k-th input.
  virtual int arity() const { return 1; }
  virtual Shape setup_inputs(const std::vector<Shape>& in) { return setup(in.front()); }
  virtual void forward_inputs(const std::vector<const Tensor*>& x, Tensor& y, const ForwardContext& ctx) {
    forward(*x.front(), y, ctx);
  }
  virtual void backward_inputs(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                               const std::vector<Tensor*>& dx) {
    backward(*x.front(), y, dy, dx.front());
  }
  // Called on a copy that will only run inference with its weights as they are now (the
  // per-thread copies of Model::infer): a layer may precompute what its weights give, and drop
  // the weights if its forward pass no longer reads them.
  virtual void prepare_inference() {}
  // How many samples this layer would like per call in Model::infer's pipeline (a multiple of
  // kSampleChunk, the layers' parallel unit).
  virtual int inference_samples() const;
  // The same params, read only (params() never changes the layer, so the cast is safe).
  std::vector<const Param*> params() const {
    const auto ps = const_cast<Layer*>(this)->params();
    return {ps.begin(), ps.end()};
  }
  virtual std::unique_ptr<Layer> clone() const = 0;

  // Queries of layers mapped onto crossbars (conv and dense; docs/design.md section 6), so that
  // no caller tests type names. The weight, seen as the crossbar matrix, has one row per input
  // and one column per unit; other layers have none.
  virtual Param* weight_param() { return nullptr; }
  virtual const Param* weight_param() const { return nullptr; }
  bool is_mapped() const { return weight_param() != nullptr; }
  // Units of a mapped layer: conv filters or dense neurons (0 for other layers).
  virtual int width() const { return 0; }
  // Input units of a mapped layer: conv input channels or dense inputs (0 for other layers).
  virtual int input_units() const { return 0; }
  // Changes the number of units (CGaP); Model::setup() must run before the next pass.
  virtual void set_width(int /*units*/) { throw_not_mapped("set_width"); }

  Shape input_shape() const { return in_; }
  Shape output_shape() const { return out_; }
  // Multiply-accumulates of one sample's forward pass.
  virtual double macs() const { return 0; }

 protected:
  Shape in_, out_;

 private:
  [[noreturn]] void throw_not_mapped(const char* what) const;
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace nnc
