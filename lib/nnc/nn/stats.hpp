// Per-layer size figures: parameters, nonzero weights, FLOPs and crossbar tiles.
#pragma once
#include <string>
#include <vector>

#include "nnc/nn/model.hpp"

namespace nnc {

struct LayerStats {
  int index = 0;
  std::string type, spec;
  std::size_t params = 0;   // trainable values
  std::size_t nonzero = 0;  // nonzero weights plus biases (ParamCounts::params, docs/design.md section 8)
  double flops = 0;         // per sample, 2 per multiply-accumulate of a nonzero weight
  double dense_flops = 0;   // per sample, 2 per multiply-accumulate of every weight (what a
                            // dense kernel computes, zeros included)
  int rows = 0, cols = 0;   // the crossbar matrix (inputs x outputs), conv and dense only
  int tiles = 0;            // tiles of tile x tile holding at least one nonzero weight
  int tiles_total = 0;      // tiles of the whole matrix
  std::size_t masked = 0;   // weights a mask holds at zero
};

std::vector<LayerStats> layer_stats(const Model& m, int tile = 128);

// The crossbar view of a conv or dense layer's weight: column-major rows x cols, where
// rows are inputs (word lines) and cols outputs (bit lines). Throws for other layers.
ConstMatrixMap crossbar_matrix(const Layer& layer);

}  // namespace nnc
