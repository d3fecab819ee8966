#include "nnc/algo/cost.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "nnc/algo/metrics.hpp"
#include "nnc/nn/conv2d.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc {

namespace {

// Input vectors per image of a mapped layer: output positions of a conv, 1 for a dense layer.
double vectors_of(const Layer& l) {
  if (dynamic_cast<const Conv2d*>(&l)) {
    const Shape o = l.output_shape();
    return static_cast<double>(o.h) * o.w;
  }
  return 1;
}

// Whether a chip layer's cells were written (map_to_tiles leaves every conductance 0).
bool written(const LayerChip& lc) {
  return std::any_of(lc.g_plus.begin(), lc.g_plus.end(), [](float g) { return g != 0; }) ||
         std::any_of(lc.g_minus.begin(), lc.g_minus.end(), [](float g) { return g != 0; });
}

// Columns of tile column tc (edge tiles are narrower), rows of tile row tr.
int span(int n, int tile, int t) { return std::min(tile, n - t * tile); }

// Digital ops per image of a layer that stays off the chip, and their energy per op.
struct DigitalOps {
  double ops = 0;
  double j_per_op = 0;
};
DigitalOps digital_ops(const Layer& l, const CostParams& p) {
  const double s = p.scale_from_45nm;
  const double add = p.accumulator_bits * p.add_j_per_bit * s;
  const double compare = p.input_bits * p.add_j_per_bit * s;
  const double mac = p.mult8_j * s + add;
  const double out = static_cast<double>(l.output_shape().size());
  const double in = static_cast<double>(l.input_shape().size());
  const std::string t = l.type();
  if (l.is_mapped()) return {l.macs(), mac};           // a conv or dense layer kept digital
  if (t == "bn") return {out, mac};                    // x * scale + shift per element
  if (t == "relu") return {out, compare};
  if (t == "maxpool") return {in, compare};            // every input compared once
  if (t == "avgpool" || t == "gap") return {in + out, add};  // sums, then one scaling per output
  if (t == "add" || t == "shortcut") return {out, add};
  return {0, 0};                                       // flatten, dropout (identity at inference)
}

}  // namespace

double adc_conversion_j(const CostParams& p, int bits) {
  const double energy_scale = p.node_nm / p.adc_ref_node_nm * (p.vdd_v / p.adc_ref_vdd_v) * (p.vdd_v / p.adc_ref_vdd_v);
  const double cycles = bits * p.adc_cycle_j * energy_scale;
  const double dac = std::ldexp(1.0, bits - 2) * p.adc_unit_cap_f * p.vdd_v * p.vdd_v;
  return cycles + dac;
}

double adc_area_um2(const CostParams& p, int bits) {
  const double area_scale = (p.node_nm / p.adc_ref_node_nm) * (p.node_nm / p.adc_ref_node_nm);
  const auto dac = [&](int b) { return 2 * std::ldexp(1.0, b) * p.adc_unit_cap_f / p.cap_density_f_per_um2; };
  const double logic_8b = std::max(0.0, p.adc_area_8b_um2 * area_scale - dac(8));
  return logic_8b * bits / 8.0 + dac(bits);
}

