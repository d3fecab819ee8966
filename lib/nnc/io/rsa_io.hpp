// The /rsa group of a chip file (docs/schema.md, "/rsa"): RSA cell coordinates and values per
// layer, the adaptation's settings, its training history and modeled time. Only lib/nnc/io
// includes this header (it speaks HDF5).
#pragma once
#include "nnc/device/rsa_record.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/io/h5.hpp"

namespace nnc::io {

void write_rsa_group(hid_t root, const RsaRecord& rsa);
// Reads /rsa and checks it against `model` (the chip's model part): each layer a conv or dense
// layer of the model with the same matrix, coordinates inside it, sorted and distinct, values
// finite. Throws a bad-input error naming the file and the object otherwise.
RsaRecord read_rsa_group(const h5::Reader& r, const Model& model);

}  // namespace nnc::io
