// Model: a network built from a spec string (docs/design.md section 5), with the activations
// of its last forward pass kept for backward. Its layers run in the order of the spec, each
// reading earlier layers' outputs (by default the previous layer's): a chain, or a graph with
// branches that add up again (residual networks); the last layer's output is the logits.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "nnc/nn/layer.hpp"

namespace nnc {

// Preset names and their specs.
std::string preset_spec(const std::string& name);  // "" if not a preset
// A preset name or a spec, resolved to a spec.
std::string resolve_arch(const std::string& arch);
// A spec parsed: the layers (not yet set up) in the order they run, each with its inputs (the
// indices of earlier layers whose outputs it reads, -1 for the network's input) and its name
// in the spec ("" when it has none).
struct SpecGraph {
  std::vector<LayerPtr> layers;
  std::vector<std::vector<int>> inputs;
  std::vector<std::string> names;
};
// Parses a spec; throws Error naming the bad token, a dangling or forward reference, a name
// given twice, or a layer whose output no layer reads.
SpecGraph parse_graph(const std::string& spec);
// The layers of parse_graph(spec), without their inputs.
std::vector<LayerPtr> parse_spec(const std::string& spec);

// The parameters of a model as it is stored, in one convention for every tool and report
// (docs/design.md section 8, "Parameters"): params() = the nonzero weights of the conv and dense
// layers, plus every bias (a unit whose inputs were all pruned keeps its bias, which still feeds
// the next layer), plus the batch-norm gamma and beta: the values a chip and its digital
// periphery must hold. dense() counts every weight, zeros included (Model::param_count).
struct ParamCounts {
  std::size_t weights_nonzero = 0;  // nonzero conv and dense weights
  std::size_t weights = 0;          // every conv and dense weight
  std::size_t biases = 0;           // every bias of a conv or dense layer
  std::size_t batch_norm = 0;       // batch-norm gamma and beta (the other trainable values)
  std::size_t params() const { return weights_nonzero + biases + batch_norm; }
  std::size_t dense() const { return weights + biases + batch_norm; }
};

class Model {
 public:
  Model() = default;
  // Builds the layers of `arch` (preset or spec) for inputs of shape `input`; throws if the
  // spec is malformed or its output is not `classes` wide.
  Model(const std::string& arch, Shape input, int classes);
  Model(const Model& other);
  Model& operator=(const Model& other);
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  void init(std::uint64_t seed);  // random initial weights, layer l from Rng(seed, {stream::kModelInit, l})

  // Forward pass of a batch; returns the logits (classes x n). Keeps activations for backward.
  // A ReLU right after a batch norm or an add runs inside its pass (relu_after), in forward
  // and backward: the same numbers without two passes over the activations.
  const Tensor& forward(const Tensor& x, const ForwardContext& ctx);
  // Inference on a batch (no dropout, batch norm's running statistics) into `logits`. When what
  // forward() would keep passes kPipelineBytes (a chain's largest activation; a graph's every
  // layer's output, ResNet-20's 2.4 GB at batch 1000), with memory that does not grow with the
  // batch: fixed groups of the sample chunks of parallel.hpp (as many as the layers ask for,
  // Layer::inference_samples) each run through every layer on one thread, in a per-thread copy
  // of the model, so activations stay a group's worth and in cache, each in a buffer reused once
  // its last reader has run; in the copy each conv's batch norm, ReLU and 2x2 max pool are
  // folded into the conv and an add's ReLU into the add (no pass of their own; the
  // logits differ from forward()'s by float rounding; a conv read through a readout applies
  // them after its read-out, to the bits of the layers one by one). Below it (LeNet-5), forward() layer by layer, whose
  // per-call costs are lower. Either way the numbers do not depend on the thread count.
  void infer(const Tensor& x, Tensor& logits);
  static constexpr std::size_t kPipelineBytes = std::size_t{64} << 20;
  // Backward from d loss / d logits; overwrites every param's gradient.
  // With keep_input_grad, input_grad() holds d loss / d input afterwards.
  void backward(const Tensor& dlogits, bool keep_input_grad = false);
  const Tensor& input_grad() const { return grads_.front(); }
  // The input (i = 0) or the output of layer i-1 (node i of the graph), as of the last
  // forward pass.
  const Tensor& activation(std::size_t i) const;
  // The gradient of the loss by activation(i), as of the last backward pass (summed over the
  // layers that read it); not kept for the output of a batch norm whose ReLU was folded in
  // (relu_folded(i)).
  const Tensor& activation_grad(std::size_t i) const { return grads_[i]; }
  // Whether layer i is a ReLU that the last forward pass ran inside the batch norm or add before it.
  bool relu_folded(std::size_t i) const { return i < relu_folded_.size() && relu_folded_[i]; }

  std::vector<Param*> params();
  std::vector<const Param*> params() const;
  // Trainable parameter count (weights and biases, batch-norm gamma and beta), zeros included.
  std::size_t param_count() const;
  // What the model holds, as every tool and report counts it (docs/design.md section 8).
  ParamCounts param_counts() const;
  // The parameters: param_counts().params(), nonzero weights plus every bias and batch-norm value.
  std::size_t nonzero_param_count() const;
  double macs() const;  // per sample, dense (masks not considered)

  std::string spec() const;  // the spec of the layers as they are now (widths may change)
  const std::string& arch() const { return arch_; }  // what the model was built from
  void set_arch(std::string name) { arch_ = std::move(name); }
  Shape input_shape() const { return input_; }
  int classes() const { return classes_; }
  std::vector<LayerPtr>& layers() { return layers_; }
  const std::vector<LayerPtr>& layers() const { return layers_; }
  // The layers whose outputs layer i reads, in the order it takes them (-1: the network's input).
  const std::vector<int>& layer_inputs(std::size_t i) const { return inputs_[i]; }
  // The name layer i has in the spec ("" if none).
  const std::string& layer_name(std::size_t i) const { return names_[i]; }
  // Whether every layer reads the previous layer's output alone (every network before graphs).
  bool is_chain() const;
  // Unless is_chain(), throws a bad-input Error: `what` does not support graphs, naming the
  // first layer that reads out of turn.
  void require_chain(const std::string& what) const;
  // Re-runs setup over all layers, keeping params whose shapes still fit (after a width change).
  void setup();
  // Throws if any param holds NaN or Inf (names the layer and param).
  void check_finite() const;

 private:
  std::string arch_;
  Shape input_;
  int classes_ = 0;
  // Whether layer j reads only the previous layer's output and is its only reader, so that a
  // pass may fold layer j into the one before it (a ReLU into its batch norm, and so on).
  bool follows_alone(std::size_t j) const;
  // Whether layer i is a batch norm or an add whose ReLU (layer i + 1, follows_alone) runs
  // inside its pass (ForwardContext::relu_after).
  bool relu_follows(std::size_t i) const;
  // Which buffer of an inference worker holds each node (-1: the input's), given the layers
  // folded away; buffers are reused once their last reader has run.
  std::vector<int> inference_slots(const std::vector<char>& fused) const;

  std::vector<LayerPtr> layers_;
  std::vector<std::vector<int>> inputs_;  // per layer: the layers it reads, -1 the input
  std::vector<std::string> names_;        // per layer: its name in the spec, or ""
  std::vector<int> readers_;              // per node (0 the input, i+1 layer i's output)
  const Tensor* last_input_ = nullptr;
  std::vector<Tensor> acts_, grads_;
  std::array<Tensor, 2> extra_grads_;  // a second reader's gradient, before it is summed in
  std::vector<char> relu_folded_;
};

}  // namespace nnc