std::vector<LayerActivity> measure_activity(Model& model, const Tensor& images, int input_bits) {
  if (input_bits < 1 || input_bits > 16) throw Error("measure_activity: input bits must be in [1, 16]");
  std::vector<int> mapped;
  for (std::size_t i = 0; i < model.layers().size(); ++i)
    if (model.layers()[i]->is_mapped()) mapped.push_back(static_cast<int>(i));
  const auto input_of = [&](int i) -> const Tensor& { return layer_input(model, static_cast<std::size_t>(i)); };
  const int chunk = 64;
  ForwardContext ctx;  // inference mode
  const auto each_chunk = [&](auto&& f) {
    Tensor x;
    for (int s = 0; s < images.n(); s += chunk) {
      const int n = std::min(chunk, images.n() - s);
      x.resize(n, images.shape());
      std::copy(images.sample(s), images.sample(s) + static_cast<std::ptrdiff_t>(x.size()), x.data());
      model.forward(x, ctx);
      f(n);
    }
  };
  // Pass 1: each layer's largest |input| and whether any is negative.
  std::vector<double> xmax(mapped.size(), 0);
  std::vector<char> negative(mapped.size(), 0);
  each_chunk([&](int) {
    for (std::size_t k = 0; k < mapped.size(); ++k) {
      const Tensor& x = input_of(mapped[k]);
      for (std::size_t e = 0; e < x.size(); ++e) {
        xmax[k] = std::max(xmax[k], static_cast<double>(std::abs(x.data()[e])));
        if (x.data()[e] < 0) negative[k] = 1;
      }
    }
  });
  // Pass 2: the 1 bits of each input's code, summed per crossbar row over the input vectors.
  std::vector<LayerActivity> out(mapped.size());
  for (std::size_t k = 0; k < mapped.size(); ++k) {
    const Layer& l = *model.layers()[static_cast<std::size_t>(mapped[k])];
    out[k].layer = mapped[k];
    out[k].vectors = vectors_of(l);
    out[k].row_ones.assign(static_cast<std::size_t>(crossbar_matrix(l).rows()), 0.0);
  }
  std::vector<std::uint8_t> ones;
  each_chunk([&](int n) {
    for (std::size_t k = 0; k < mapped.size(); ++k) {
      const Layer& l = *model.layers()[static_cast<std::size_t>(mapped[k])];
      const Tensor& x = input_of(mapped[k]);
      const double top = negative[k] ? std::ldexp(1.0, input_bits - 1) - 1 : std::ldexp(1.0, input_bits) - 1;
      const std::uint32_t mask = (1u << input_bits) - 1;
      ones.resize(x.size());
      for (std::size_t e = 0; e < x.size(); ++e) {
        const double q = xmax[k] > 0 ? std::round(std::clamp(x.data()[e] / xmax[k], -1.0, 1.0) * top) : 0;
        ones[e] = static_cast<std::uint8_t>(std::popcount(static_cast<std::uint32_t>(static_cast<std::int32_t>(q)) & mask));
      }
      auto& row = out[k].row_ones;
      const std::size_t per = x.sample_size();
      if (const auto* c = dynamic_cast<const Conv2d*>(&l)) {
        const Shape in = l.input_shape(), o = l.output_shape();
        const int kk = c->kernel(), st = c->stride(), pad = c->pad();
        for (int s = 0; s < n; ++s)
          for (int ch = 0; ch < in.c; ++ch)
            for (int i = 0; i < kk; ++i)
              for (int j = 0; j < kk; ++j) {
                double sum = 0;
                const std::uint8_t* plane = ones.data() + s * per + static_cast<std::size_t>(ch) * in.h * in.w;
                for (int oy = 0; oy < o.h; ++oy) {
                  const int iy = oy * st - pad + i;
                  if (iy < 0 || iy >= in.h) continue;
                  for (int ox = 0; ox < o.w; ++ox) {
                    const int ix = ox * st - pad + j;
                    if (ix >= 0 && ix < in.w) sum += plane[iy * in.w + ix];
                  }
                }
                row[static_cast<std::size_t>((ch * kk + i) * kk + j)] += sum;
              }
      } else {
        for (int s = 0; s < n; ++s)
          for (std::size_t e = 0; e < per && e < row.size(); ++e) row[e] += ones[s * per + e];
      }
    }
  });
  for (auto& a : out)
    for (double& r : a.row_ones) r /= std::max(1, images.n());
  return out;
}

