#include "nnc/cli/neurosim_traces.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nnc/algo/cost.hpp"
#include "nnc/nn/conv2d.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc::cli {

namespace {

std::ofstream open_out(const std::string& path) {
  std::ofstream f(path);
  if (!f) throw Error(path + ": cannot be written");
  return f;
}

}  // namespace

void write_neurosim_traces(const std::string& dir, const ChipState& chip, const Model& weights, Model& model,
                           const Tensor& image, int input_bits) {
  std::filesystem::create_directories(dir);
  ForwardContext ctx;
  model.forward(image, ctx);
  std::ofstream net = open_out(dir + "/net.csv");
  int k = 0;
  const auto& layers = model.layers();
  for (std::size_t li = 0; li < layers.size(); ++li) {
    const LayerChip* lc = chip.find(static_cast<int>(li));
    if (!lc) continue;
    ++k;
    const Layer& l = *layers[li];
    const Shape in = l.input_shape();
    bool pooled = false;
    for (std::size_t j = li + 1; j < layers.size() && !layers[j]->is_mapped(); ++j)
      if (layers[j]->type() == "maxpool") pooled = true;
    const auto* conv = dynamic_cast<const Conv2d*>(&l);
    if (conv) {
      net << in.h + 2 * conv->pad() << ',' << in.w + 2 * conv->pad() << ',' << in.c << ',' << conv->kernel() << ','
          << conv->kernel() << ',' << l.width() << ',' << (pooled ? 1 : 0) << ',' << conv->stride() << '\n';
    } else {
      net << "1,1," << in.size() << ",1,1," << l.width() << ",0,1\n";
    }
    // Weights over w_max, rows = inputs.
    const ConstMatrixMap W = crossbar_matrix(*weights.layers()[li]);
    std::ofstream w = open_out(dir + "/w" + std::to_string(k) + ".csv");
    char buf[32];
    for (Eigen::Index r = 0; r < W.rows(); ++r) {
      for (Eigen::Index c = 0; c < W.cols(); ++c) {
        const double v = lc->w_max > 0 ? std::clamp(W(r, c) / lc->w_max, -1.0, 1.0) : 0.0;
        std::snprintf(buf, sizeof buf, "%s%.6g", c ? "," : "", v);
        w << buf;
      }
      w << '\n';
    }
    // Inputs: each vector's code, bit by bit, MSB first.
    const Tensor& x = layer_input(model, li);
    double xmax = 0;
    bool negative = false;
    for (std::size_t e = 0; e < x.sample_size(); ++e) {
      xmax = std::max(xmax, static_cast<double>(std::abs(x.data()[e])));
      negative = negative || x.data()[e] < 0;
    }
    const double top = negative ? std::ldexp(1.0, input_bits - 1) - 1 : std::ldexp(1.0, input_bits) - 1;
    const std::uint32_t mask = (1u << input_bits) - 1;
    const auto code = [&](double v) -> std::uint32_t {
      const double q = xmax > 0 ? std::round(std::clamp(v / xmax, -1.0, 1.0) * top) : 0;
      return static_cast<std::uint32_t>(static_cast<std::int32_t>(q)) & mask;
    };
    std::ofstream f = open_out(dir + "/in" + std::to_string(k) + ".csv");
    const auto put_bits = [&](std::string& line, std::uint32_t c) {
      for (int b = input_bits - 1; b >= 0; --b) {
        if (!line.empty()) line += ',';
        line += ((c >> b) & 1u) ? '1' : '0';
      }
    };
    if (conv) {
      const Shape o = l.output_shape();
      const int kk = conv->kernel(), st = conv->stride(), pad = conv->pad();
      for (int ch = 0; ch < in.c; ++ch)
        for (int i = 0; i < kk; ++i)
          for (int j = 0; j < kk; ++j) {
            std::string line;
            for (int oy = 0; oy < o.h; ++oy)
              for (int ox = 0; ox < o.w; ++ox) {
                const int iy = oy * st - pad + i, ix = ox * st - pad + j;
                const bool inside = iy >= 0 && iy < in.h && ix >= 0 && ix < in.w;
                put_bits(line, inside ? code(x.data()[(static_cast<std::size_t>(ch) * in.h + iy) * in.w + ix]) : 0u);
              }
            f << line << '\n';
          }
    } else {
      for (std::size_t e = 0; e < in.size(); ++e) {
        std::string line;
        put_bits(line, code(x.data()[e]));
        f << line << '\n';
      }
    }
  }
}

}  // namespace nnc::cli
