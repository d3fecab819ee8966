// The files DNN+NeuroSim V1.4 reads for one image through a chip (bench/neurosim-compare.sh;
// docs/design.md section 14): the network CSV, and per mapped layer a weight trace and an input
// trace. Written by nnc, from nnc's own chip and images; NeuroSim's code is not used here.
#pragma once
#include <string>

#include "nnc/device/chip.hpp"
#include "nnc/nn/model.hpp"

namespace nnc::cli {

// Writes into `dir` (created if missing): net.csv, one row per mapped layer "H,W,Cin,kH,kW,Cout,
// pooled,stride" (H and W of the padded input; a dense layer 1,1,in,1,1,out,0,1; pooled 1 when
// a max pool follows before the next mapped layer); w<k>.csv, the crossbar matrix (rows = inputs,
// one line each; columns = outputs) of `weights` (the chip's read-back weights, or a model's
// own) over the chip layer's w_max, in [-1, 1];
// in<k>.csv, per input row one line of (input vectors x input_bits) 0/1 values: each vector's
// code, most significant bit first, as measure_activity codes it (two's complement when the
// layer's inputs can be negative, else unsigned), the scale from `image` alone. `model` is what
// the chip computes (its inputs are traced); `image` one sample. Throws Error if the chip has a
// layer that is not a chain's conv or dense layer.
void write_neurosim_traces(const std::string& dir, const ChipState& chip, const Model& weights, Model& model,
                           const Tensor& image, int input_bits);

}  // namespace nnc::cli
