#include "greentune/torch/trainer.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <torch/version.h>

#include "greentune/core/allocator.hpp"
#include "greentune/core/cpus.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/pattern.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/torch/prefetch.hpp"
#include "greentune/torch/registry.hpp"

namespace greentune::dl {

TrainContext::TrainContext(const ModelSpec& spec, Configuration config, torch::Device device, DataOptions data,
                           std::ostream& log, int verbosity)
    : spec_(&spec), config_(std::move(config)), device_(device), data_(std::move(data)), log_(&log),
      verbosity_(verbosity) {}

double TrainContext::hp(const std::string& name) const {
  auto it = config_.find(name);
  if (it == config_.end())
    throw runtime_error("model '" + spec_->name + "' has no hyperparameter '" + name + "' (trainer bug)");
  return it->second;
}

int64_t TrainContext::hp_int(const std::string& name) const { return static_cast<int64_t>(std::llround(hp(name))); }

Limits TrainContext::limits() const {
  Limits l;
  if (config_.count("train_limit")) l.train = hp_int("train_limit");
  if (config_.count("test_limit")) l.test = hp_int("test_limit");
  return l;
}

TrainResult TrainContext::make_result() const {
  TrainResult r;
  r.model = spec_->name;
  r.hyperparameters = config_;
  r.metric = spec_->metric;
  r.higher_is_better = spec_->higher_is_better;
  r.device = device_.str();
  r.torch_version = torch_version_string();
  return r;
}

void TrainContext::info(const std::string& message, int level) const {
  if (verbosity_ >= level) *log_ << "[" << spec_->name << "] " << message << "\n" << std::flush;
}

void TrainContext::synchronize() const {
  if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : -1);
}

torch::Device resolve_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text == "auto") {
    if (torch::cuda::is_available()) return torch::Device(torch::kCUDA, 0);
    return torch::Device(torch::kCPU);
  }
  static const Pattern kCuda(R"(cuda(:(\d{1,9}))?)");
  auto m = kCuda.full_match(text);
  if (!m)
    throw usage_error("--device: '" + text + "' is not one of cpu, cuda, cuda:N, auto");
  if (!torch::cuda::is_available())
    throw usage_error("--device " + text + ": CUDA is not available (libtorch " + torch_version_string() +
                      " sees no CUDA device; it may be a CPU-only build); use --device cpu or auto");
  int index = m->matched(2) ? std::stoi(m->str(2)) : 0;
  auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count)
    throw usage_error("--device " + text + ": only " + std::to_string(count) + " CUDA device(s) visible");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void seed_everything(uint64_t seed) {
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

torch::Tensor shuffled_indices(int64_t n) { return torch::randperm(n, torch::TensorOptions().dtype(torch::kInt64)); }

torch::Tensor take_batch(const torch::Tensor& data, const torch::Tensor& indices, int64_t start, int64_t count) {
  return data.index_select(0, indices.slice(0, start, start + count));
}

void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params())
      if (p.grad().defined()) p.mutable_grad().reset();
}

void use_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

int effective_threads(int threads) {
  if (threads > 0) return threads;
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {  // as PyTorch: the user's OpenMP setting wins
    char* end = nullptr;
    const long n = std::strtol(omp, &end, 10);
    if (end != omp && *end == '\0' && n > 0 && n <= 4096) return static_cast<int>(n);
  }
  return available_cpus();
}

bool finite_loss(double loss) { return std::isfinite(loss); }

void mark_diverged(TrainResult& result, int64_t epoch, int64_t step, double loss) {
  result.status = "diverged";
  result.performance.reset();  // the metric of a blown-up model is not a measurement
  result.reason = "training loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at epoch " +
                  std::to_string(epoch) + ", step " + std::to_string(step);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Bookkeeping after optimisation step `step` (1-based) of `steps_per_epoch`: every
// `check_every` steps and on the epoch's last step (`last_step`) the loss is read; a
// non-finite one marks `result` diverged (see mark_diverged), logs it and returns false.
// At verbosity >= 2 a progress line is logged every `progress_every` steps.
static bool check_step(const TrainContext& ctx, TrainResult& result, const torch::Tensor& loss, int64_t epoch,
                int64_t step, int64_t steps_per_epoch, int64_t check_every, int64_t progress_every, bool last_step) {
  if (step % check_every == 0 || last_step) {
    const double value = loss.item<double>();
    if (!finite_loss(value)) {
      mark_diverged(result, epoch, step, value);
      ctx.info("diverged: " + result.reason);
      return false;
    }
  }
  if (ctx.verbosity() >= 2 && step % progress_every == 0)
    ctx.info("epoch " + std::to_string(epoch) + " step " + std::to_string(step) + "/" +
                 std::to_string(steps_per_epoch) + " loss " + fixed(loss.item<double>(), 4),
             2);
  return true;
}

std::optional<EpochLoss> train_epoch(const TrainContext& ctx, TrainResult& result, int64_t epoch, int64_t steps,
                                     const std::function<StepLoss(int64_t step)>& step) {
  // On the CPU reading every step's loss is free; on CUDA it would drain the queue.
  const int64_t check_every = ctx.device().is_cuda() ? 50 : 1;
  const int64_t progress_every = std::max<int64_t>(1, steps / 10);
  const double start_s = monotonic_seconds();
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(ctx.device()));
  int64_t samples = 0;
  for (int64_t i = 0; i < steps; ++i) {
    StepLoss s = step(i);
    loss_sum += s.loss.detach().to(torch::kFloat64) * static_cast<double>(s.samples);
    samples += s.samples;
    if (!check_step(ctx, result, s.loss, epoch, i + 1, steps, check_every, progress_every, i + 1 == steps))
      return std::nullopt;
  }
  EpochLoss out;
  out.mean_loss = loss_sum.item<double>() / static_cast<double>(std::max<int64_t>(1, samples));
  if (!finite_loss(out.mean_loss)) {  // a non-finite value between checks (CUDA)
    mark_diverged(result, epoch, steps, out.mean_loss);
    ctx.info("diverged: " + result.reason);
    return std::nullopt;
  }
  result.final_train_loss = out.mean_loss;
  ctx.synchronize();
  out.train_s = monotonic_seconds() - start_s;
  return out;
}

