// greentune._core: the C++ libraries as seen from Python. The public API (Meter, report,
// load_runs, analyze) is written in Python on top of these few functions (python/greentune/).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "greentune/core/error.hpp"

namespace py = pybind11;

namespace greentune::python {

Buffer Buffer::borrowing(const double* p, std::size_t n, py::object owner) {
  Buffer b;
  b.data_ = p;
  b.size_ = static_cast<py::ssize_t>(n);
  b.itemsize_ = static_cast<py::ssize_t>(sizeof(double));
  b.format_ = py::format_descriptor<double>::format();
  b.owner_ = std::move(owner);
  b.readonly_ = true;
  return b;
}

py::buffer_info Buffer::info() {
  static double empty = 0;  // an empty buffer still points somewhere
  void* p = size_ > 0 ? const_cast<void*>(data_) : &empty;
  return py::buffer_info(p, itemsize_, format_, 1, {size_}, {itemsize_}, readonly_);
}

void bind_buffer(py::module_& m) {
  py::class_<Buffer>(m, "_Buffer", py::buffer_protocol(),
                     "numbers for numpy.asarray (the buffer protocol: the same to numpy 1 and 2)")
      .def_buffer(&Buffer::info);
}

}  // namespace greentune::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "greentune's C++ core (energy meters, study database, analysis); use the greentune package";
  // Errors: bad arguments become ValueError, missing files OSError, an unusable meter
  // greentune.MeterError, the rest RuntimeError; the message is greentune's one line.
  static py::exception<greentune::Error> meter_error(m, "MeterError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const greentune::Error& e) {
      switch (e.kind()) {
        case greentune::ErrorKind::usage:
        case greentune::ErrorKind::input:
          PyErr_SetString(PyExc_ValueError, e.what());
          return;
        case greentune::ErrorKind::io:
        case greentune::ErrorKind::data:
          PyErr_SetString(PyExc_OSError, e.what());
          return;
        case greentune::ErrorKind::meter:
          meter_error(e.what());
          return;
        case greentune::ErrorKind::runtime:
          PyErr_SetString(PyExc_RuntimeError, e.what());
          return;
      }
    }
  });
  greentune::python::bind_buffer(m);
  greentune::python::bind_meter(m);
  greentune::python::bind_data(m);
}
