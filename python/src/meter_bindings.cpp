// _WindowMeter (energy::WindowMeter) and meters_json (`greentune meters --json`).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/run_model.hpp"
#include "greentune/energy/measure.hpp"
#include "greentune/energy/window_meter.hpp"

namespace py = pybind11;

namespace greentune::python {

namespace {

energy::MeterOptions meter_options(const std::string& meter, int interval_ms, const std::string& powercap_root,
                                   const std::string& nvml_library, const std::string& perf_sysfs_root,
                                   const std::vector<std::string>& gpus) {
  energy::MeterOptions o;
  o.meter = meter;
  o.interval_ms = interval_ms;
  o.powercap_root = powercap_root;
  o.nvml_library = nvml_library;
  o.perf_sysfs_root = perf_sysfs_root;
  o.gpus = gpus;
  return o;
}

// A read-only view of n doubles at p, keeping `owner` alive (no copy; numpy.asarray on the
// Python side).
Buffer view(const double* p, std::size_t n, py::object owner) { return Buffer::borrowing(p, n, std::move(owner)); }

using Reading = std::tuple<std::string, std::optional<double>, std::string, std::string>;

}  // namespace

void bind_meter(py::module_& m) {
  py::class_<energy::WindowMeter>(m, "_WindowMeter")
      .def(py::init([](const std::string& meter, int interval_ms, const std::string& powercap_root,
                       const std::string& nvml_library, const std::string& perf_sysfs_root,
                       const std::vector<std::string>& gpus, std::size_t capacity) {
             auto o = meter_options(meter, interval_ms, powercap_root, nvml_library, perf_sysfs_root, gpus);
             py::gil_scoped_release release;
             return std::make_unique<energy::WindowMeter>(o, capacity);
           }),
           py::arg("meter"), py::arg("interval_ms"), py::arg("powercap_root"), py::arg("nvml_library"),
           py::arg("perf_sysfs_root"), py::arg("gpus"), py::arg("capacity"))
      .def("now", &energy::WindowMeter::now)
      .def(
          "energy",
          [](energy::WindowMeter& w, double t0, double t1) {
            std::vector<energy::DomainReading> rs;
            {
              py::gil_scoped_release release;
              rs = w.energy(t0, t1);
            }
            std::vector<Reading> out;
            for (const auto& r : rs) out.emplace_back(to_string(r.domain), r.joules, to_string(r.source), r.note);
            return out;
          },
          py::arg("t0"), py::arg("t1"))
      .def("sample_now", &energy::WindowMeter::sample_now, py::call_guard<py::gil_scoped_release>())
      .def("stop", &energy::WindowMeter::stop, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("stopped", &energy::WindowMeter::stopped)
      .def_property_readonly("backends", &energy::WindowMeter::backends)
      .def_property_readonly("domains",
                             [](const energy::WindowMeter& w) {
                               std::vector<std::string> names;
                               for (EnergyDomain d : w.domains()) names.emplace_back(to_string(d));
                               return names;
                             })
      .def_property_readonly("missing",
                             [](const energy::WindowMeter& w) {
                               std::vector<std::pair<std::string, std::string>> out;
                               for (const auto& [d, why] : w.missing()) out.emplace_back(to_string(d), why);
                               return out;
                             })
      .def_property_readonly("notes", &energy::WindowMeter::notes)
      .def_property_readonly("interval_ms", &energy::WindowMeter::interval_ms)
      .def_property_readonly("capacity", &energy::WindowMeter::capacity)
      .def_property_readonly("ticks", &energy::WindowMeter::ticks)
      .def(
          "series",
          [](py::object self, const std::string& domain) {
            const auto& w = self.cast<const energy::WindowMeter&>();
            auto d = parse_energy_domain(domain);
            if (!d) throw usage_error("no power series for '" + domain + "': measured domains are the meter's domains()");
            energy::SeriesView v = w.series(*d);
            std::size_t n = v.size > 0 ? v.size - 1 : 0;  // index 0 is the origin, not a sample
            return py::make_tuple(std::string(to_string(v.source)), view(v.t_s + 1, n, self), view(v.watts + 1, n, self),
                                  view(v.cumulative_j + 1, n, self));
          },
          py::arg("domain"));

  m.def(
      "meters_json",
      [](const std::string& powercap_root, const std::string& nvml_library, const std::string& perf_sysfs_root,
         const std::vector<std::string>& gpus) {
        auto o = meter_options("auto", 100, powercap_root, nvml_library, perf_sysfs_root, gpus);
        std::string text;
        {
          py::gil_scoped_release release;
          text = energy::meters_to_json(energy::detect_meters(energy::resolve_defaults(o))).dump();
        }
        return text;
      },
      py::arg("powercap_root"), py::arg("nvml_library"), py::arg("perf_sysfs_root"), py::arg("gpus"));
}

}  // namespace greentune::python
