#pragma once
// Batches prepared ahead of the training loop in worker threads, as PyTorch's DataLoader
// workers do: a bounded queue (at most `depth` batches prepared and not yet taken), batches
// handed out in index order. `make(i)` must depend on i only (derive any randomness from a
// seed and i, see batch_rng), so the batches are the same for any number of workers;
// workers = 0 prepares each batch on the calling thread when it is asked for.
//
//   BatchPrefetcher<Batch> batches(steps, workers, depth, [&](int64_t i) { return make(i); });
//   for (int64_t i = 0; i < steps; ++i) Batch b = batches.next();
//
// An exception thrown by `make` is rethrown by the next() that asks for that batch; the
// destructor stops and joins the workers (batches not taken are dropped).
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace greentune::dl {

// A random engine for batch `index` of `epoch` under `seed`: the same stream whatever thread
// prepares the batch (splitmix64 of the three values).
std::mt19937_64 batch_rng(uint64_t seed, int64_t epoch, int64_t index);

// Worker threads used for data loading: `requested` when >= 0 (0: on the training thread),
// else (-1, the default) 2, as upstream's Person_reID train.py (num_workers=2).
int data_workers(int requested);

template <typename Batch>
class BatchPrefetcher {
 public:
  BatchPrefetcher(int64_t count, int workers, int64_t depth, std::function<Batch(int64_t)> make)
      : count_(count), depth_(depth < 1 ? 1 : depth), make_(std::move(make)) {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { work(); });
  }
  ~BatchPrefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
  }
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The next batch in index order; blocks until it is ready.
  Batch next() {
    if (taken_ >= count_) throw std::out_of_range("BatchPrefetcher: all batches were taken");
    if (threads_.empty()) return make_(taken_++);
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return ready_.count(taken_) > 0; });
    auto node = ready_.extract(taken_);
    ++taken_;
    lock.unlock();
    changed_.notify_all();
    Slot& slot = node.mapped();
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.batch);
  }

 private:
  struct Slot {
    Batch batch{};
    std::exception_ptr error;
  };

  void work() {
    for (;;) {
      int64_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stop_ || (assigned_ < count_ && assigned_ < taken_ + depth_); });
        if (stop_) return;
        index = assigned_++;
      }
      Slot slot;
      try {
        slot.batch = make_(index);
      } catch (...) {
        slot.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(index, std::move(slot));
      }
      changed_.notify_all();
    }
  }

  const int64_t count_;
  const int64_t depth_;
  std::function<Batch(int64_t)> make_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, Slot> ready_;
  int64_t assigned_ = 0;  // next index a worker takes (guarded by mutex_)
  int64_t taken_ = 0;     // next index next() returns
  bool stop_ = false;
};

}  // namespace greentune::dl
