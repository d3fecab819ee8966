// Internal to lib/nnc/io: the state of one ONNX import that the op handlers share
// (onnx_import.cpp walks the graph and writes the model; onnx_ops.cpp has one handler per op,
// chosen from a table by op_type).
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nnc/io/onnx_proto.hpp"
#include "nnc/nn/tensor.hpp"

namespace nnc::onnx_detail {

// A tensor of the graph as the importer sees it: a constant (an initializer, a Constant node,
// or an op over constants folded at import: the shape arithmetic exporters write), or a tensor
// the network computes, the output of a layer on its way into the model or the network's input.
struct Value {
  bool computed = false;
  OnnxTensor constant;         // !computed; NaN where unknown at import (a symbolic batch size)
  int layer = -1;              // computed: the pending layer that writes it, -1 the network's input
  Shape shape;                 // computed: one sample's
  int rank = 4;                // computed: its ONNX rank, the batch included (2, 3 or 4)
  bool after_softmax = false;  // the output of the final Softmax, which nothing may read
  // !computed: dimension 0 is the batch, known only when the network runs; `constant` holds
  // one sample's values (zeros only: torch.zeros(x.size(0), ...), x.mul(0)). Only Concat's
  // zero channels take it.
  bool any_batch = false;
};

// A layer on its way into the model. Two kinds are steps that the import merges before it
// writes the spec: an Add of a constant (the bias of the dense layer before it), and the
// subsampling (Slice) and zero channels (Pad, Concat with zeros) of option A's shortcut, which
// become one idN[sS] layer.
struct PendingLayer {
  enum class Kind { layer, bias, shortcut };
  Kind kind = Kind::layer;
  std::string token;                      // kind layer: its token in the spec
  std::vector<std::vector<Real>> params;  // kind layer: in nnc's order
  std::vector<int> inputs;                // the layers it reads (-1: the network's input)
  std::string label;                      // the node it came from, for messages
  Shape in, out;                          // in: its (first) input's shape
  bool conv_bias_given = false;           // a conv whose node had a bias input
  int stride_h = 1, stride_w = 1;         // kind shortcut: every stride-th row and column
  int pad_before = 0, pad_after = 0;      // kind shortcut: zero channels before and after
  std::vector<Real> bias;                 // kind bias
};

struct ImportState {
  std::string file;
  std::int64_t opset = 0;
  std::int64_t batch = -1;  // the input's batch dimension, -1 if symbolic
  std::string output_name;
  std::map<std::string, Value> values;             // every tensor written so far
  std::set<std::string> unbound_inputs;             // graph inputs after the first, without values
  std::map<std::string, std::string> writer;        // tensor -> the label of the node writing it
  std::vector<PendingLayer> layers;
  std::vector<std::string> notes;
  bool softmax_dropped = false;
  Value logits;  // when the final Softmax was dropped: its input
};

// One node being imported: what its handler reads and writes.
class NodeIo {
 public:
  NodeIo(ImportState& st, const ox::NodeProto& n, std::string label) : st_(st), n_(n), label_(std::move(label)) {}
  const ox::NodeProto& node() const { return n_; }
  const std::string& op() const { return n_.op_type(); }
  const std::string& label() const { return label_; }
  std::int64_t opset() const { return st_.opset; }
  ImportState& state() { return st_; }
  const ImportState& state() const { return st_; }
  // A bad-input error: "<file>: node 'NAME' (OP): why".
  Error refuse(const std::string& why) const;
  Attrs attrs(const std::set<std::string>& known) const;

  int input_count() const { return n_.input_size(); }
  bool has_input(int slot) const { return slot < n_.input_size() && !n_.input(slot).empty(); }
  bool is_constant(int slot) const;  // present, and a constant
  bool all_constant() const;         // every present input a constant
  // Input `slot` (`what` names it in messages); refuses one that is absent, that no node
  // writes, that is an unbound graph input, or that is the final Softmax's output.
  const Value& input(int slot, const std::string& what) const;
  // A constant input (a weight, a shape): refuses a computed one.
  const OnnxTensor& constant(int slot, const std::string& what) const;
  // An input the network computes: refuses a constant.
  const Value& computed(int slot, const std::string& what = "data") const;

  void set_value(Value v) { st_.values[n_.output(0)] = std::move(v); }
  void set_constant(OnnxTensor t);
  // Appends a layer reading `inputs` with output shape l.out; output 0 becomes its output.
  void add_layer(PendingLayer l, int rank);

 private:
  ImportState& st_;
  const ox::NodeProto& n_;
  std::string label_;
};

using OpHandler = void (*)(NodeIo&);
// Every operator nnc imports (ai.onnx domain), by op_type; onnx_ops.cpp.
const std::map<std::string, OpHandler>& op_handlers();

}  // namespace nnc::onnx_detail
