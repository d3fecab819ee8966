#include "nnc/nn/stats.hpp"

#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"

namespace nnc {

ConstMatrixMap crossbar_matrix(const Layer& l) {
  if (const auto* c = dynamic_cast<const Conv2d*>(&l)) {
    return ConstMatrixMap(c->weight.value.data(), c->rows(), c->out_channels());
  }
  if (const auto* d = dynamic_cast<const Dense*>(&l)) {
    return ConstMatrixMap(d->weight.value.data(), static_cast<Eigen::Index>(d->input_shape().size()), d->outputs());
  }
  throw Error("layer " + l.spec() + " has no crossbar matrix");
}

std::vector<LayerStats> layer_stats(const Model& m, int tile) {
  std::vector<LayerStats> out;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    const Layer& l = *m.layers()[i];
    LayerStats s;
    s.index = static_cast<int>(i);
    s.type = l.type();
    s.spec = l.spec();
    for (const Param* p : l.params()) {
      if (p->trainable) s.params += p->size();
    }
    if (l.is_mapped()) {
      const auto W = crossbar_matrix(l);
      s.rows = static_cast<int>(W.rows());
      s.cols = static_cast<int>(W.cols());
      const double positions = l.output_shape().h * l.output_shape().w;  // 1 for dense
      const Param* w = l.weight_param();
      const bool has_bias = l.params().size() > 1;
      s.dense_flops = 2.0 * static_cast<double>(W.size()) * positions;
      for (int c = 0; c < W.cols(); ++c) {
        const auto nz = static_cast<std::size_t>((W.col(c).array() != 0).count());
        s.nonzero += nz + (has_bias ? 1 : 0);
        s.flops += 2.0 * static_cast<double>(nz) * positions;
      }
      if (w->has_mask()) {
        for (auto b : w->mask) s.masked += b == 0;
      }
      const int tr = (s.rows + tile - 1) / tile, tc = (s.cols + tile - 1) / tile;
      s.tiles_total = tr * tc;
      for (int a = 0; a < tr; ++a) {
        for (int b = 0; b < tc; ++b) {
          const int r0 = a * tile, c0 = b * tile;
          const auto blk = W.block(r0, c0, std::min(tile, s.rows - r0), std::min(tile, s.cols - c0));
          s.tiles += (blk.array() != 0).any() ? 1 : 0;
        }
      }
    } else {
      s.nonzero = s.params;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace nnc
