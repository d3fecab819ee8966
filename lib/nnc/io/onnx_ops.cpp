// ONNX import, one function per operator (the table at the end picks them by op_type). A
// handler reads its node's inputs through NodeIo, refuses what nnc cannot hold with a message
// naming the node, and writes its output: a constant (shape arithmetic over constants is
// computed here, so the patterns exporters write fold away) or a layer reading computed tensors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "nnc/io/onnx_import.hpp"
#include "nnc/nn/layers.hpp"

namespace nnc::onnx_detail {

namespace {

// ---- Constants: N-d helpers over OnnxTensor (row-major, values as double) ----

using Dims = std::vector<std::int64_t>;

// The most values a folded constant may have (shapes and weights are far smaller).
constexpr std::size_t kMaxFolded = std::size_t{1} << 24;

std::size_t numel(const Dims& d) {
  std::size_t n = 1;
  for (auto x : d) n *= static_cast<std::size_t>(x);
  return n;
}

Dims strides_of(const Dims& d) {
  Dims s(d.size(), 1);
  for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * d[i + 1];
  return s;
}

// A double as an index or size: huge values (INT64_MAX meaning "to the end") clamp to +-2^62,
// so that adding a dimension never overflows.
std::int64_t to_i64(double v) {
  constexpr double lim = 4611686018427387904.0;  // 2^62
  if (std::isnan(v)) return 0;
  if (v >= lim) return std::int64_t{1} << 62;
  if (v <= -lim) return -(std::int64_t{1} << 62);
  return static_cast<std::int64_t>(v);
}

Dims as_ints(const OnnxTensor& t) {
  Dims out;
  for (double v : t.values) out.push_back(to_i64(v));
  return out;
}

bool known(const OnnxTensor& t) {
  return std::none_of(t.values.begin(), t.values.end(), [](double v) { return std::isnan(v); });
}

OnnxTensor make_tensor(Dims dims, std::vector<double> values, bool integer) {
  OnnxTensor t;
  t.dims = std::move(dims);
  t.values = std::move(values);
  t.integer = integer;
  return t;
}

// An axis attribute or input, negative counting from the end, checked against the rank.
std::int64_t norm_axis(const NodeIo& io, std::int64_t axis, std::int64_t rank) {
  const std::int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw io.refuse("axis " + std::to_string(axis) + " outside a rank-" + std::to_string(rank) + " tensor");
  }
  return a;
}

// Elementwise over two constants with numpy broadcasting.
OnnxTensor broadcast(const NodeIo& io, const OnnxTensor& a, const OnnxTensor& b,
                     const std::function<double(double, double)>& f) {
  const std::size_t r = std::max(a.dims.size(), b.dims.size());
  Dims da(r - a.dims.size(), 1), db(r - b.dims.size(), 1), out(r);
  da.insert(da.end(), a.dims.begin(), a.dims.end());
  db.insert(db.end(), b.dims.begin(), b.dims.end());
  for (std::size_t i = 0; i < r; ++i) {
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
      throw io.refuse("operands of shapes " + dims_str(a.dims) + " and " + dims_str(b.dims) + " do not broadcast");
    }
    out[i] = da[i] == 1 ? db[i] : da[i];
  }
  if (numel(out) > kMaxFolded) {
    throw io.refuse("operands of shapes " + dims_str(a.dims) + " and " + dims_str(b.dims) +
                    " broadcast to too many values to fold");
  }
  const Dims so = strides_of(out), sa = strides_of(da), sb = strides_of(db);
  std::vector<double> v(numel(out));
  for (std::size_t k = 0; k < v.size(); ++k) {
    std::int64_t ia = 0, ib = 0, rest = static_cast<std::int64_t>(k);
    for (std::size_t i = 0; i < r; ++i) {
      const std::int64_t x = rest / so[i];
      rest %= so[i];
      if (da[i] != 1) ia += x * sa[i];
      if (db[i] != 1) ib += x * sb[i];
    }
    v[k] = f(a.values[static_cast<std::size_t>(ia)], b.values[static_cast<std::size_t>(ib)]);
  }
  return make_tensor(out, std::move(v), a.integer && b.integer);
}

// Every slice of `t` along `axis`, as a function of the index along it: out = pick(index).
OnnxTensor gather_axis(const OnnxTensor& t, std::int64_t axis, const Dims& index_dims, const Dims& index) {
  Dims out(t.dims.begin(), t.dims.begin() + axis);
  out.insert(out.end(), index_dims.begin(), index_dims.end());
  out.insert(out.end(), t.dims.begin() + axis + 1, t.dims.end());
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= t.dims[i];
  for (std::size_t i = axis + 1; i < t.dims.size(); ++i) inner *= t.dims[i];
  const std::int64_t n = t.dims[axis];
  std::vector<double> v;
  v.reserve(numel(out));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j : index)
      for (std::int64_t i = 0; i < inner; ++i) v.push_back(t.values[static_cast<std::size_t>((o * n + j) * inner + i)]);
  return make_tensor(out, std::move(v), t.integer);
}

// ONNX Slice's starts, ends, axes and steps: from inputs (opset 10 on) or attributes.
struct SliceSpec {
  Dims starts, ends, axes, steps;
};

SliceSpec slice_spec(NodeIo& io, std::int64_t rank) {
  SliceSpec s;
  if (io.opset() < 10) {
    const Attrs a = io.attrs({"starts", "ends", "axes"});
    s.starts = a.ints("starts", {});
    s.ends = a.ints("ends", {});
    s.axes = a.ints("axes", {});
  } else {
    io.attrs({});
    s.starts = as_ints(io.constant(1, "starts"));
    s.ends = as_ints(io.constant(2, "ends"));
    if (io.has_input(3)) s.axes = as_ints(io.constant(3, "axes"));
    if (io.has_input(4)) s.steps = as_ints(io.constant(4, "steps"));
  }
  if (s.axes.empty())
    for (std::size_t i = 0; i < s.starts.size(); ++i) s.axes.push_back(static_cast<std::int64_t>(i));
  if (s.steps.empty()) s.steps.assign(s.starts.size(), 1);
  if (s.ends.size() != s.starts.size() || s.axes.size() != s.starts.size() || s.steps.size() != s.starts.size()) {
    throw io.refuse("starts, ends, axes and steps of different lengths");
  }
  for (auto& a : s.axes) a = norm_axis(io, a, rank);
  for (auto st : s.steps)
    if (st == 0) throw io.refuse("a step of 0");
  return s;
}

