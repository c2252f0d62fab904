#pragma once
// The library entry point of `greentune train` and the helpers every model trainer shares.
//
// A model trainer is a plain function `TrainResult fn(const TrainContext&)` listed in
// registry.cpp. It reads its hyperparameters from ctx.config (already resolved against the
// catalog in core/models.hpp: defaults + overrides, validated), loads data with
// datasets.hpp, trains, and returns a result made with ctx.make_result().
// Divergence (NaN/inf loss) is a result with status "diverged", never an exception.
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include <torch/torch.h>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/models.hpp"
#include "greentune/core/train_result.hpp"
#include "greentune/torch/datasets.hpp"

namespace greentune::dl {

struct TrainOptions {
  std::string device = "cpu";     // cpu | cuda | cuda:N | auto (cuda if available, else cpu)
  std::optional<std::string> data_dir;  // --data-dir (see DataOptions); unset: $GREENTUNE_DATA
  std::ostream* log = nullptr;    // progress and substitution notices; nullptr = std::cerr
  int verbosity = 1;              // 0 quiet, 1 one line per epoch, 2 also every ~10% of an epoch
  int threads = 0;                // intra-op threads; 0 = OMP_NUM_THREADS, else every CPU (effective_threads)
  int data_workers = -1;          // threads preparing batches (resnet20, hrnet18); -1 = 2, 0 = none (prefetch.hpp)
  // Tests: where Debian's Fashion-MNIST is looked for (see DataOptions).
  std::string fashion_mnist_default = "/usr/share/datasets/fashion-mnist";
};

// Evaluation batch sizes: the upstream scripts' test batch sizes (docs/models.md has the
// measurement of 1000 against 64 on a 2-core CPU after the allocator fix).
constexpr int64_t kEvalBatchSize = 64;          // default of evaluate_accuracy
constexpr int64_t kMnistEvalBatch = 1000;       // pytorch/examples mnist --test-batch-size
constexpr int64_t kSiameseEvalBatch = 1000;     // pytorch/examples siamese_network --test-batch-size
constexpr int64_t kResnet20EvalBatch = 128;     // akamaster/pytorch_resnet_cifar10 val_loader

class TrainContext {
 public:
  TrainContext(const ModelSpec& spec, Configuration config, torch::Device device,
               DataOptions data, std::ostream& log, int verbosity);

  const ModelSpec& spec() const { return *spec_; }
  const Configuration& config() const { return config_; }
  const torch::Device& device() const { return device_; }
  const DataOptions& data() const { return data_; }
  std::ostream& log() const { return *log_; }
  int verbosity() const { return verbosity_; }
  // Threads that prepare training batches ahead (prefetch.hpp); 0 = on the training thread.
  int data_workers() const { return data_workers_; }
  void set_data_workers(int workers) { data_workers_ = workers; }

  // Hyperparameter value; throws runtime_error if the model's spec lacks it (a bug).
  double hp(const std::string& name) const;
  int64_t hp_int(const std::string& name) const;
  Limits limits() const;  // train_limit / test_limit

  // A result with model, hyperparameters, metric, direction, device and torch version filled.
  TrainResult make_result() const;

  // Progress line "[model] message" on the log when verbosity >= level.
  void info(const std::string& message, int level = 1) const;

  // Waits for queued CUDA work when on CUDA (call at the edges of timed/metered windows).
  void synchronize() const;

