// Architectures as a user sees them before training: the presets and the input each expects,
// what a preset or spec expands to (layers, output shapes, parameters), and models built for a
// dataset with a failure to fit explained in terms of the input the network needs.
#pragma once
#include <string>
#include <vector>

#include "nnc/cli/json.hpp"
#include "nnc/nn/model.hpp"

namespace nnc::cli {

struct PresetInfo {
  std::string name, spec;
  Shape input;          // the input it was designed for
  std::string dataset;  // e.g. "mnist, fashion-mnist"
};
// The presets of docs/design.md section 5, each with its spec (preset_spec) and input.
std::vector<PresetInfo> presets();

// The smallest square side (for inputs of `channels` channels) that the spec's convolution and
// pooling layers take, or 0 if none up to 4096. Layers from the first flatten or dense layer on
// take any input, so they are not consulted.
int min_input_side(const std::string& spec, int channels);

// Model(arch, input, classes), where an architecture that does not fit the input fails (exit 2)
// saying what it needs: "architecture 'vgg16' needs inputs of at least 32x32; mnist has 1x28x28".
Model build_model(const std::string& arch, Shape input, int classes, const std::string& dataset);

// The model of `arch` for nnc-info --arch: on `input` (CxHxW) if given, else on its preset's
// input, else on 1x28x28, or on the smallest square input it takes; classes from its last layer.
Model describe_arch(const std::string& arch, const std::string& input);

// A model's layers with their output shapes and parameters, and the input it expects.
std::string arch_text(const Model& m);
Json arch_json(const Model& m);

std::string presets_text();
Json presets_json();

}  // namespace nnc::cli