// One axis of a Slice as ONNX clamps it: the first index, the step and the count.
struct AxisRange {
  std::int64_t start, step, count;
};

AxisRange clamp_range(std::int64_t start, std::int64_t end, std::int64_t step, std::int64_t dim) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
    return {start, step, std::max<std::int64_t>(0, (end - start + step - 1) / step)};
  }
  start = std::clamp<std::int64_t>(start, 0, dim - 1);
  end = std::clamp<std::int64_t>(end, -1, dim - 1);
  return {start, step, std::max<std::int64_t>(0, (start - end + (-step) - 1) / (-step))};
}

OnnxTensor slice_constant(const OnnxTensor& t, const SliceSpec& s) {
  OnnxTensor cur = t;
  for (std::size_t k = 0; k < s.axes.size(); ++k) {
    const std::int64_t ax = s.axes[k];
    const AxisRange r = clamp_range(s.starts[k], s.ends[k], s.steps[k], cur.dims[ax]);
    Dims index;
    for (std::int64_t i = 0; i < r.count; ++i) index.push_back(r.start + i * r.step);
    cur = gather_axis(cur, ax, {r.count}, index);
  }
  return cur;
}

// The constant tensor of an attribute (Constant's value_*, ConstantOfShape's value).
OnnxTensor attr_tensor(const NodeIo& io, const ox::AttributeProto& a) {
  if (a.has_t()) return to_tensor(a.t(), io.state().file);
  if (a.type() == ox::AttributeProto::FLOAT) return make_tensor({}, {a.f()}, false);
  if (a.type() == ox::AttributeProto::INT) return make_tensor({}, {static_cast<double>(a.i())}, true);
  if (a.type() == ox::AttributeProto::FLOATS) {
    return make_tensor({a.floats_size()}, {a.floats().begin(), a.floats().end()}, false);
  }
  if (a.type() == ox::AttributeProto::INTS) {
    std::vector<double> v(a.ints().begin(), a.ints().end());
    return make_tensor({a.ints_size()}, std::move(v), true);
  }
  throw io.refuse("attribute '" + a.name() + "' is not a tensor or a number (nnc takes only those)");
}

// Refuses an operator over a computed tensor where nnc takes it only over constants.
void require_constants(const NodeIo& io) {
  if (!io.all_constant()) {
    throw io.refuse("reads a tensor the network computes; nnc takes this operator only over constants "
                    "(shapes and weights)");
  }
}

// ---- Constants and shape arithmetic ----

void op_constant(NodeIo& io) {
  io.attrs({"value", "value_float", "value_floats", "value_int", "value_ints"});
  if (io.node().attribute_size() != 1 || io.node().output_size() != 1) {
    throw io.refuse("only one tensor or number 'value' is supported");
  }
  io.set_constant(attr_tensor(io, io.node().attribute(0)));
}

void op_identity(NodeIo& io) {
  io.attrs({});
  io.set_value(io.input(0, "input"));
}

void op_shape(NodeIo& io) {
  const Attrs a = io.attrs({"start", "end"});
  const Value& v = io.input(0, "data");
  Dims dims;
  std::vector<double> values;
  if (v.computed) {
    // The batch is known only if the input declares it; NaN stands for it otherwise.
    values.push_back(io.state().batch > 0 ? static_cast<double>(io.state().batch) : NAN);
    values.push_back(v.shape.c);
    if (v.rank > 2) values.push_back(v.shape.h);
    if (v.rank > 3) values.push_back(v.shape.w);
  } else {
    for (auto d : v.constant.dims) values.push_back(static_cast<double>(d));
  }
  const auto r = static_cast<std::int64_t>(values.size());
  auto clampi = [&](std::int64_t x) { return std::clamp<std::int64_t>(x < 0 ? x + r : x, 0, r); };
  const std::int64_t start = clampi(a.i("start", 0)), end = clampi(a.i("end", r));
  std::vector<double> kept(values.begin() + start, values.begin() + std::max(start, end));
  const auto count = static_cast<std::int64_t>(kept.size());
  io.set_constant(make_tensor({count}, std::move(kept), true));
}

void op_gather(NodeIo& io) {
  const Attrs a = io.attrs({"axis"});
  require_constants(io);
  const OnnxTensor& t = io.constant(0, "data");
  const OnnxTensor& idx = io.constant(1, "indices");
  if (t.dims.empty()) throw io.refuse("gathers from a scalar");
  const std::int64_t axis = norm_axis(io, a.i("axis", 0), static_cast<std::int64_t>(t.dims.size()));
  Dims index;
  for (std::int64_t i : as_ints(idx)) {
    const std::int64_t j = i < 0 ? i + t.dims[axis] : i;
    if (j < 0 || j >= t.dims[axis]) throw io.refuse("index " + std::to_string(i) + " outside " + dims_str(t.dims));
    index.push_back(j);
  }
  const std::size_t per_index = t.values.size() / static_cast<std::size_t>(std::max<std::int64_t>(t.dims[axis], 1));
  if (index.size() * per_index > kMaxFolded) {
    throw io.refuse("gathers too many values to fold");
  }
  io.set_constant(gather_axis(t, axis, idx.dims, index));
}

void op_unsqueeze(NodeIo& io) {
  const Attrs a = io.attrs(io.opset() < 13 ? std::set<std::string>{"axes"} : std::set<std::string>{});
  require_constants(io);
  OnnxTensor t = io.constant(0, "data");
  const Dims axes = io.opset() < 13 ? a.ints("axes", {}) : as_ints(io.constant(1, "axes"));
  const auto r = static_cast<std::int64_t>(t.dims.size() + axes.size());
  std::vector<char> is_new(static_cast<std::size_t>(r), 0);
  for (auto ax : axes) is_new[static_cast<std::size_t>(norm_axis(io, ax, r))] = 1;
  Dims out;
  std::size_t k = 0;
  for (std::int64_t i = 0; i < r; ++i) {
    if (is_new[static_cast<std::size_t>(i)]) out.push_back(1);
    else if (k < t.dims.size()) out.push_back(t.dims[k++]);
    else throw io.refuse("axes " + dims_str(axes) + " repeat an axis");
  }
  t.dims = out;
  io.set_constant(std::move(t));
}