 private:
  const ModelSpec* spec_;
  Configuration config_;
  torch::Device device_;
  DataOptions data_;
  std::ostream* log_;
  int verbosity_;
  int data_workers_ = 2;
};

// ---- library entry point ----

// Resolves the model and configuration (unknown model / hyperparameter / out-of-range value:
// input_error), the device ("cuda" without CUDA: usage_error; "auto": cpu fallback, recorded),
// tunes the allocator, seeds, runs the model's trainer and fills wall_time_s (whole call,
// data loading included, CUDA synchronised at both ends).
TrainResult train(const std::string& model, const Configuration& overrides, const TrainOptions& options);

// "cpu", "cuda", "cuda:1", "auto" -> device; throws usage_error on bad text or missing CUDA.
torch::Device resolve_device(const std::string& text);

// ---- helpers for model trainers ----

// Seeds libtorch's CPU generator (and CUDA's when available) for reproducible runs.
void seed_everything(uint64_t seed);

// Deterministic shuffled order of n indices (uses the seeded global generator).
torch::Tensor shuffled_indices(int64_t n);

// Rows `indices[start, start+count)` of a tensor (index_select on dim 0).
torch::Tensor take_batch(const torch::Tensor& data, const torch::Tensor& indices, int64_t start, int64_t count);

// Drops the optimiser's gradients before a step's backward pass (PyTorch's
// zero_grad(set_to_none=True)): backward then writes fresh gradients instead of filling
// zeros and adding into them. Optimisers skip parameters without a gradient.
void clear_gradients(torch::optim::Optimizer& optimizer);

// Stores every 4-d parameter (convolution weights) channels-last, oneDNN's native layout:
// the CPU convolutions then skip a layout conversion per call. Values are unchanged.
void use_channels_last(torch::nn::Module& module);

// Intra-op threads `train` uses for a `threads` option: the value itself when positive,
// else OMP_NUM_THREADS when it is a positive integer, else every CPU this process may run
// on (core/cpus.hpp). libtorch's own default counts
// physical cores through cpuinfo and gives 1 on some VMs that have 2.
int effective_threads(int threads);

// True for a finite loss value.
bool finite_loss(double loss);

// Marks `result` as diverged with a reason naming the epoch/step and the value, and clears
// its performance (null in the JSON): the metric of a blown-up model is not a measurement.
void mark_diverged(TrainResult& result, int64_t epoch, int64_t step, double loss);

// `v` with `digits` decimals ("%.*f"), for progress lines.
std::string fixed(double v, int digits);

// What one optimisation step gives train_epoch: its loss (a 0-d tensor, not yet read) and
// the number of samples it covered (the mean loss is weighted by it).
struct StepLoss {
  torch::Tensor loss;
  int64_t samples = 0;
};

struct EpochLoss {
  double mean_loss = 0;  // sample-weighted mean training loss of the epoch
  double train_s = 0;    // wall time of its steps (CUDA synchronised)
};

// One epoch of `steps` optimisation steps: `step(i)` (0-based) runs the forward pass,
// backward pass and optimiser step of batch i and returns its loss. Each step's loss is
// checked (every step on the CPU, every 50 on CUDA, and the last) and progress is logged
// at verbosity 2. Returns the epoch's mean loss and time and sets result.final_train_loss,
// or nullopt when the loss became non-finite (result marked diverged, see mark_diverged).
std::optional<EpochLoss> train_epoch(const TrainContext& ctx, TrainResult& result, int64_t epoch, int64_t steps,
                                     const std::function<StepLoss(int64_t step)>& step);

// Appends epoch `epoch`'s entry to result.history: the learning rate of each parameter
// group, the epoch's mean training loss, the metric measured after it (if any) and the
// epoch's wall time (training and evaluation).
void record_epoch(TrainResult& result, int64_t epoch, std::vector<double> lrs, const EpochLoss& loss,
                  std::optional<double> metric, double seconds);

// The end-of-epoch progress line: "epoch E/N: train loss L, <metric_text>, lr R, S <unit>".
void log_epoch(const TrainContext& ctx, int64_t epoch, int64_t epochs, const EpochLoss& loss,
               const std::string& metric_text, double lr, double samples, const std::string& unit);


// Classification accuracy in [0,1] of `forward` (returns logits or log-probabilities [B,K])
// over `data`, in eval mode under NoGradGuard, at kEvalBatchSize. `prepare` turns a uint8
// image batch into the model's input on `device` (normalisation etc.).
double evaluate_accuracy(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                         const TensorDataset& data,
                         const std::function<torch::Tensor(const torch::Tensor&)>& prepare,
                         const torch::Device& device, int64_t batch_size = kEvalBatchSize);

// A host batch prepared for `device` by a data-loading worker: copied into page-locked (pinned)
// memory when `device` is CUDA, as upstream's DataLoader(pin_memory=True) does, so that
// to_device() can copy it asynchronously; unchanged on the CPU.
torch::Tensor pinned_for(const torch::Tensor& host, const torch::Device& device);
// `t` on `device`: asynchronous (non_blocking) when `t` is pinned host memory and `device` is
// CUDA (the caching host allocator keeps the pinned block until the copy has run); a plain
// copy otherwise, and `t` itself when it is already there.
torch::Tensor to_device(const torch::Tensor& t, const torch::Device& device);

// cuDNN's benchmark mode (autotuned convolution algorithms, upstream's
// `cudnn.benchmark = True` in resnet20's and hrnet18's scripts) for the guard's lifetime when
// `device` is CUDA; the previous setting is restored after. Nothing on the CPU.
class CudnnBenchmarkGuard {
 public:
  explicit CudnnBenchmarkGuard(const torch::Device& device);
  ~CudnnBenchmarkGuard();
  CudnnBenchmarkGuard(const CudnnBenchmarkGuard&) = delete;
  CudnnBenchmarkGuard& operator=(const CudnnBenchmarkGuard&) = delete;

 private:
  bool active_ = false;
  bool previous_ = false;
};

// "1.13.0" etc. (the libtorch headers this was built against).
std::string torch_version_string();

}  // namespace greentune::dl
