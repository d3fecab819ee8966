// Records of nnc-cgap: the log line of each evaluation, what the output model keeps of a run
// (the /history/cgap_* series and notes, docs/schema.md), the end-of-run line and the JSON
// summary.
#pragma once
#include <string>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/io/artifact.hpp"

namespace nnc::cli {

const char* phase_name(CgapPhase p);  // "seed" | "growth" | "pruning" | "reverted" | "end"

// "epoch 1.50 growth   val acc 0.9120, 3456 params, 1.2e+05 FLOPs, widths 4 8"
std::string cgap_record_text(const CgapRecord& r);

// Series cgap_widths (one row per record, one column per growable layer), cgap_steps (epoch,
// phase, val_accuracy, params, flops per record) and cgap_summary (seed, peak, end x params,
// flops, val_accuracy), and the cgap_* notes naming layers, caps, template, columns and stops.
void record_cgap(ModelArtifact& out, const CgapResult& res, const Model& template_model);

// The end model against the template, and why growth and pruning stopped.
std::string cgap_end_text(const CgapResult& res, const Model& template_model, double test_accuracy);

// The --json summary: run settings, the end model (with test accuracy), the template, seed,
// peak and end points, stops, and every step.
Json cgap_json(const CgapResult& res, const Model& template_model, const std::string& arch, const std::string& dataset,
               int epochs, double test_accuracy);

// A checkpoint of nnc-cgap: `out` (provenance and notes) with `model` as it stands (velocity
// kept) and where the run is (CgapProgress) in the cgap_resume_* series, every number as held
// in memory, and the growth and pruning stops in notes.
ModelArtifact cgap_checkpoint(const ModelArtifact& out, const Model& model, const CgapProgress& progress);
// The CgapProgress of a checkpoint cgap_checkpoint wrote (bad input if the series are missing).
CgapProgress cgap_progress_of(const ModelArtifact& ck);

}  // namespace nnc::cli
