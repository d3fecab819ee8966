// The model part of an artifact, written into or read from any HDF5 group, so a chip file can
// hold the model it was programmed from. Used only inside lib/nnc/io.
#pragma once
#include "nnc/io/artifact.hpp"
#include "nnc/io/h5.hpp"

namespace nnc::io {

void write_root_attrs(hid_t root, const std::string& kind, const std::string& creator);
// Checks nnc_kind and the schema version of a file's root (MAJOR.MINOR.PATCH, MAJOR ours, any
// MINOR: exit 3 for another major); returns the kind.
std::string check_root(const h5::Reader& r);
// True if the file's nnc_schema_version is older than `version` ("1.1.0"), so what that version
// added may be missing and takes its default. Call after check_root.
bool schema_before(const h5::Reader& r, const char* version);

void write_model_group(hid_t group, const ModelArtifact& a);
ModelArtifact read_model_group(const h5::Reader& r, hid_t group);

void write_provenance(hid_t parent, const Provenance& p);
Provenance read_provenance(const h5::Reader& r, hid_t parent);

}  // namespace nnc::io
