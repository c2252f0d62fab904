#pragma once
#include <pybind11/pybind11.h>

namespace greentune::python {

// _WindowMeter, meters_json (meter_bindings.cpp)
void bind_meter(pybind11::module_& m);
// load_run_columns, analyze_json, export_csv (data_bindings.cpp)
void bind_data(pybind11::module_& m);

}  // namespace greentune::python
