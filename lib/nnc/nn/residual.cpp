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

void Add::forward_inputs(const std::vector<const Tensor*>& x, Tensor& y, const ForwardContext&) {
  const Tensor& a = *x.at(0);
  const Tensor& b = *x.at(1);
  y.resize(a.n(), out_);
  const Real* pa = a.data();
  const Real* pb = b.data();
  Real* py = y.data();
  parallel_chunks(a.n(), kSampleChunk, [&](int, int begin, int end) {
    const std::size_t s = a.sample_size();
    for (std::size_t i = begin * s; i < end * s; ++i) py[i] = pa[i] + pb[i];
  });
}

void Add::backward_inputs(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                          const std::vector<Tensor*>& dx) {
  for (std::size_t k = 0; k < dx.size(); ++k) {
    if (!dx[k]) continue;
    dx[k]->resize(x.at(k)->n(), in_);
    std::copy_n(dy.data(), dy.size(), dx[k]->data());
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
