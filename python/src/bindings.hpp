#pragma once
#include <pybind11/pybind11.h>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace greentune::python {

// A one-dimensional array of numbers handed to Python through the buffer protocol (PEP 3118),
// which the Python side turns into a numpy array with numpy.asarray (no copy). The module does
// not use pybind11's numpy API: the pybind11 Debian 12 carries (2.10) compiles in numpy 1's
// layout of numpy's C structures, and numpy 2 moved PyArray_Descr's elsize, so the arrays it
// made under numpy 2 had stride 0 (every row showed the first row's value; issue 22). The
// buffer protocol is CPython's own stable interface and means the same to every numpy.
class Buffer {
 public:
  // Owns its values; writable from Python.
  template <class T>
  static Buffer owning(std::vector<T> values, std::string format) {
    auto storage = std::make_shared<std::vector<T>>(std::move(values));
    Buffer b;
    b.data_ = storage->data();
    b.size_ = static_cast<pybind11::ssize_t>(storage->size());
    b.itemsize_ = static_cast<pybind11::ssize_t>(sizeof(T));
    b.format_ = std::move(format);
    b.storage_ = std::move(storage);
    return b;
  }
  // n doubles at p that `owner` keeps alive (held as long as any view of this buffer);
  // read-only from Python.
  static Buffer borrowing(const double* p, std::size_t n, pybind11::object owner);

  pybind11::buffer_info info();

 private:
  std::shared_ptr<void> storage_;
  pybind11::object owner_;
  const void* data_ = nullptr;
  pybind11::ssize_t size_ = 0;
  pybind11::ssize_t itemsize_ = 0;
  std::string format_;
  bool readonly_ = false;
};

// _Buffer (module.cpp)
void bind_buffer(pybind11::module_& m);
// _WindowMeter, meters_json (meter_bindings.cpp)
void bind_meter(pybind11::module_& m);
// load_run_columns, analyze_json, export_csv (data_bindings.cpp)
void bind_data(pybind11::module_& m);

}  // namespace greentune::python
