#include "nnc/cli/cgap_run.hpp"

#include <cstdio>
#include <filesystem>

#include "nnc/cli/cgap_report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

namespace {
const Choices<Newborn> kNewborns = {{"split", Newborn::split}, {"random", Newborn::random}};
const Choices<PruneScope> kPruneScopes = {{"global", PruneScope::global}, {"layer", PruneScope::layer}};
}  // namespace

void CgapFlags::Register(Registrar r) {
  CLI::App& app = r.app();
  train.Register(r, 10);
  app.get_option("--checkpoint-every")->description("steps between checkpoints of the final training (0 = each epoch); growth and pruning checkpoint at every evaluation");
  r.add("--checkpoint", checkpoint, "checkpoint file (default: <output>.ckpt)");
  r.add_flag("--resume", resume, "continue from the checkpoint if there is one");
  app.get_option("--epochs")->description("the whole budget: growth, pruning and final fine-tuning");
  app.get_option("--schedule")->description("learning-rate schedule over the whole run, as nnc-train's (growth and pruning happen while it runs)");
  CgapOptions& o = options;
  r.add("--start-width", o.start_width, "seed widths, a fraction of the template's (at least 2 units)", open_unit_interval());
  r.add("--growth-rate", o.growth_rate, "units added per growth step, a fraction of each layer's width", CLI::PositiveNumber);
  r.add("--growth-every", o.growth_every, "epochs of training between growth steps (fractions allowed; shorter when the growth budget needs more steps to reach the cap)",
        CLI::PositiveNumber);
  r.add("--max-width-ratio", o.max_width_ratio, "width cap, a fraction of the template's", CLI::PositiveNumber);
  r.add("--growth-budget", o.growth_budget, "growth uses at most this fraction of --epochs", 0.0, 1.0);
  r.add("--plateau", o.plateau, "growth stops when val accuracy gains less than this (and the noise margin) ...",
        CLI::NonNegativeNumber);
  r.add("--plateau-steps", o.plateau_steps, "... over this many growth steps", 1, 1000);
  r.add("--noise-z", o.noise_z, "validation noise margin of the plateau test, in standard errors (binomial) of a difference of two accuracies",
        CLI::NonNegativeNumber);
  r.add_choice("--newborn", o.newborn, kNewborns,
               "new units: random (fresh incoming weights, zero outgoing) or split (perturbed copy of a salient unit)");
  r.add("--split-noise", o.split_noise, "split: noise std on copied weights, relative to the layer's std", CLI::NonNegativeNumber);
  r.add("--prune-tolerance", o.prune_tolerance, "pruning stops at a step that costs more val accuracy than this before retraining (the step is undone; at least: see --prune-error-scale) ...",
        0.0, 1.0);
  r.add("--prune-budget", o.prune_budget, "... or that takes the sum of the kept steps' costs (each before retraining) above this (at least)",
        0.0, 1.0);
  r.add("--prune-error-scale", o.prune_error_scale, "the budget is max(--prune-budget, this x e^2) and the tolerance max(--prune-tolerance, half that), e the peak's val error (0: fixed limits)",
        CLI::NonNegativeNumber);
  r.add("--prune-bn-images", o.prune_bn_images, "batch norm: test each step with the running statistics re-estimated on this many training images, before and after the removal (0: as training left them)");
  r.add("--prune-rate", o.prune_rate, "units removed per pruning step, a fraction of all growable units", open_unit_interval());
  r.add_choice("--prune-scope", o.prune_scope, kPruneScopes,
               "layer: --prune-rate of each layer, its least salient units; global: the least salient over all layers (normalized per layer)");
  r.add("--prune-every", o.prune_every, "epochs of training after each pruning step (0 = --growth-every)", CLI::NonNegativeNumber);
  r.add("--final-epochs", o.final_epochs, "fraction of --epochs kept for the final fine-tuning", 0.0, 1.0);
  app.callback([&o] {
    if (o.growth_budget + o.final_epochs > 1) {
      throw CLI::ValidationError("--growth-budget", "plus --final-epochs must not exceed 1");
    }
  });
}

CgapOptions CgapFlags::resolved(const std::string& dataset, std::uint64_t seed) const {
  CgapOptions o = options;
  o.train = train.resolved(dataset, seed);
  return o;
}

std::optional<CgapProgress> cgap_start(const std::string& checkpoint, bool resume, ModelArtifact& out) {
  if (!resume || checkpoint.empty() || !std::filesystem::exists(checkpoint)) return std::nullopt;
  ModelArtifact ck = load_model(checkpoint);
  if (!ck.checkpoint || !ck.series.count("cgap_resume_state")) throw bad_input(checkpoint, "is not a checkpoint of nnc-cgap");
  if (ck.provenance.config != out.provenance.config) {
    throw bad_input(checkpoint, "was written by a run with different options; remove it or rerun with the same flags");
  }
  CgapProgress p = cgap_progress_of(ck);
  out.model = std::move(ck.model);
  char at[64];
  std::snprintf(at, sizeof at, " at step %llu (%s)", static_cast<unsigned long long>(p.position), phase_name(p.stage));
  info("resuming from " + checkpoint + at);
  for (const auto& r : p.result.records) info(cgap_record_text(r));  // what the run had printed
  return p;
}

CgapHooks cgap_hooks(const ModelArtifact& out, const std::string& checkpoint, int every) {
  CgapHooks hooks;
  hooks.should_stop = [] { return stop_requested(); };
  hooks.record = [](const CgapRecord& r) { info(cgap_record_text(r)); };
  hooks.checkpoint_every = every;
  if (!checkpoint.empty()) {
    hooks.checkpoint = [artifact = &out, path = &checkpoint](const Model& m, const CgapProgress& p) {
      if (dist::root()) save_model(*path, cgap_checkpoint(*artifact, m, p));
    };
  }
  return hooks;
}

std::string never_grew_text(const CgapResult& res) {
  if (res.records[res.peak].widths != res.records[res.seed].widths) return {};
  char when[32];
  std::snprintf(when, sizeof when, "%.2f", res.records[res.peak].epoch);
  return "the network never grew: growth stopped by " + res.growth_stop + " at epoch " + when +
         " (raise --epochs or --growth-budget, or lower --growth-every)";
}

}  // namespace nnc::cli