void op_squeeze(NodeIo& io) {
  const Attrs a = io.attrs(io.opset() < 13 ? std::set<std::string>{"axes"} : std::set<std::string>{});
  require_constants(io);
  OnnxTensor t = io.constant(0, "data");
  const auto r = static_cast<std::int64_t>(t.dims.size());
  Dims axes = io.opset() < 13 ? a.ints("axes", {}) : (io.has_input(1) ? as_ints(io.constant(1, "axes")) : Dims{});
  std::vector<char> drop(t.dims.size(), 0);
  for (std::int64_t i = 0; i < r; ++i) drop[static_cast<std::size_t>(i)] = axes.empty() && t.dims[i] == 1;
  for (auto ax : axes) {
    const auto i = static_cast<std::size_t>(norm_axis(io, ax, r));
    if (t.dims[i] != 1) throw io.refuse("squeezes axis " + std::to_string(ax) + " of " + dims_str(t.dims));
    drop[i] = 1;
  }
  Dims out;
  for (std::size_t i = 0; i < t.dims.size(); ++i)
    if (!drop[i]) out.push_back(t.dims[i]);
  t.dims = out;
  io.set_constant(std::move(t));
}

void op_cast(NodeIo& io) {
  const Attrs a = io.attrs({"to", "saturate"});
  require_constants(io);
  OnnxTensor t = io.constant(0, "input");
  const auto to = a.i("to", 0);
  switch (to) {
    case ox::TensorProto::FLOAT:
    case ox::TensorProto::DOUBLE:
    case ox::TensorProto::FLOAT16:
    case ox::TensorProto::BFLOAT16:
      t.integer = false;
      break;
    case ox::TensorProto::BOOL:
      for (double& v : t.values)
        if (!std::isnan(v)) v = v != 0;
      t.integer = true;
      break;
    case ox::TensorProto::INT8:
    case ox::TensorProto::INT16:
    case ox::TensorProto::INT32:
    case ox::TensorProto::INT64:
    case ox::TensorProto::UINT8:
    case ox::TensorProto::UINT16:
    case ox::TensorProto::UINT32:
    case ox::TensorProto::UINT64:
      for (double& v : t.values) v = std::trunc(v);
      t.integer = true;
      break;
    default:
      throw io.refuse("cast to element type " + std::to_string(to) + " (nnc folds casts to numbers only)");
  }
  io.set_constant(std::move(t));
}

void op_constant_of_shape(NodeIo& io) {
  const Attrs a = io.attrs({"value"});
  OnnxTensor shape = io.constant(0, "shape");
  OnnxTensor value = make_tensor({}, {0.0}, false);
  if (const auto* v = a.find("value")) value = attr_tensor(io, *v);
  if (value.values.size() != 1) throw io.refuse("'value' of " + std::to_string(value.values.size()) + " elements");
  // torch.zeros(x.size(0), ...): the batch size (NaN here) is known only when the network runs.
  const bool any_batch = !shape.values.empty() && std::isnan(shape.values[0]) && value.values[0] == 0;
  if (any_batch) shape.values[0] = 1;
  if (!known(shape)) {
    throw io.refuse("a tensor whose shape is known only when the network runs (nnc takes it only over "
                    "constant shapes, or as zeros as large as the batch)");
  }
  const Dims dims = as_ints(shape);
  for (auto d : dims)
    if (d < 0 || d > (1 << 24)) throw io.refuse("shape " + dims_str(dims));
  if (numel(dims) > kMaxFolded) throw io.refuse("shape " + dims_str(dims) + " is too large to fold");
  io.set_constant(make_tensor(dims, std::vector<double>(numel(dims), value.values[0]), value.integer));
  if (any_batch) io.state().values[io.node().output(0)].any_batch = true;
}

void op_transpose(NodeIo& io) {
  const Attrs a = io.attrs({"perm"});
  require_constants(io);
  const OnnxTensor& t = io.constant(0, "data");
  const auto r = static_cast<std::int64_t>(t.dims.size());
  Dims perm = a.ints("perm", {});
  if (perm.empty())
    for (std::int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  Dims sorted = perm;
  for (auto& p : sorted) p = norm_axis(io, p, r);
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < r; ++i)
    if (static_cast<std::int64_t>(sorted.size()) != r || sorted[i] != i) throw io.refuse("perm " + dims_str(perm));
  Dims out(r);
  for (std::int64_t i = 0; i < r; ++i) out[i] = t.dims[norm_axis(io, perm[i], r)];
  const Dims si = strides_of(t.dims), so = strides_of(out);
  std::vector<double> v(t.values.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    std::int64_t rest = static_cast<std::int64_t>(k), src = 0;
    for (std::int64_t i = 0; i < r; ++i) {
      src += (rest / so[i]) * si[norm_axis(io, perm[i], r)];
      rest %= so[i];
    }
    v[k] = t.values[static_cast<std::size_t>(src)];
  }
  io.set_constant(make_tensor(out, std::move(v), t.integer));
}

// Reshape of a constant: 0 copies the dimension (unless allowzero), -1 takes the rest.
OnnxTensor reshape_constant(const NodeIo& io, const OnnxTensor& t, const OnnxTensor& shape, bool allowzero) {
  if (!known(shape)) throw io.refuse("a reshape of a constant to a shape known only when the network runs");
  Dims out = as_ints(shape);
  int infer = -1;
  std::size_t product = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowzero) {
      if (i >= t.dims.size()) throw io.refuse("shape " + dims_str(out) + " copies a dimension " + dims_str(t.dims) + " lacks");
      out[i] = t.dims[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) throw io.refuse("shape " + dims_str(out) + " has two -1");
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      throw io.refuse("shape " + dims_str(out));
    } else {
      product *= static_cast<std::size_t>(out[i]);
    }
  }
  if (infer >= 0) {
    if (product == 0 || t.values.size() % product) throw io.refuse("cannot reshape " + dims_str(t.dims) + " to " + dims_str(out));
    out[static_cast<std::size_t>(infer)] = static_cast<std::int64_t>(t.values.size() / product);
  }
  if (numel(out) != t.values.size()) throw io.refuse("cannot reshape " + dims_str(t.dims) + " to " + dims_str(out));
  OnnxTensor r = t;
  r.dims = out;
  return r;
}

void op_binary(NodeIo& io, const std::function<double(double, double)>& f, bool is_div) {
  io.attrs({"broadcast", "axis"});  // opsets before 7 mark broadcasting
  require_constants(io);
  const OnnxTensor &a = io.constant(0, "A"), &b = io.constant(1, "B");
  OnnxTensor r = broadcast(io, a, b, f);
  if (is_div && r.integer)
    for (double& v : r.values) v = std::trunc(v);
  io.set_constant(std::move(r));
}

