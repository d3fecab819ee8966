// Reports about chips, shared by nnc-program-rram, nnc-eval and nnc-info: device parameters
// with their units, per-layer fault counts, levels used and tiles, Monte Carlo summaries.
#pragma once
#include <string>

#include "nnc/cli/json.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/algo/chip_eval.hpp"

namespace nnc::cli {

// One key per row of kDeviceParams (device/params.hpp), its name: units in the keys
// (g_on_siemens, t_write_s, ...); numbers, booleans and strings as the row's kind.
Json device_json(const DeviceParams& d);
// Lines "device:", "programming:", "time:", each row as "label value unit" ("G_on 0.0001 S",
// "ADC off", "clip on"), wrapped at 100 columns.
std::string device_text(const DeviceParams& d);
Json chip_layers_json(const ChipState& chip);
std::string chip_layers_text(const ChipState& chip);
// A chip summary: layers, cells, faults, R-V-W pulses and time.
Json chip_json(const ChipState& chip);
// nnc-program-rram's log line of what it wrote: "<output>: 4 layers on chip, 13 tiles, 856 SF1
// and 323 SF0 cells[, R-V-W ... pulses, ... s modeled], ... write pulses, ... weights off target
// (map default)", from chip_json's figures.
std::string programmed_text(const std::string& output, const ChipState& chip, const std::string& map);
// accuracy (the mean), accuracy_std, accuracy_min, accuracy_max, chips, samples,
// seconds_per_chip, and per chip its seed and accuracy.
Json chip_eval_json(const ChipEvalSummary& s);
// A chip read K times (nnc-eval --repeats): sets accuracy and loss to the means over the reads,
// accuracy_std, accuracy_min, accuracy_max, repeats, and per_read (read_seed, accuracy, loss).
void set_reads_json(Json& j, const ChipReads& reads);
// "over K reads (read seeds a..b): accuracy mean .. std .. min .. max ..\n".
std::string reads_text(const ChipReads& reads);

}  // namespace nnc::cli
