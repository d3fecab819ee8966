#include "nnc/cli/arch_report.hpp"

#include <cstdio>

#include "nnc/nn/error.hpp"

namespace nnc::cli {

std::vector<PresetInfo> presets() {
  std::vector<PresetInfo> out = {
      {"lenet5", "", {1, 28, 28}, "mnist, fashion-mnist"},
      {"lenet300", "", {1, 28, 28}, "mnist, fashion-mnist"},
      {"cnn9", "", {3, 32, 32}, "cifar10"},
      {"vgg16", "", {3, 32, 32}, "cifar10"},
      {"resnet20", "", {3, 32, 32}, "cifar10"},
      {"resnet32", "", {3, 32, 32}, "cifar10"},
      {"resnet56", "", {3, 32, 32}, "cifar10"},
  };
  for (auto& p : out) p.spec = preset_spec(p.name);
  return out;
}

namespace {

bool spatial_layers_fit(const std::string& spec, int channels, int side) {
  try {
    SpecGraph g = parse_graph(spec);
    std::vector<Shape> node{Shape{channels, side, side}};  // the input, then each layer's output
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
      auto& l = g.layers[i];
      if (l->type() == "flatten" || l->type() == "dense" || l->type() == "gap") return true;
      std::vector<Shape> in;
      for (int j : g.inputs[i]) in.push_back(node[static_cast<std::size_t>(j + 1)]);
      const Shape s = l->setup_inputs(in);
      if (s.h < 1 || s.w < 1) return false;
      node.push_back(s);
    }
  } catch (const Error&) {
    return false;
  }
  return true;
}

// The output width of the spec's last conv or dense layer: the classes it predicts.
int spec_classes(const std::string& spec) {
  const auto layers = parse_spec(spec);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if ((*it)->is_mapped()) return (*it)->width();
  }
  throw Error("architecture '" + spec + "' has no conv or dense layer", ErrorKind::bad_input);
}

Shape parse_shape(const std::string& text) {
  Shape s;
  char x1 = 0, x2 = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c%d", &s.c, &x1, &s.h, &x2, &s.w) != 5 || x1 != 'x' || x2 != 'x' || s.c < 1 ||
      s.h < 1 || s.w < 1) {
    throw Error("input shape '" + text + "': expected CxHxW, e.g. 3x32x32", ErrorKind::bad_input);
  }
  return s;
}

}  // namespace

int min_input_side(const std::string& spec, int channels) {
  constexpr int kMax = 4096;
  if (!spatial_layers_fit(spec, channels, kMax)) return 0;
  int lo = 1, hi = kMax;  // fitting is monotone in the side: find the first side that fits
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (spatial_layers_fit(spec, channels, mid)) hi = mid; else lo = mid + 1;
  }
  return lo;
}

Model build_model(const std::string& arch, Shape input, int classes, const std::string& dataset) {
  const std::string spec = resolve_arch(arch);
  parse_spec(spec);  // a bad token is reported as such, not as a size
  const int side = min_input_side(spec, input.c);
  if (side > 0 && (input.h < side || input.w < side)) {
    throw Error("architecture '" + arch + "' needs inputs of at least " + std::to_string(side) + "x" +
                    std::to_string(side) + "; " + dataset + " has " + input.str() + " (nnc-info --arch " + arch +
                    " shows its layers)",
                ErrorKind::bad_input);
  }
  return Model(arch, input, classes);
}

Model describe_arch(const std::string& arch, const std::string& input) {
  const std::string spec = resolve_arch(arch);
  Shape shape{1, 28, 28};
  if (!input.empty()) {
    shape = parse_shape(input);
  } else {
    bool preset = false;
    for (const auto& p : presets()) {
      if (p.name == arch) shape = p.input, preset = true;
    }
    const int side = min_input_side(spec, shape.c);
    if (!preset && side > 28) shape = {shape.c, side, side};
  }
  return build_model(arch, shape, spec_classes(spec), "the input");
}

std::string arch_text(const Model& m) {
  std::string out = "arch: " + m.arch() + "\nspec: " + m.spec() + "\n";
  const int side = min_input_side(m.spec(), m.input_shape().c);
  out += "input " + m.input_shape().str() + " (at least " + std::to_string(side) + "x" + std::to_string(side) +
         " with " + std::to_string(m.input_shape().c) + " channels), " + std::to_string(m.classes()) + " classes, " +
         std::to_string(m.param_count()) + " parameters\n\n";
  char buf[200];
  const bool graph = !m.is_chain();  // a graph also lists what each layer reads ("in": the input)
  std::snprintf(buf, sizeof buf, "%-4s %-8s %-12s %-14s %12s%s\n", "#", "type", "spec", "output", "params",
                graph ? "  inputs" : "");
  out += buf;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    const auto& l = m.layers()[i];
    std::size_t params = 0;
    for (const Param* p : l->params()) params += p->trainable ? p->size() : 0;
    std::string from;
    for (int j : m.layer_inputs(i)) from += (from.empty() ? "  " : ",") + (j < 0 ? std::string("in") : std::to_string(j));
    std::snprintf(buf, sizeof buf, "%-4zu %-8s %-12s %-14s %12zu%s\n", i, l->type().c_str(), l->spec().c_str(),
                  l->output_shape().str().c_str(), params, graph ? from.c_str() : "");
    out += buf;
  }
  return out;
}

Json arch_json(const Model& m) {
  Json j = Json::object();
  j.set("arch", m.arch()).set("spec", m.spec()).set("input_shape", m.input_shape().str());
  j.set("min_input_side", min_input_side(m.spec(), m.input_shape().c));
  j.set("classes", m.classes()).set("params", m.param_count());
  Json layers = Json::array();
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    const auto& l = m.layers()[i];
    std::size_t params = 0;
    for (const Param* p : l->params()) params += p->trainable ? p->size() : 0;
    Json layer = Json::object().set("index", i).set("type", l->type()).set("spec", l->spec())
                     .set("output_shape", l->output_shape().str()).set("params", params);
    if (!m.is_chain()) {  // -1: the network's input
      Json from = Json::array();
      for (int j : m.layer_inputs(i)) from.push(j);
      layer.set("inputs", std::move(from));
    }
    layers.push(std::move(layer));
  }
  j.set("layers", std::move(layers));
  return j;
}

std::string presets_text() {
  std::string out;
  char buf[160];
  for (const auto& p : presets()) {
    const Model m(p.name, p.input, spec_classes(p.spec));
    std::snprintf(buf, sizeof buf, "%-9s input %-8s %11zu parameters  (%s)\n", p.name.c_str(), p.input.str().c_str(),
                  m.param_count(), p.dataset.c_str());
    out += buf + ("          " + p.spec + "\n");
  }
  return out;
}

Json presets_json() {
  Json arr = Json::array();
  for (const auto& p : presets()) {
    const Model m(p.name, p.input, spec_classes(p.spec));
    arr.push(Json::object().set("name", p.name).set("spec", p.spec).set("input_shape", p.input.str())
                 .set("params", m.param_count()).set("datasets", p.dataset));
  }
  return arr;
}

}  // namespace nnc::cli