void op_sub(NodeIo& io) { op_binary(io, [](double x, double y) { return x - y; }, false); }
// Mul: of constants, folded; of a computed tensor by zero (x.mul(0)), zeros as large as the
// batch, which only Concat takes (option A's zero channels).
void op_mul(NodeIo& io) {
  if (io.input_count() == 2 && io.has_input(0) && io.has_input(1) && !io.all_constant()) {
    io.attrs({"broadcast", "axis"});
    const int data_slot = io.input(0, "A").computed ? 0 : 1;
    const Value& x = io.computed(data_slot, data_slot ? "B" : "A");
    const Value& k = io.input(1 - data_slot, data_slot ? "A" : "B");
    const bool zero = !k.computed && !k.any_batch && k.constant.values.size() == 1 && k.constant.dims.size() <= 1 &&
                      k.constant.values[0] == 0;
    if (!zero) throw io.refuse("multiplies a tensor the network computes (nnc has no such layer; it takes x * 0 only)");
    Dims dims = {1, x.shape.c};
    if (x.rank > 2) dims.push_back(x.shape.h);
    if (x.rank > 3) dims.push_back(x.shape.w);
    io.set_constant(make_tensor(dims, std::vector<double>(x.shape.size(), 0.0), false));
    io.state().values[io.node().output(0)].any_batch = true;
    return;
  }
  op_binary(io, [](double x, double y) { return x * y; }, false);
}
void op_div(NodeIo& io) { op_binary(io, [](double x, double y) { return x / y; }, true); }

// ---- Layers ----

void add_shortcut_step(NodeIo& io, const Value& x, int sh, int sw, int before, int after);

void op_relu(NodeIo& io) {
  io.attrs({});
  const Value& x = io.computed(0);
  PendingLayer l;
  l.token = "relu";
  l.inputs = {x.layer};
  l.in = l.out = x.shape;
  io.add_layer(std::move(l), x.rank);
}

void op_conv(NodeIo& io) {
  const Attrs a = io.attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const Value& x = io.computed(0);
  const Shape cur = x.shape;
  if (x.rank != 4) throw io.refuse("a convolution of a rank-" + std::to_string(x.rank) + " tensor; nnc has 2-D only");
  const OnnxTensor& W = io.constant(1, "weight");
  if (W.dims.size() != 4) throw io.refuse("weight of shape " + dims_str(W.dims) + ", expected [M,C,kH,kW]");
  if (a.i("group", 1) != 1) throw io.refuse("group " + std::to_string(a.i("group", 1)) + " (nnc has group 1 only)");
  if (W.dims[1] != cur.c) {
    throw io.refuse("weight " + dims_str(W.dims) + " on " + std::to_string(cur.c) + " input channels");
  }
  const int k = static_cast<int>(W.dims[2]);
  if (W.dims[3] != k) throw io.refuse("kernel " + dims_str({W.dims[2], W.dims[3]}) + " is not square");
  if (k < 1 || W.dims[0] < 1) throw io.refuse("weight of shape " + dims_str(W.dims));
  if (a.find("kernel_shape") && a.ints("kernel_shape", {}) != std::vector<std::int64_t>{k, k}) {
    throw io.refuse("kernel_shape disagrees with the weight");
  }
  for (auto d : a.ints("dilations", {1, 1}))
    if (d != 1) throw io.refuse("dilation " + std::to_string(d) + " (nnc has dilation 1 only)");
  const auto st = a.ints("strides", {1, 1});
  if (st.size() != 2 || st[0] != st[1]) throw io.refuse("strides " + dims_str(st) + " differ (nnc: one stride)");
  if (st[0] < 1 || st[0] > 999) throw io.refuse("stride " + std::to_string(st[0]));
  const int s = static_cast<int>(st[0]);
  int p = 0;
  const std::string auto_pad = a.s("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const auto pads = a.ints("pads", {0, 0, 0, 0});
    if (pads.size() != 4 || pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3]) {
      throw io.refuse("pads " + dims_str(pads) + " are not the same on every side (nnc pads symmetrically)");
    }
    if (pads[0] < 0 || pads[0] > 999) throw io.refuse("pads " + dims_str(pads));
    p = static_cast<int>(pads[0]);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto total = [&](int in) { return std::max(0, ((in + s - 1) / s - 1) * s + k - in); };
    const int th = total(cur.h), tw = total(cur.w);
    if (th != tw || th % 2) throw io.refuse("auto_pad " + auto_pad + " pads asymmetrically here (nnc pads symmetrically)");
    p = th / 2;
  } else if (auto_pad != "VALID") {
    throw io.refuse("auto_pad " + auto_pad + " is not supported");
  }
  if (cur.h + 2 * p < k || cur.w + 2 * p < k) throw io.refuse("kernel larger than the padded input");
  PendingLayer l;
  l.token = "c" + std::to_string(W.dims[0]) + "k" + std::to_string(k) + "s" + std::to_string(s) + "p" + std::to_string(p);
  l.params.emplace_back(W.values.begin(), W.values.end());
  std::vector<Real> bias(static_cast<std::size_t>(W.dims[0]), Real(0));
  if (io.has_input(2)) {
    const OnnxTensor& B = io.constant(2, "bias");
    if (B.values.size() != bias.size()) throw io.refuse("bias of shape " + dims_str(B.dims));
    bias.assign(B.values.begin(), B.values.end());
    l.conv_bias_given = true;
  }
  l.params.push_back(std::move(bias));
  l.inputs = {x.layer};
  l.in = cur;
  l.out = Shape{static_cast<int>(W.dims[0]), (cur.h + 2 * p - k) / s + 1, (cur.w + 2 * p - k) / s + 1};
  io.add_layer(std::move(l), 4);
}

