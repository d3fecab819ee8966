// The device flags (docs/design.md section 6), one per row of kDeviceParams (device/params.hpp),
// taken by nnc-program-rram and by nnc-eval (with --chips; on a chip file only the read-out
// conditions, rows with at_readout, since the rest needs reprogramming).
#pragma once
#include <CLI/CLI.hpp>

#include "nnc/cli/registrar.hpp"
#include "nnc/device/params.hpp"

namespace nnc::cli {

// Adds a flag per row of kDeviceParams, bound to d's member, in the help group "Device" (or
// "Time model"), with the row's rule as a CLI11 validator, so a value out of range is a bad flag
// like any other: exit 105, "--levels: must be in [2, 32768], found 1". The rules across
// parameters (--g-off < --g-on, --p-sf0 + --p-sf1 <= 1) are checked once parsing is done, also
// exit 105; for that this sets the app's parse-complete callback. with_method = false leaves out
// the programming flags (--method, --max-pulses, --rvw-fraction); readout_only = true registers
// only the read-out conditions (rows with at_readout: nnc-rsa-adapt).
void register_device_flags(Registrar r, DeviceParams& d, bool with_method = true, bool readout_only = false);

// True if any device flag was given (on the command line or in a --config file).
bool device_flags_given(const CLI::App& app);

// The first device flag given that is not a read-out condition (a row without at_readout, e.g.
// --sigma: it needs reprogramming), or "" if there is none.
std::string programming_flag_given(const CLI::App& app);
// Sets in `chip` every read-out condition (rows with at_readout) whose flag was given, to its
// value in `given` (the DeviceParams the flags are bound to): nnc-eval chip.h5 --time T.
void apply_readout_flags(const CLI::App& app, const DeviceParams& given, DeviceParams& chip);

// The checks of d that need the model, as bad flag values (exit 105): --digital-layers must
// name conv or dense layers of `model`.
void check_device_flags(const DeviceParams& d, const Model& model);

}  // namespace nnc::cli