CostReport chip_cost(const ChipState& chip, const Model& model, const CostParams& p, int adc_bits,
                     const std::vector<LayerActivity>* activity, const RsaRecord* rsa, std::size_t activity_images) {
  CostReport rep;
  rep.params = p;
  rep.adc_bits = adc_bits > 0 ? adc_bits : chip.device.adc_bits > 0 ? chip.device.adc_bits : static_cast<int>(p.adc_bits);
  rep.measured_activity = activity != nullptr;
  rep.images = activity ? activity_images : 0;
  const DeviceParams& d = chip.device;
  const int T = d.tile;
  const double s45 = p.scale_from_45nm;
  const double bin = p.input_bits;
  const double f_um = p.node_nm * 1e-3;
  const double cell_um2 = p.cell_area_f2 * f_um * f_um;
  const double pitch_um = std::sqrt(cell_um2);
  const double e_conv = adc_conversion_j(p, rep.adc_bits);
  const double t_conv = rep.adc_bits / 8.0 / p.adc_rate_hz;
  const double adc_area = adc_area_um2(p, rep.adc_bits);
  const double transistor = p.logic_transistor_um2;
  const double sram_bit_um2 = p.sram_cell_area_um2 / p.sram_array_efficiency;
  const double add_j = p.accumulator_bits * p.add_j_per_bit * s45;
  const double sram_r = p.sram_read_j_per_bit * s45, sram_w = p.sram_write_j_per_bit * s45;
  const double g_mid = (d.g_on_siemens + d.g_off_siemens) / 2;

  // The RSA cells of each layer, by model layer index.
  const auto rsa_cells_of = [&](int layer) -> double {
    if (!rsa) return 0;
    for (const auto& lc : rsa->state.selection.layers)
      if (lc.layer == layer) return static_cast<double>(lc.index.size());
    return 0;
  };
  const int rsa_bits = rsa && rsa->state.bits > 0 ? rsa->state.bits : 32;

  double buffer_bits = 0;
  std::vector<std::size_t> mapped_at;  // rep.layers index of each mapped layer
  for (std::size_t li = 0; li < model.layers().size(); ++li) {
    const Layer& l = *model.layers()[li];
    const LayerChip* lc = chip.find(static_cast<int>(li));
    LayerCost c;
    c.layer = static_cast<int>(li);
    c.type = l.type();
    c.spec = l.spec();
    buffer_bits = std::max(buffer_bits, static_cast<double>(l.input_shape().size() + l.output_shape().size()) * bin);
    if (!lc) {
      const DigitalOps ops = digital_ops(l, p);
      if (ops.ops == 0) continue;
      c.ops = ops.ops;
      c.e_digital = ops.ops * ops.j_per_op;
      c.latency_s = ops.ops * p.t_digital_op_s / p.digital_lanes;
      rep.layers.push_back(c);
      continue;
    }
    c.mapped = true;
    c.tiles = lc->tiles();
    const int rows = lc->rows, cols = lc->cols;
    const LayerActivity* act = nullptr;
    if (activity)
      for (const auto& a : *activity)
        if (a.layer == c.layer) act = &a;
    if (activity && (!act || act->row_ones.size() != static_cast<std::size_t>(rows)))
      throw Error("chip_cost: the activity does not fit layer " + std::to_string(c.layer));
    c.vectors = act ? act->vectors : vectors_of(l);
    const bool programmed = written(*lc);
    for (int tr = 0; tr < lc->tile_rows; ++tr) {
      for (int tc = 0; tc < lc->tile_cols; ++tc) {
        if (!lc->tile_used[static_cast<std::size_t>(tr * lc->tile_cols + tc)]) continue;
        ++c.tiles_used;
        const int nr = span(rows, T, tr), nc = span(cols, T, tc);
        c.adc_conversions += c.vectors * bin * nc;
        // Partial sums: one shift-and-add per conversion, then tile rows added per column and vector.
        c.e_shift_add += c.vectors * bin * nc * add_j + (tr > 0 ? c.vectors * nc * add_j : 0);
        // The word line runs across the whole width of the G+ and G- arrays, used columns or not,
        // and drives the gate of every cell's access transistor on its way.
        const double c_row = (p.wire_cap_f_per_um + p.gate_cap_f_per_um) * 2 * T * pitch_um;
        for (int r = tr * T; r < tr * T + nr; ++r) {
          double g = 0;
          for (int col = tc * T; col < tc * T + nc; ++col) {
            const std::size_t at = static_cast<std::size_t>(col) * rows + r;
            if (programmed) {
              g += lc->g_plus[at] + lc->g_minus[at];
            } else {
              const int k = std::abs(lc->target_level[at]);
              g += d.level_siemens(k) + d.g_off_siemens;
            }
          }
          const double ones = act ? act->row_ones[static_cast<std::size_t>(r)] : c.vectors * bin * p.activity_assumed;
          c.e_array += ones * p.v_read_v * p.v_read_v * g * p.t_read_pulse_s;
          c.e_driver += ones * c_row * p.vdd_v * p.vdd_v;
        }
      }
    }
    c.e_adc = c.adc_conversions * e_conv;
    // Buffers: each input vector read, each output written, input_bits per value.
    c.e_buffer = (static_cast<double>(rows) * c.vectors * bin) * sram_r + (static_cast<double>(cols) * c.vectors * bin) * sram_w;
    // Latency: all tiles of the layer in parallel; per vector and input bit one read pulse, then
    // the sampled columns converted adc_col_mux after another by each ADC.
    c.latency_s = c.vectors * bin * (p.t_read_pulse_s + p.adc_col_mux * t_conv);
    // Area of the placed tiles: each is a whole T x T pair with its periphery, used columns or not.
    const double tiles = c.tiles_used;
    const double adcs = tiles * std::ceil(T / p.adc_col_mux);
    c.a_array = tiles * 2.0 * T * T * cell_um2;
    c.a_adc = adcs * adc_area;
    c.a_driver = tiles * T * (p.flipflop_transistors + p.row_transistors) * transistor;
    c.a_column = tiles * 2.0 * T * p.column_transistors * transistor;
    c.a_write = tiles * (T + 4.0 * T) * p.write_driver_um2;  // word lines, and a bit and a source line per column of each array
    c.a_shift_add = adcs * p.accumulator_bits * (p.adder_transistors_per_bit + p.flipflop_transistors) * transistor;
    c.a_tile_buffer = tiles * T * (bin + p.accumulator_bits) * sram_bit_um2;  // one input vector, T partial sums
    c.a_overhead = p.tile_overhead * (c.a_array + c.a_adc + c.a_driver + c.a_column + c.a_write + c.a_shift_add +
                                      c.a_tile_buffer);
    c.rsa_cells = rsa_cells_of(c.layer);
    if (c.rsa_cells > 0) {
      c.a_rsa = c.rsa_cells * rsa_bits * p.sram_cell_area_um2 / p.sram_array_efficiency;
      const double mult = p.mult8_j * s45 * (rsa_bits / 8.0) * (rsa_bits / 8.0);  // array multiplier ~ bits^2
      c.e_rsa = c.rsa_cells * c.vectors * (rsa_bits * sram_r + mult + add_j);
    }
    mapped_at.push_back(rep.layers.size());
    rep.layers.push_back(c);
  }
  rep.buffer_area_um2 = buffer_bits * sram_bit_um2;

  // Links along the data flow: from each layer on the chip to every layer on the chip that reads
  // its outputs (through the digital layers between them: an Add's two inputs, identity
  // shortcuts), per such edge a b-bit bus per tile link, its wires routed over the tiles, with a
  // register of b flip-flops at both ends; counted at the layer that sends.
  std::vector<std::size_t> cost_of(model.layers().size(), 0);  // rep.layers index of each mapped layer
  for (std::size_t at : mapped_at) cost_of[static_cast<std::size_t>(rep.layers[at].layer)] = at;
  const auto on_chip = [&](int i) { return chip.find(i) != nullptr; };
  for (std::size_t at : mapped_at) {
    const int to = rep.layers[at].layer;
    const Layer& second = *model.layers()[static_cast<std::size_t>(to)];
    for (const TileFeed& f : tile_feeds(model, static_cast<std::size_t>(to), on_chip)) {
      LayerCost& c = rep.layers[cost_of[static_cast<std::size_t>(f.from)]];
      const Layer& first = *model.layers()[static_cast<std::size_t>(f.from)];
      const TileLinks links = feed_tile_links(model, f, static_cast<std::size_t>(to), T);
      const int channels = f.channels == 0 ? first.width() : f.channels;
      const double values_per_unit = static_cast<double>(second.input_shape().size()) / std::max(1, channels);
      c.tile_links += links.links;
      c.link_bits += links.link_units * values_per_unit * bin;
    }
  }
  for (std::size_t at : mapped_at) {
    LayerCost& c = rep.layers[at];
    c.a_link = c.tile_links * 2.0 * bin * p.flipflop_transistors * transistor;
  }
  // Interconnect energy: link lengths from the chip's side, so fewer tiles also mean shorter wires.
  double area = rep.buffer_area_um2;
  for (const auto& c : rep.layers) area += c.area();
  rep.side_um = std::sqrt(area);
  rep.link_length_um = 2.0 / 3.0 * rep.side_um;  // mean Manhattan distance of two points in a square
  for (std::size_t at : mapped_at) {
    LayerCost& c = rep.layers[at];
    c.e_interconnect = c.link_bits * 0.5 * p.wire_cap_f_per_um * rep.link_length_um * p.vdd_v * p.vdd_v;
  }

  // Programming: the chip's recorded pulses, or one write per cell of the placed tiles.
  ProgrammingCost& pc = rep.programming;
  pc.method = d.method;
  if (std::none_of(chip.layers.begin(), chip.layers.end(), written)) {
    for (const auto& lc : chip.layers)
      for (int t = 0; t < lc.tiles(); ++t)
        if (lc.tile_used[static_cast<std::size_t>(t)])
          pc.write_pulses += 2ull * span(lc.rows, T, t / lc.tile_cols) * span(lc.cols, T, t % lc.tile_cols);
  } else {
    pc.write_pulses = chip.write_pulses();
    pc.verify_reads = chip.pulses();
  }
  const double e_pulse = p.write_v * p.write_v * g_mid * p.write_pulse_width_s;
  const double e_verify = p.v_read_v * p.v_read_v * g_mid * d.t_read_s + e_conv;
  pc.energy_j = static_cast<double>(pc.write_pulses) * e_pulse + static_cast<double>(pc.verify_reads) * e_verify;
  pc.time_s = static_cast<double>(pc.write_pulses) * d.t_write_s + static_cast<double>(pc.verify_reads) * d.t_read_s;

  if (rsa) {
    RsaCost r;
    r.cells = rsa->state.cells();
    r.bits = rsa_bits;
    r.steps = rsa->report.steps;
    for (const auto& c : rep.layers) {
      r.area_um2 += c.a_rsa;
      r.read_j_per_image += c.e_rsa;
    }
    r.update_j = static_cast<double>(r.steps) * static_cast<double>(r.cells) * rsa_bits * (sram_r + sram_w);
    rep.rsa = r;
  }
  return rep;
}

namespace {
// The sum of f over a report's layers.
template <class T, class F>
T sum_layers(const std::vector<LayerCost>& layers, T start, F f) {
  for (const auto& c : layers) start += f(c);
  return start;
}
}  // namespace

double CostReport::energy_j() const { return sum_layers(layers, 0.0, [](const LayerCost& c) { return c.energy(); }); }
double CostReport::area_um2() const {
  return sum_layers(layers, buffer_area_um2, [](const LayerCost& c) { return c.area(); });
}
double CostReport::latency_s() const { return sum_layers(layers, 0.0, [](const LayerCost& c) { return c.latency_s; }); }
double CostReport::pipelined_interval_s() const {
  double t = 0;
  for (const auto& c : layers) t = std::max(t, c.latency_s);
  return t;
}
double CostReport::adc_conversions() const {
  return sum_layers(layers, 0.0, [](const LayerCost& c) { return c.adc_conversions; });
}
int CostReport::tiles_used() const { return sum_layers(layers, 0, [](const LayerCost& c) { return c.tiles_used; }); }
int CostReport::tile_links() const { return sum_layers(layers, 0, [](const LayerCost& c) { return c.tile_links; }); }

}  // namespace nnc