void op_gemm(NodeIo& io) {
  const bool gemm = io.op() == "Gemm";
  const Attrs a = io.attrs(gemm ? std::set<std::string>{"alpha", "beta", "transA", "transB", "broadcast"}
                                : std::set<std::string>{});
  const Value& x = io.computed(0);
  if (x.rank != 2) {
    throw io.refuse("input of rank " + std::to_string(x.rank) + "; nnc needs [N, features] here (Flatten first)");
  }
  if (a.i("transA", 0) != 0) throw io.refuse("transA 1 (nnc needs the samples as rows of A)");
  const bool tb = a.i("transB", 0) != 0;
  const double alpha = a.f("alpha", 1.0), beta = a.f("beta", 1.0);
  const OnnxTensor& B = io.constant(1, "weight B");
  if (B.dims.size() != 2) throw io.refuse("B of shape " + dims_str(B.dims) + ", expected 2-D");
  const std::int64_t K = tb ? B.dims[1] : B.dims[0], N = tb ? B.dims[0] : B.dims[1];
  if (K != static_cast<std::int64_t>(x.shape.size())) {
    throw io.refuse("B " + dims_str(B.dims) + " on " + std::to_string(x.shape.size()) + " features");
  }
  if (N < 1) throw io.refuse("B of shape " + dims_str(B.dims));
  PendingLayer l;
  l.token = "fc" + std::to_string(N);
  std::vector<Real> w(static_cast<std::size_t>(N * K));
  for (std::int64_t o = 0; o < N; ++o)
    for (std::int64_t i = 0; i < K; ++i)
      w[static_cast<std::size_t>(o * K + i)] =
          static_cast<Real>(alpha * B.values[static_cast<std::size_t>(tb ? o * K + i : i * N + o)]);
  std::vector<Real> bias(static_cast<std::size_t>(N), Real(0));
  if (gemm && io.has_input(2)) {
    const OnnxTensor& C = io.constant(2, "bias C");
    const bool row = C.values.size() == static_cast<std::size_t>(N) &&
                     (C.dims.size() == 1 || (C.dims.size() == 2 && C.dims[0] == 1));
    const bool scalar = C.values.size() == 1 && C.dims.size() <= 2;
    if (!row && !scalar) throw io.refuse("bias C of shape " + dims_str(C.dims) + " varies by sample (nnc: one bias per output)");
    for (std::size_t o = 0; o < bias.size(); ++o) bias[o] = static_cast<Real>(beta * C.values[row ? o : 0]);
  }
  if (alpha != 1.0 || beta != 1.0) io.state().notes.push_back(io.label() + ": alpha and beta folded into the weights");
  l.params = {std::move(w), std::move(bias)};
  l.inputs = {x.layer};
  l.in = x.shape;
  l.out = Shape{static_cast<int>(N), 1, 1};
  io.add_layer(std::move(l), 2);
}

// Add: of two computed tensors of one shape, nnc's add layer (the end of a residual block); of
// a computed tensor and a constant, the bias of the dense layer before it; of constants, folded.
void op_add(NodeIo& io) {
  io.attrs({"broadcast", "axis"});  // opsets before 7 mark broadcasting
  if (io.all_constant()) {
    const OnnxTensor &a = io.constant(0, "A"), &b = io.constant(1, "B");
    io.set_constant(broadcast(io, a, b, [](double x, double y) { return x + y; }));
    return;
  }
  if (io.input_count() != 2) throw io.refuse("has " + std::to_string(io.input_count()) + " inputs, expected 2");
  const Value &a = io.input(0, "A"), &b = io.input(1, "B");
  if (a.computed && b.computed) {
    const Value& x = io.computed(0, "A");  // shortcut steps pending on either become layers here
    const Value& y = io.computed(1, "B");
    if (x.rank != y.rank || !(x.shape == y.shape)) {
      throw io.refuse("adds tensors of shapes " + x.shape.str() + " and " + y.shape.str() +
                      " (nnc adds only tensors of the same shape)");
    }
    PendingLayer l;
    l.token = "add";
    l.inputs = {x.layer, y.layer};
    l.in = l.out = x.shape;
    io.add_layer(std::move(l), x.rank);
    return;
  }
  const int data_slot = a.computed ? 0 : 1;
  const Value& x = io.computed(data_slot, data_slot == 0 ? "A" : "B");
  const OnnxTensor& b0 = io.constant(1 - data_slot, "bias");
  if (x.rank != 2) {
    throw io.refuse("adds a constant to a rank-" + std::to_string(x.rank) + " tensor; nnc takes Add of a constant "
                    "only as the bias right after a MatMul or Gemm");
  }
  const std::size_t N = x.shape.size();
  const bool row = b0.values.size() == N && (b0.dims.size() == 1 || (b0.dims.size() == 2 && b0.dims[0] == 1));
  const bool scalar = b0.values.size() == 1 && b0.dims.size() <= 2;
  if (!row && !scalar) throw io.refuse("bias of shape " + dims_str(b0.dims) + " (nnc: one bias per output)");
  PendingLayer l;
  l.kind = PendingLayer::Kind::bias;
  l.bias.resize(N);
  for (std::size_t o = 0; o < N; ++o) l.bias[o] = static_cast<Real>(b0.values[row ? o : 0]);
  l.inputs = {x.layer};
  l.in = l.out = x.shape;
  io.add_layer(std::move(l), 2);
}

