#include "greentune/exec/task.hpp"

#include "greentune/core/error.hpp"

namespace greentune::exec {

TaskResult execute_task(const LoadedStudy& study, long long task_id, const ExecuteOptions&) {
  (void)study.task(task_id);
  throw runtime_error("execute_task: not implemented yet");
}

}  // namespace greentune::exec
