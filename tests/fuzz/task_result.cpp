// Fuzz target: a task result file (study/task_result.hpp), DIR/results/task-<N>.json, as the
// local executor and `greentune collect` read it. Only greentune's errors may escape, and a
// result that was read must be written (to_json) in a form that reads back.
#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/study/task_result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string file = fuzz::write_scratch("task-1.json", data, size);
  study::TaskResult r;
  try {
    r = study::read_task_result(file);
  } catch (const Error&) {
    return 0;
  }
  try {
    study::TaskResult back = study::task_result_from_json(study::to_json(r));
    if (back.runs.size() != r.runs.size() || back.task_id != r.task_id)
      fuzz::violated("to_json / task_result_from_json round trip changed the result");
  } catch (const Error& e) {
    fuzz::violated("to_json of a read task result does not read back", e.what());
  }
  return 0;
}