void op_pool(NodeIo& io) {
  const bool max = io.op() == "MaxPool";
  const Attrs a = io.attrs(max ? std::set<std::string>{"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                                       "storage_order", "strides"}
                               : std::set<std::string>{"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                                       "pads", "strides"});
  const Value& x = io.computed(0);
  const Shape cur = x.shape;
  if (x.rank != 4) throw io.refuse("pooling of a rank-" + std::to_string(x.rank) + " tensor; nnc has 2-D only");
  const auto ks = a.ints("kernel_shape", {});
  if (ks.size() != 2 || ks[0] != ks[1]) throw io.refuse("kernel_shape " + dims_str(ks) + " is not square 2-D");
  if (ks[0] < 1 || ks[0] > 999) throw io.refuse("kernel_shape " + dims_str(ks));
  const int k = static_cast<int>(ks[0]);
  const auto st = a.ints("strides", {1, 1});
  const auto pads = a.ints("pads", {0, 0, 0, 0});
  const bool no_pads = std::all_of(pads.begin(), pads.end(), [](std::int64_t p) { return p == 0; });
  if (k == 1 && st.size() == 2 && st[0] == st[1] && st[0] > 1 && st[0] <= 999 && no_pads &&
      a.s("auto_pad", "NOTSET") == "NOTSET" && a.i("ceil_mode", 0) == 0 && a.i("storage_order", 0) == 0) {
    // A 1x1 window at stride S takes every S-th row and column: option A's subsampling.
    add_shortcut_step(io, x, static_cast<int>(st[0]), static_cast<int>(st[0]), 0, 0);
    return;
  }
  if (st != std::vector<std::int64_t>{k, k}) {
    throw io.refuse("strides " + dims_str(a.ints("strides", {1, 1})) + " differ from the window " + std::to_string(k) +
                    " (nnc pools with stride = window)");
  }
  if (!no_pads) throw io.refuse("padding (nnc pools without padding)");
  for (auto d : a.ints("dilations", {1, 1}))
    if (d != 1) throw io.refuse("dilation " + std::to_string(d) + " (nnc pools with dilation 1)");
  const std::string auto_pad = a.s("auto_pad", "NOTSET");
  // SAME pads only when the input does not divide; VALID never does.
  const bool divides = cur.h % k == 0 && cur.w % k == 0;
  if (!(auto_pad == "NOTSET" || auto_pad == "VALID" || (divides && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")))) {
    throw io.refuse("auto_pad " + auto_pad + " pads this input (nnc pools without padding)");
  }
  if (a.i("ceil_mode", 0) != 0 && !divides) throw io.refuse("ceil_mode 1 keeps partial windows (nnc drops them)");
  if (a.i("storage_order", 0) != 0) throw io.refuse("storage_order 1 is not supported");
  if (cur.h < k || cur.w < k) throw io.refuse("window larger than the input");
  PendingLayer l;
  l.token = (max ? "mp" : "ap") + std::to_string(k);
  l.inputs = {x.layer};
  l.in = cur;
  l.out = Shape{cur.c, cur.h / k, cur.w / k};
  io.add_layer(std::move(l), 4);
}

void add_gap(NodeIo& io, const Value& x, int rank) {
  PendingLayer l;
  l.token = "gap";
  l.inputs = {x.layer};
  l.in = x.shape;
  l.out = Shape{x.shape.c, 1, 1};
  io.add_layer(std::move(l), rank);
}

void op_global_average_pool(NodeIo& io) {
  io.attrs({});
  const Value& x = io.computed(0);
  if (x.rank != 4) throw io.refuse("pooling of a rank-" + std::to_string(x.rank) + " tensor; nnc has 2-D only");
  add_gap(io, x, 4);
}

// ReduceMean over the two spatial axes is global average pooling (x.mean([2, 3])).
void op_reduce_mean(NodeIo& io) {
  const Attrs a = io.attrs({"axes", "keepdims", "noop_with_empty_axes"});
  const Value& x = io.computed(0);
  Dims axes = io.has_input(1) ? as_ints(io.constant(1, "axes")) : a.ints("axes", {});
  if (axes.empty() && !a.i("noop_with_empty_axes", 0))
    for (int i = 0; i < x.rank; ++i) axes.push_back(i);  // the default: every axis
  for (auto& ax : axes) ax = norm_axis(io, ax, x.rank);
  std::sort(axes.begin(), axes.end());
  if (x.rank != 4 || axes != Dims{2, 3}) {
    throw io.refuse("mean over axes " + dims_str(axes) + " of a rank-" + std::to_string(x.rank) +
                    " tensor (nnc takes the mean over the two spatial axes only: global average pooling)");
  }
  add_gap(io, x, a.i("keepdims", 1) ? 4 : 2);
}

void op_batch_norm(NodeIo& io) {
  const Attrs a = io.attrs({"epsilon", "momentum", "spatial", "is_test", "training_mode", "consumed_inputs"});
  if (a.i("training_mode", 0) != 0) throw io.refuse("training_mode 1 (nnc imports inference batch norm)");
  if (a.i("spatial", 1) != 1) throw io.refuse("spatial 0 (nnc normalizes per channel)");
  const Value& x = io.computed(0);
  const OnnxTensor &scale = io.constant(1, "scale"), &B = io.constant(2, "bias"), &mean = io.constant(3, "mean"),
                   &var = io.constant(4, "variance");
  const std::size_t C = static_cast<std::size_t>(x.shape.c);
  for (const OnnxTensor* t : {&scale, &B, &mean, &var})
    if (t->values.size() != C) throw io.refuse("'" + t->name + "' of shape " + dims_str(t->dims) + " on " + std::to_string(C) + " channels");
  // nnc's epsilon is fixed at 1e-5: another epsilon moves into the running variance.
  const double eps = a.f("epsilon", 1e-5);
  std::vector<Real> v(C);
  for (std::size_t c = 0; c < C; ++c) {
    if (!(var.values[c] + eps > 0)) throw io.refuse("variance + epsilon is not positive for channel " + std::to_string(c));
    v[c] = static_cast<Real>(var.values[c] + (eps - BatchNorm::kEps));
  }
  if (std::abs(eps - BatchNorm::kEps) > 1e-12) {
    io.state().notes.push_back(io.label() + ": epsilon " + std::to_string(eps) + " folded into the running variance");
  }
  PendingLayer l;
  l.token = "bn";
  l.params = {std::vector<Real>(scale.values.begin(), scale.values.end()), std::vector<Real>(B.values.begin(), B.values.end()),
              std::vector<Real>(mean.values.begin(), mean.values.end()), std::move(v)};
  l.inputs = {x.layer};
  l.in = l.out = x.shape;
  io.add_layer(std::move(l), x.rank);
}

void add_flat(NodeIo& io, const Value& x) {
  PendingLayer l;
  l.token = "flat";
  l.inputs = {x.layer};
  l.in = x.shape;
  l.out = Shape{static_cast<int>(x.shape.size()), 1, 1};
  io.add_layer(std::move(l), 2);
}

void op_flatten(NodeIo& io) {
  const Attrs a = io.attrs({"axis"});
  if (io.all_constant()) {
    const OnnxTensor& t = io.constant(0, "input");
    const auto r = static_cast<std::int64_t>(t.dims.size());
    const std::int64_t axis = a.i("axis", 1) < 0 ? a.i("axis", 1) + r : a.i("axis", 1);
    if (axis < 0 || axis > r) throw io.refuse("axis " + std::to_string(a.i("axis", 1)));
    std::int64_t outer = 1;
    for (std::int64_t i = 0; i < axis; ++i) outer *= t.dims[i];
    OnnxTensor f = t;
    f.dims = {outer, outer ? static_cast<std::int64_t>(t.values.size()) / outer : 0};
    io.set_constant(std::move(f));
    return;
  }
  const Value& x = io.computed(0);
  std::int64_t axis = a.i("axis", 1);
  if (axis < 0) axis += x.rank;
  if (axis != 1) throw io.refuse("axis " + std::to_string(a.i("axis", 1)) + " (nnc flattens to [N, rest], axis 1)");
  add_flat(io, x);
}

void op_reshape(NodeIo& io) {
  const Attrs a = io.attrs({"allowzero"});
  const bool zero_copies = a.i("allowzero", 0) == 0;
  const OnnxTensor& t = io.constant(1, "shape");
  if (io.all_constant()) {
    io.set_constant(reshape_constant(io, io.constant(0, "data"), t, !zero_copies));
    return;
  }
  const Value& x = io.computed(0);
  const auto S = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t batch = io.state().batch;
  bool ok = t.values.size() == 2;
  if (ok) {
    // NaN: the batch size, read by Shape from a symbolic batch dimension.
    const bool d0_batch = std::isnan(t.values[0]);
    const auto d0 = to_i64(t.values[0]), d1 = to_i64(t.values[1]);
    const bool keeps_batch = d0_batch || (d0 == 0 && zero_copies) || (batch > 0 && d0 == batch) || (d0 == -1 && d1 == S);
    ok = keeps_batch && !std::isnan(t.values[1]) && (d1 == -1 || d1 == S);
  }
  if (!ok) {
    std::string target = "[";
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      target += (i ? "," : "") + (std::isnan(t.values[i]) ? std::string("N") : std::to_string(to_i64(t.values[i])));
    }
    throw io.refuse("to " + target + "] (nnc reshapes only to [N, rest])");
  }
  add_flat(io, x);
}

std::string fmt_ratio(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "drop%g", p);
  return buf;
}

void op_dropout(NodeIo& io) {
  const Attrs a = io.attrs({"ratio", "is_test", "seed"});
  const Value& x = io.computed(0);
  double ratio = a.f("ratio", 0.5);
  if (io.has_input(1)) ratio = io.constant(1, "ratio").values.at(0);
  if (io.has_input(2) && io.constant(2, "training_mode").values.at(0) != 0) throw io.refuse("training_mode true");
  if (!(ratio >= 0 && ratio < 1)) throw io.refuse("ratio " + std::to_string(ratio) + " outside [0, 1)");
  const std::string token = fmt_ratio(ratio);
  if (std::abs(std::stod(token.substr(4)) - ratio) > 1e-6 || token.find('e') != std::string::npos) {
    throw io.refuse("ratio " + std::to_string(ratio) + " has no short decimal form in nnc's spec");
  }
  PendingLayer l;
  l.token = token;
  l.inputs = {x.layer};
  l.in = l.out = x.shape;
  io.add_layer(std::move(l), x.rank);
}

void op_softmax(NodeIo& io) {
  const Attrs a = io.attrs({"axis"});
  const Value& x = io.computed(0);
  const std::int64_t def = io.opset() >= 13 ? -1 : 1;
  std::int64_t axis = a.i("axis", def);
  if (axis < 0) axis += x.rank;
  // Before opset 13 Softmax flattens from its axis: axis 1 is the whole sample.
  if (axis != 1 || (io.opset() >= 13 && x.rank != 2)) {
    throw io.refuse("softmax over axis " + std::to_string(a.i("axis", def)) + " of a rank-" + std::to_string(x.rank) +
                    " tensor (nnc drops only a final softmax over the whole sample)");
  }
  if (io.node().output(0) != io.state().output_name) throw io.refuse("nnc takes Softmax only as the last node");
  io.state().softmax_dropped = true;
  io.state().logits = x;
  Value out = x;
  out.after_softmax = true;
  io.set_value(out);
}

// ---- Option A's shortcut: x[:, :, ::S, ::S] (Slice) and zero channels (Pad, Concat) ----

void add_shortcut_step(NodeIo& io, const Value& x, int sh, int sw, int before, int after) {
  PendingLayer l;
  l.kind = PendingLayer::Kind::shortcut;
  l.stride_h = sh;
  l.stride_w = sw;
  l.pad_before = before;
  l.pad_after = after;
  l.inputs = {x.layer};
  l.in = x.shape;
  l.out = Shape{x.shape.c + before + after, (x.shape.h + sh - 1) / sh, (x.shape.w + sw - 1) / sw};
  io.add_layer(std::move(l), x.rank);
}

void op_slice(NodeIo& io) {
  const Value& x = io.input(0, "data");
  const std::int64_t rank = x.computed ? x.rank : static_cast<std::int64_t>(x.constant.dims.size());
  const SliceSpec s = slice_spec(io, rank);
  if (!x.computed) {
    require_constants(io);
    io.set_constant(slice_constant(x.constant, s));
    return;
  }
  const Value& d = io.computed(0);
  // A symbolic batch is as long as any end: only [0:end] with a huge end keeps all of it.
  const std::int64_t batch = io.state().batch > 0 ? io.state().batch : (std::int64_t{1} << 62);
  const std::int64_t dims[4] = {batch, d.shape.c, d.shape.h, d.shape.w};
  int stride[4] = {1, 1, 1, 1};
  for (std::size_t k = 0; k < s.axes.size(); ++k) {
    const std::int64_t ax = s.axes[k];
    const std::int64_t dim = dims[ax];
    const AxisRange r = clamp_range(s.starts[k], s.ends[k], s.steps[k], dim);
    const bool whole = r.start == 0 && r.step > 0 && r.count == (dim + r.step - 1) / r.step;
    if (!whole || (ax < 2 && r.step != 1) || r.step > 999) {
      throw io.refuse("slice [" + std::to_string(s.starts[k]) + ":" + std::to_string(s.ends[k]) + ":" +
                      std::to_string(s.steps[k]) + "] of axis " + std::to_string(ax) +
                      " (nnc takes only x[:, :, ::S, ::S], every S-th row and column from the first: "
                      "option A's shortcut)");
    }
    stride[ax] *= static_cast<int>(r.step);
  }
  if (stride[2] == 1 && stride[3] == 1) {
    io.set_value(d);
    return;
  }
  if (d.rank != 4) throw io.refuse("subsamples a rank-" + std::to_string(d.rank) + " tensor; nnc's shortcut is 2-D");
  add_shortcut_step(io, d, stride[2], stride[3], 0, 0);
}

void op_pad(NodeIo& io) {
  Dims pads;
  double value = 0;
  std::string mode;
  if (io.opset() < 11) {
    const Attrs a = io.attrs({"mode", "pads", "paddings", "value"});
    pads = a.find("pads") ? a.ints("pads", {}) : a.ints("paddings", {});
    value = a.f("value", 0.0);
    mode = a.s("mode", "constant");
  } else {
    const Attrs a = io.attrs({"mode"});
    mode = a.s("mode", "constant");
    const OnnxTensor& p = io.constant(1, "pads");
    if (!known(p)) throw io.refuse("pads known only when the network runs");
    pads = as_ints(p);
    if (io.has_input(2)) {
      const OnnxTensor& v = io.constant(2, "constant_value");
      if (v.values.size() != 1) throw io.refuse("constant_value of shape " + dims_str(v.dims));
      value = v.values[0];
    }
    if (io.has_input(3)) throw io.refuse("the axes input (nnc takes pads for every axis)");
  }
  const Value& x = io.computed(0);
  if (pads.size() != static_cast<std::size_t>(2 * x.rank)) {
    throw io.refuse("pads " + dims_str(pads) + " on a rank-" + std::to_string(x.rank) + " tensor");
  }
  bool zero = true;
  for (auto p : pads) zero = zero && p == 0;
  if (zero) {  // exporters write it before some pools: the identity
    io.set_value(x);
    return;
  }
  if (mode != "constant" || value != 0) {
    throw io.refuse("mode " + mode + " with value " + std::to_string(value) +
                    " (nnc pads only channels, with zeros: option A's shortcut)");
  }
  for (std::int64_t i = 0; i < x.rank; ++i) {
    if (i != 1 && (pads[i] != 0 || pads[i + x.rank] != 0)) {
      throw io.refuse("pads " + dims_str(pads) + " pad axis " + std::to_string(i) +
                      " (nnc pads only channels, with zeros: option A's shortcut)");
    }
  }
  const std::int64_t before = pads[1], after = pads[1 + x.rank];
  if (before < 0 || after < 0 || before + after > 99999) throw io.refuse("pads " + dims_str(pads));
  if (x.rank != 4) throw io.refuse("pads the channels of a rank-" + std::to_string(x.rank) + " tensor; nnc's shortcut is 2-D");
  add_shortcut_step(io, x, 1, 1, static_cast<int>(before), static_cast<int>(after));
}

// Concat: of constants, folded; of one computed tensor and zero constants along the channels,
// the zero channels of option A's shortcut (torch.cat with zeros).
void op_concat(NodeIo& io) {
  const Attrs a = io.attrs({"axis"});
  if (io.all_constant()) {
    const OnnxTensor& first = io.constant(0, "input 0");
    const auto r = static_cast<std::int64_t>(first.dims.size());
    const std::int64_t axis = norm_axis(io, a.i("axis", 0), r);
    Dims out = first.dims;
    out[axis] = 0;
    std::vector<const OnnxTensor*> parts;
    for (int i = 0; i < io.input_count(); ++i) {
      if (!io.has_input(i)) continue;
      const OnnxTensor& t = io.constant(i, "input " + std::to_string(i));
      bool fits = static_cast<std::int64_t>(t.dims.size()) == r;
      for (std::int64_t k = 0; fits && k < r; ++k) fits = k == axis || t.dims[k] == first.dims[k];
      if (!fits) throw io.refuse("concatenates shapes " + dims_str(first.dims) + " and " + dims_str(t.dims));
      out[axis] += t.dims[axis];
      parts.push_back(&t);
    }
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t k = 0; k < axis; ++k) outer *= out[k];
    for (std::int64_t k = axis + 1; k < r; ++k) inner *= out[k];
    std::vector<double> v;
    v.reserve(numel(out));
    bool integer = true;
    for (std::int64_t o = 0; o < outer; ++o)
      for (const OnnxTensor* t : parts) {
        const std::int64_t n = t->dims[axis] * inner;
        v.insert(v.end(), t->values.begin() + o * n, t->values.begin() + (o + 1) * n);
      }
    for (const OnnxTensor* t : parts) integer = integer && t->integer;
    io.set_constant(make_tensor(out, std::move(v), integer));
    return;
  }
  int data_slot = -1;
  for (int i = 0; i < io.input_count(); ++i) {
    if (!io.has_input(i) || !io.input(i, "input " + std::to_string(i)).computed) continue;
    if (data_slot >= 0) {
      throw io.refuse("concatenates two tensors the network computes (nnc concatenates only zero channels onto one "
                      "tensor: option A's shortcut)");
    }
    data_slot = i;
  }
  const Value& x = io.computed(data_slot);
  if (x.rank != 4 || norm_axis(io, a.i("axis", 0), x.rank) != 1) {
    throw io.refuse("concatenates along axis " + std::to_string(a.i("axis", 0)) + " of a rank-" + std::to_string(x.rank) +
                    " tensor (nnc takes only zero channels, axis 1: option A's shortcut)");
  }
  int before = 0, after = 0;
  for (int i = 0; i < io.input_count(); ++i) {
    if (!io.has_input(i) || i == data_slot) continue;
    const Value& zv = io.input(i, "input " + std::to_string(i));
    if (zv.computed) throw io.refuse("concatenates two tensors the network computes");
    const OnnxTensor& z = zv.constant;
    const bool zeros = std::all_of(z.values.begin(), z.values.end(), [](double v) { return v == 0; });
    const bool fits = z.dims.size() == 4 && (io.state().batch <= 0 || zv.any_batch || z.dims[0] == io.state().batch) &&
                      z.dims[2] == x.shape.h && z.dims[3] == x.shape.w;
    if (!zeros || !fits) {
      throw io.refuse("concatenates a constant of shape " + dims_str(z.dims) + (zeros ? "" : ", not all zero,") +
                      " onto " + x.shape.str() + " samples (nnc takes only zero channels: option A's shortcut)");
    }
    (i < data_slot ? before : after) += static_cast<int>(z.dims[1]);
  }
  add_shortcut_step(io, x, 1, 1, before, after);
}

}  // namespace

const std::map<std::string, OpHandler>& op_handlers() {
  static const std::map<std::string, OpHandler> table = {
      {"Add", op_add},
      {"AveragePool", op_pool},
      {"BatchNormalization", op_batch_norm},
      {"Cast", op_cast},
      {"Concat", op_concat},
      {"Constant", op_constant},
      {"ConstantOfShape", op_constant_of_shape},
      {"Conv", op_conv},
      {"Div", op_div},
      {"Dropout", op_dropout},
      {"Flatten", op_flatten},
      {"Gather", op_gather},
      {"Gemm", op_gemm},
      {"GlobalAveragePool", op_global_average_pool},
      {"Identity", op_identity},
      {"MatMul", op_gemm},
      {"MaxPool", op_pool},
      {"Mul", op_mul},
      {"Pad", op_pad},
      {"ReduceMean", op_reduce_mean},
      {"Relu", op_relu},
      {"Reshape", op_reshape},
      {"Shape", op_shape},
      {"Slice", op_slice},
      {"Softmax", op_softmax},
      {"Squeeze", op_squeeze},
      {"Sub", op_sub},
      {"Transpose", op_transpose},
      {"Unsqueeze", op_unsqueeze},
  };
  return table;
}

}  // namespace nnc::onnx_detail
