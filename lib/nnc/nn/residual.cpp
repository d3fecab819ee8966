#include "nnc/nn/residual.hpp"

#include <algorithm>

#include "nnc/nn/error.hpp"
#include "nnc/nn/parallel.hpp"

namespace nnc {

Shape Add::setup_inputs(const std::vector<Shape>& in) {
  if (in.size() != 2) throw Error("layer add takes 2 inputs, given " + std::to_string(in.size()));
  if (!(in[0] == in[1])) {
    throw Error("layer add: its inputs have different shapes, " + in[0].str() + " and " + in[1].str());
  }
  in_ = out_ = in[0];
  return out_;
}

void Add::forward_inputs(const std::vector<const Tensor*>& x, Tensor& y, const ForwardContext& ctx) {
  const Tensor& a = *x.at(0);
  const Tensor& b = *x.at(1);
  y.resize(a.n(), out_);
  const Real* pa = a.data();
  const Real* pb = b.data();
  Real* py = y.data();
  const bool relu = ctx.relu_after;
  const std::size_t s = a.sample_size();
  // The loops read pointers of their own: through the captured ones every store would reload
  // them (it might alias them), and the loop would not vectorize.
  parallel_chunks(a.n(), kSampleChunk, [pa, pb, py, s, relu](int, int begin, int end) {
    const std::size_t i0 = begin * s, n = (end - begin) * s;
    const Real* u = pa + i0;
    const Real* v = pb + i0;
    Real* w = py + i0;
    if (relu) {
      for (std::size_t i = 0; i < n; ++i) w[i] = std::max(u[i] + v[i], Real(0));
    } else {
      for (std::size_t i = 0; i < n; ++i) w[i] = u[i] + v[i];
    }
  });
  last_relu_ = relu;
}

// After a forward pass with relu_after, dy is the gradient of the ReLU's output y: each input's
// gradient is dy where y > 0, else 0 (Relu::backward's mask: y > 0 exactly where a + b > 0).
void Add::backward_inputs(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                          const std::vector<Tensor*>& dx) {
  const Tensor* first = nullptr;  // the first gradient written, which the other copies
  for (std::size_t k = 0; k < dx.size(); ++k) {
    if (!dx[k]) continue;
    dx[k]->resize(x.at(k)->n(), in_);
    if (first) {
      std::copy_n(first->data(), first->size(), dx[k]->data());
    } else if (last_relu_) {
      const Real* g = dy.data();
      const Real* out = y.data();
      Real* d = dx[k]->data();
      const std::size_t s = dy.sample_size();
      parallel_chunks(dy.n(), kSampleChunk, [g, out, d, s](int, int begin, int end) {
        const std::size_t i0 = begin * s, n = (end - begin) * s;
        for (std::size_t i = 0; i < n; ++i) {
          const Real gi = g[i0 + i];  // loaded whatever the mask, so that the loop vectorizes
          d[i0 + i] = out[i0 + i] > 0 ? gi : Real(0);
        }
      });
    } else {
      std::copy_n(dy.data(), dy.size(), dx[k]->data());
    }
    first = dx[k];
  }
}

Shape Add::setup(Shape) { throw Error("layer add takes 2 inputs, given 1"); }
void Add::forward(const Tensor&, Tensor&, const ForwardContext&) { throw Error("layer add takes 2 inputs, given 1"); }
void Add::backward(const Tensor&, const Tensor&, const Tensor&, Tensor*) {
  throw Error("layer add takes 2 inputs, given 1");
}

Shape GlobalAvgPool::setup(Shape in) {
  in_ = in;
  out_ = {in.c, 1, 1};
  return out_;
}

void GlobalAvgPool::forward(const Tensor& x, Tensor& y, const ForwardContext&) {
  y.resize(x.n(), out_);
  const int C = in_.c, HW = in_.h * in_.w;
  parallel_chunks(x.n(), kSampleChunk, [&](int, int begin, int end) {
    for (int s = begin; s < end; ++s) {
      const Real* in = x.sample(s);
      Real* out = y.sample(s);
      for (int c = 0; c < C; ++c) {
        double sum = 0;
        for (int i = 0; i < HW; ++i) sum += in[c * HW + i];
        out[c] = static_cast<Real>(sum / HW);
      }
    }
  });
}

void GlobalAvgPool::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->resize(x.n(), in_);
  const int C = in_.c, HW = in_.h * in_.w;
  parallel_chunks(x.n(), kSampleChunk, [&](int, int begin, int end) {
    for (int s = begin; s < end; ++s) {
      const Real* g = dy.sample(s);
      Real* out = dx->sample(s);
      for (int c = 0; c < C; ++c) std::fill_n(out + c * HW, HW, static_cast<Real>(g[c] / HW));
    }
  });
}

std::string PadShortcut::spec() const {
  return "id" + std::to_string(channels_) + (stride_ == 1 ? "" : "s" + std::to_string(stride_));
}

Shape PadShortcut::setup(Shape in) {
  if (in.c > channels_) {
    throw Error("layer " + spec() + ": " + std::to_string(channels_) + " channels cannot hold an input of " +
                in.str());
  }
  in_ = in;
  out_ = {channels_, (in.h + stride_ - 1) / stride_, (in.w + stride_ - 1) / stride_};
  return out_;
}

void PadShortcut::forward(const Tensor& x, Tensor& y, const ForwardContext&) {
  y.resize(x.n(), out_);
  const int off = channel_offset(), S = stride_;
  parallel_chunks(x.n(), kSampleChunk, [&](int, int begin, int end) {
    for (int s = begin; s < end; ++s) {
      const Real* in = x.sample(s);
      Real* out = y.sample(s);
      std::fill_n(out, out_.size(), Real(0));
      for (int c = 0; c < in_.c; ++c)
        for (int oy = 0; oy < out_.h; ++oy)
          for (int ox = 0; ox < out_.w; ++ox)
            out[((c + off) * out_.h + oy) * out_.w + ox] = in[(c * in_.h + oy * S) * in_.w + ox * S];
    }
  });
}

void PadShortcut::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->resize(x.n(), in_);
  const int off = channel_offset(), S = stride_;
  parallel_chunks(x.n(), kSampleChunk, [&](int, int begin, int end) {
    for (int s = begin; s < end; ++s) {
      const Real* g = dy.sample(s);
      Real* out = dx->sample(s);
      std::fill_n(out, in_.size(), Real(0));
      for (int c = 0; c < in_.c; ++c)
        for (int oy = 0; oy < out_.h; ++oy)
          for (int ox = 0; ox < out_.w; ++ox)
            out[(c * in_.h + oy * S) * in_.w + ox * S] = g[((c + off) * out_.h + oy) * out_.w + ox];
    }
  });
}

}  // namespace nnc
