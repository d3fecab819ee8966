// onnx-torch-compare (issue 10): an nnc model imported from PyTorch's ONNX export against
// PyTorch's own logits on the MNIST test set (scripts/torch_lenet5_export.py writes them).
// Prints the largest logit difference, how many images differ by more than 1e-4, and argmax
// agreement wherever PyTorch's two top logits are more than 1e-4 apart. Exit 1 if they disagree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/artifact.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: onnx-torch-compare <model.h5> <logits.f32> [mnist data dir]\n");
    return 2;
  }
  try {
    ModelArtifact a = load_model(argv[1]);
    const Bytes raw = read_bytes(argv[2]);
    const Dataset test = load_dataset("mnist", Split::test, argc > 3 ? argv[3] : "");
    const int classes = a.model.classes();
    if (raw.size() != test.size() * classes * sizeof(float)) {
      throw bad_input(argv[2], "holds " + std::to_string(raw.size()) + " bytes, expected " +
                                   std::to_string(test.size() * classes * sizeof(float)));
    }
    std::vector<float> torch(raw.size() / sizeof(float));
    std::memcpy(torch.data(), raw.data(), raw.size());
    double max_diff = 0;
    std::size_t over = 0, compared = 0, agree = 0, nnc_correct = 0, torch_correct = 0;
    const int batch = 1000;
    Tensor x;
    std::vector<int> labels(batch);
    for (std::size_t b = 0; b < test.size(); b += batch) {
      const int n = static_cast<int>(std::min<std::size_t>(batch, test.size() - b));
      std::vector<std::size_t> idx(n);
      std::iota(idx.begin(), idx.end(), b);
      fill_batch(test, idx.data(), n, x, labels.data());
      const Tensor& y = a.model.forward(x, ForwardContext{});
      for (int s = 0; s < n; ++s) {
        const float* t = torch.data() + (b + s) * classes;
        const Real* m = y.sample(s);
        double d = 0;
        for (int c = 0; c < classes; ++c) d = std::max(d, std::abs(double(m[c]) - double(t[c])));
        max_diff = std::max(max_diff, d);
        over += d > 1e-4;
        const int tm = static_cast<int>(std::max_element(t, t + classes) - t);
        const int mm = static_cast<int>(std::max_element(m, m + classes) - m);
        std::vector<float> sorted(t, t + classes);
        std::sort(sorted.rbegin(), sorted.rend());
        if (sorted[0] - sorted[1] > 1e-4) {
          ++compared;
          agree += tm == mm;
        }
        nnc_correct += mm == labels[s];
        torch_correct += tm == labels[s];
      }
    }
    std::printf("images %zu  max |logit diff| %.3g  images over 1e-4: %zu\n", test.size(), max_diff, over);
    std::printf("argmax compared on %zu images (top two > 1e-4 apart): %zu agree\n", compared, agree);
    std::printf("accuracy: nnc %.4f  PyTorch %.4f\n", double(nnc_correct) / test.size(),
                double(torch_correct) / test.size());
    return (over == 0 && agree == compared) ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "onnx-torch-compare: %s\n", e.what());
    return e.exit_code();
  }
}