void record_epoch(TrainResult& result, int64_t epoch, std::vector<double> lrs, const EpochLoss& loss,
                  std::optional<double> metric, double seconds) {
  EpochRecord e;
  e.epoch = epoch;
  e.lr = std::move(lrs);
  e.train_loss = loss.mean_loss;
  e.metric = metric;
  e.seconds = seconds;
  result.history.push_back(std::move(e));
}

void log_epoch(const TrainContext& ctx, int64_t epoch, int64_t epochs, const EpochLoss& loss,
               const std::string& metric_text, double lr, double samples, const std::string& unit) {
  const double per_s = samples / std::max(loss.train_s, 1e-9);
  ctx.info("epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + ": train loss " +
           fixed(loss.mean_loss, 4) + ", " + metric_text + ", lr " + fixed(lr, 5) + ", " +
           fixed(per_s, per_s < 100 ? 1 : 0) + " " + unit);
}

double evaluate_accuracy(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const TensorDataset& data,
                         const std::function<torch::Tensor(const torch::Tensor&)>& prepare,
                         const torch::Device& device, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const int64_t n = data.size();
  if (n == 0) return 0;
  torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  for (int64_t start = 0; start < n; start += batch_size) {
    int64_t count = std::min(batch_size, n - start);
    torch::Tensor x = prepare(data.images.slice(0, start, start + count));
    torch::Tensor y = data.labels.slice(0, start, start + count).to(device);
    correct += forward(x).argmax(1).eq(y).sum();
  }
  return static_cast<double>(correct.item<int64_t>()) / static_cast<double>(n);
}

torch::Tensor pinned_for(const torch::Tensor& host, const torch::Device& device) {
  if (!device.is_cuda() || !host.device().is_cpu()) return host;
  return host.pin_memory();
}

torch::Tensor to_device(const torch::Tensor& t, const torch::Device& device) {
  const bool async = device.is_cuda() && t.device().is_cpu() && t.is_pinned();
  return t.to(device, /*non_blocking=*/async);
}

CudnnBenchmarkGuard::CudnnBenchmarkGuard(const torch::Device& device) : active_(device.is_cuda()) {
  if (!active_) return;
  previous_ = at::globalContext().benchmarkCuDNN();
  at::globalContext().setBenchmarkCuDNN(true);
}

CudnnBenchmarkGuard::~CudnnBenchmarkGuard() {
  if (active_) at::globalContext().setBenchmarkCuDNN(previous_);
}

std::string torch_version_string() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

TrainResult train(const std::string& model, const Configuration& overrides, const TrainOptions& options) {
  const ModelSpec& spec = model_or_throw(model);
  Configuration config = spec.resolve(overrides);
  TrainerFn fn = find_trainer(model);
  if (!fn) {
    std::string known;
    for (const auto& t : trainers()) known += (known.empty() ? "" : ", ") + std::string(t.model);
    throw runtime_error("model '" + model + "' has no trainer in this build (trainable: " + known + ")");
  }
  torch::Device device = resolve_device(options.device);
  std::ostream& log = options.log ? *options.log : std::cerr;

  // Idempotent; also covers in-process callers (tests, the study runner) that bypass main().
  tune_allocator();
  torch::set_num_threads(effective_threads(options.threads));

  DataOptions data;
  data.data_dir = options.data_dir;
  data.fashion_mnist_default = options.fashion_mnist_default;
  data.substitute = config.count("substitute_data") && config.at("substitute_data") != 0;
  TrainContext ctx(spec, config, device, data, log, options.verbosity);
  ctx.set_data_workers(data_workers(options.data_workers));
  seed_everything(static_cast<uint64_t>(ctx.hp_int("seed")));
  ctx.info("libtorch " + torch_version_string() + ", device " + device.str() +
           (options.device == "auto" ? " (auto)" : "") + ", " + std::to_string(torch::get_num_threads()) + " threads");

  ctx.synchronize();
  const double start_s = monotonic_seconds();
  TrainResult result = fn(ctx);
  ctx.synchronize();
  result.wall_time_s = monotonic_seconds() - start_s;
  if (device.is_cpu()) result.cpu_threads = torch::get_num_threads();
  return result;
}

}  // namespace greentune::dl
