// BatchPrefetcher: batches in index order, the same for any number of workers, a bounded
// queue, errors passed to the consumer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "greentune/torch/prefetch.hpp"

using greentune::dl::batch_rng;
using greentune::dl::BatchPrefetcher;

namespace {

// A "batch": draws from the batch's own random stream, made after a pause that varies by index
// so that workers finish out of order.
std::vector<uint64_t> make(int64_t i) {
  std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 5 * 300));
  auto rng = batch_rng(42, 3, i);
  return {rng(), rng(), static_cast<uint64_t>(i)};
}

}  // namespace

TEST(Prefetch, SameBatchesInOrderForAnyWorkerCount) {
  std::vector<std::vector<uint64_t>> reference;
  {
    BatchPrefetcher<std::vector<uint64_t>> p(40, 0, 1, make);
    for (int i = 0; i < 40; ++i) reference.push_back(p.next());
  }
  for (int workers : {1, 2, 5}) {
    BatchPrefetcher<std::vector<uint64_t>> p(40, workers, 4, make);
    for (int i = 0; i < 40; ++i) EXPECT_EQ(p.next(), reference[size_t(i)]) << workers << " workers, batch " << i;
    EXPECT_THROW(p.next(), std::out_of_range);
  }
  // Streams differ between batches, epochs and seeds.
  EXPECT_NE(batch_rng(42, 3, 0)(), batch_rng(42, 3, 1)());
  EXPECT_NE(batch_rng(42, 3, 0)(), batch_rng(42, 4, 0)());
  EXPECT_NE(batch_rng(42, 3, 0)(), batch_rng(43, 3, 0)());
}

TEST(Prefetch, QueueIsBounded) {
  std::atomic<int64_t> made{0};
  const int64_t depth = 3;
  BatchPrefetcher<int64_t> p(30, 4, depth, [&](int64_t i) {
    ++made;
    return i;
  });
  for (int64_t i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow consumer
    EXPECT_LE(made.load(), i + depth);                           // never more than `depth` ahead
    EXPECT_EQ(p.next(), i);
  }
}

TEST(Prefetch, ErrorReachesTheConsumerAtItsBatch) {
  for (int workers : {0, 2}) {
    BatchPrefetcher<int64_t> p(6, workers, 2, [](int64_t i) -> int64_t {
      if (i == 2) throw std::runtime_error("corrupt JPEG 'x.jpg'");
      return i;
    });
    EXPECT_EQ(p.next(), 0);
    EXPECT_EQ(p.next(), 1);
    EXPECT_THROW(p.next(), std::runtime_error);
  }  // destroyed with batches not taken: workers stop and join
}
