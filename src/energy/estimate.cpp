#include "greentune/energy/estimate.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/energy/process_tree.hpp"

namespace greentune::energy {

EstimateModel EstimateModel::from_options(const MeterOptions& o) {
  EstimateModel m;
  std::string proc = o.proc_root.empty() ? "/proc" : o.proc_root;
  m.cpus = online_cpu_count();
  m.memory_gb = installed_memory_gb(proc);
  m.core_active_w = o.estimate_core_active_w >= 0 ? o.estimate_core_active_w : kDefaultCoreActiveW;
  m.idle_w = o.estimate_idle_w >= 0 ? o.estimate_idle_w : kDefaultIdleWPerCpu * m.cpus;
  m.dram_w_per_gb = o.estimate_dram_w_per_gb >= 0 ? o.estimate_dram_w_per_gb : kDefaultDramWPerGb;
  return m;
}

namespace {

class EstimateMeter final : public EnergyMeter {
 public:
  EstimateMeter(const MeterOptions& o, std::string why)
      : model_(EstimateModel::from_options(o)), cpu_(o.proc_root.empty() ? "/proc" : o.proc_root), why_(std::move(why)) {}

  std::string name() const override { return "estimate"; }
  std::vector<EnergyDomain> domains() const override { return {EnergyDomain::cpu_package, EnergyDomain::dram}; }
  EnergySource source() const override { return EnergySource::estimated; }
  std::string describe() const override {
    return fmt::format("model: {:g} W idle + {:g} W per busy CPU ({} CPUs); DRAM {:g} W/GB x {:.1f} GB", model_.idle_w,
                       model_.core_active_w, model_.cpus, model_.dram_w_per_gb, model_.memory_gb);
  }

  void begin(double t_s) override {
    last_t_ = t_s;
    last_busy_s_ = cpu_.busy_s();
  }

  void sample(double t_s, std::vector<PowerSample>& out) override {
    double busy = cpu_.busy_s();
    double dt = t_s - last_t_;
    if (dt > 0) {
      double busy_cpus = std::max(0.0, (busy - last_busy_s_) / dt);
      out.push_back(PowerSample{t_s, EnergyDomain::cpu_package, model_.package_w(busy_cpus), EnergySource::estimated});
      out.push_back(PowerSample{t_s, EnergyDomain::dram, model_.dram_w(), EnergySource::estimated});
    }
    last_t_ = t_s;
    last_busy_s_ = busy;
  }

  std::vector<DomainReading> end(double /*t_s*/, const WindowContext& w) override {
    std::string tail = why_.empty() ? "" : "; no CPU energy sensor found";
    DomainReading pkg;
    pkg.domain = EnergyDomain::cpu_package;
    pkg.source = EnergySource::estimated;
    pkg.joules = model_.idle_w * w.duration_s + model_.core_active_w * w.machine_cpu_s;
    pkg.note = fmt::format("estimated, not measured: {:g} W idle x {:.3f} s + {:g} W x {:.3f} busy CPU s{}", model_.idle_w,
                           w.duration_s, model_.core_active_w, w.machine_cpu_s, tail);
    DomainReading dram;
    dram.domain = EnergyDomain::dram;
    dram.source = EnergySource::estimated;
    dram.joules = model_.dram_w() * w.duration_s;
    dram.note = fmt::format("estimated, not measured: {:g} W/GB x {:.1f} GB x {:.3f} s{}", model_.dram_w_per_gb,
                            model_.memory_gb, w.duration_s, tail);
    return {pkg, dram};
  }

 private:
  EstimateModel model_;
  MachineCpuReader cpu_;
  std::string why_;
  double last_t_ = 0;
  double last_busy_s_ = 0;
};

}  // namespace

std::unique_ptr<EnergyMeter> make_estimate_meter(const MeterOptions& options, std::string why_no_sensor) {
  if (options.estimate_core_active_w > 1e4 || options.estimate_idle_w > 1e5 || options.estimate_dram_w_per_gb > 1e3)
    throw input_error("estimation model: implausible power figure (core W > 1e4, idle W > 1e5 or W/GB > 1e3)");
  return std::make_unique<EstimateMeter>(options, std::move(why_no_sensor));
}

}  // namespace greentune::energy
