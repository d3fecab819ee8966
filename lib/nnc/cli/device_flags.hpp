// The device flags (docs/design.md section 6), one per row of kDeviceParams (device/params.hpp),
// taken by nnc-program-rram and by nnc-eval with --chips.
#pragma once
#include <CLI/CLI.hpp>

#include "nnc/device/params.hpp"

namespace nnc::cli {

// Adds a flag per row of kDeviceParams, bound to d's member, in the help group "Device" (or
// "Time model"), with the row's rule as a CLI11 validator, so a value out of range is a bad flag
// like any other: exit 105, "--levels: must be in [2, 32768], found 1". The rules across
// parameters (--g-off < --g-on, --p-sf0 + --p-sf1 <= 1) are checked once parsing is done, also
// exit 105; for that this sets the app's parse-complete callback. with_method = false leaves out
// the programming flags (--method, --max-pulses, --rvw-fraction).
void register_device_flags(CLI::App& app, DeviceParams& d, bool with_method = true);

// True if any device flag was given (on the command line or in a --config file).
bool device_flags_given(const CLI::App& app);

// The checks of d that need the model, as bad flag values (exit 105): --digital-layers must
// name conv or dense layers of `model`.
void check_device_flags(const DeviceParams& d, const Model& model);

}  // namespace nnc::cli
