// Every random stream of nnc, named in one place (docs/design.md section 11). A draw comes
// from Rng(seed, {tag, ids...}) with one of these tags first, so that no two uses can share
// a stream; the ids after the tag are listed beside each. Changing a value changes results.
#pragma once
#include <cstdint>

namespace nnc::stream {

// Seeded by the tool's --seed.
inline constexpr std::uint64_t kModelInit = 0x1417;    // {layer}: initial weights
inline constexpr std::uint64_t kDropout = 0xD409;      // {step, layer, sample}
inline constexpr std::uint64_t kShuffle = 0x5;         // {epoch}: batch order of training
inline constexpr std::uint64_t kAugment = 0xA46;       // {epoch, image}: CIFAR crop and flip
inline constexpr std::uint64_t kCgapGrowth = 0xC6A9;   // {}: CGaP's newborn units
inline constexpr std::uint64_t kRsaSelection = 0x5E1;  // {layer, tile}: RSA cell positions
inline constexpr std::uint64_t kRsaInit = 0x125A;      // {layer}: additive RSA initial values
inline constexpr std::uint64_t kRsaShuffle = 0x25A;    // {epoch}: batch order of RSA training
inline constexpr std::uint64_t kSmallWorld = 0x5357;   // {layer}: lattice rewiring ("SW")
inline constexpr std::uint64_t kMetrics = 0x4D45;      // {layer}: random reference graphs ("ME")

// Seeded by a chip's seed: {layer, tile}.
inline constexpr std::uint64_t kChipFault = 1;       // stuck-at fault map
inline constexpr std::uint64_t kChipFirstWrite = 2;  // the first write of every cell
inline constexpr std::uint64_t kChipVerify = 3;      // R-V-W's further pulses
inline constexpr std::uint64_t kChipRead = 4;        // retired: read-back noise drawn once per chip
                                                     // (before issue 20); kept so no use takes it
inline constexpr std::uint64_t kChipDrift = 6;       // drift exponent nu of every cell

// Seeded by a chip's seed: {read seed, read stream, read index, layer, row block}. One stream
// per crossbar read of one input vector through one tile row: fresh read noise on every read.
inline constexpr std::uint64_t kChipReadNoise = 5;

// The read streams of kChipReadNoise: reads are numbered from 0 in each (sample by sample, in
// the order they are read), so a test pass reads image i with the same noise at any batch size.
namespace read {
inline constexpr std::uint64_t kTest = 0;              // evaluation on a test split
inline constexpr std::uint64_t kRsaTraining = 1;       // RSA's training forward passes
inline constexpr std::uint64_t kValidation = 2;        // validation passes during RSA
inline constexpr std::uint64_t kBnRecalibration = 3;   // batch-norm recalibration passes
}  // namespace read

}  // namespace nnc::stream
