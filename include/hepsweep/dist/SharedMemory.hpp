#pragma once
// Memory shared by the ranks of one node: one read-only copy of a campaign's feature table per
// node instead of one per rank (an MPI-3 shared-memory window, MPI_Comm_split_type with
// MPI_COMM_TYPE_SHARED; for a LocalCommunicator, plain memory of this process).
//
// Made collectively over a communicator: the ranks of each node write the block (its first rank,
// the filler, alone, or each rank its own disjoint part of it: nodeRank() of nodeRanks()), then
// every rank of the communicator calls publish(), after which all of them read the same bytes.
// The block must not outlive the Environment.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::dist {

class Communicator;

class SharedBlock {
 public:
  virtual ~SharedBlock() = default;
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;

  // The bytes (64-byte aligned), the same memory on every rank of this node.
  std::span<std::byte> bytes() const { return bytes_; }
  // Whether this rank fills the block (the first rank of its node).
  bool filler() const { return filler_; }
  // Ranks of the communicator on this node, which share this block, and this rank's place among
  // them (0 for the filler).
  int nodeRanks() const { return nodeRanks_; }
  int nodeRank() const { return nodeRank_; }

  // Collective over the ranks of this node: returns once every one of them called it, with what
  // each wrote before visible to all (e.g. a counter the filler set, before the ranks take from it).
  virtual void nodeBarrier() = 0;

  // Collective over the communicator the block was made on, after the ranks wrote: from then on
  // every rank sees what the ranks of its node wrote. `error` is this rank's failure to write its
  // part (empty: none); when any rank failed, every rank throws Error(category) with the message
  // of the lowest failing rank, so no rank is left waiting for data that never comes.
  virtual void publish(const std::string& error = {}, ErrorCategory category = ErrorCategory::Io) = 0;

 protected:
  SharedBlock() = default;
  std::span<std::byte> bytes_;
  bool filler_ = true;
  int nodeRanks_ = 1;
  int nodeRank_ = 0;
};

// Buffers of floats, `copies` per rank of a communicator whose ranks all share one node, that
// every rank reads and writes directly (an MPI-3 shared-memory window, each rank's part on its own
// pages). Made by Communicator::sharedSlots. A rank writes its own slots; after sync() every rank
// reads what the others wrote before it. A slot read by others must not be written again before
// they are done with it: users alternate copies between syncs.
class SharedSlots {
 public:
  virtual ~SharedSlots() = default;
  SharedSlots(const SharedSlots&) = delete;
  SharedSlots& operator=(const SharedSlots&) = delete;
  std::size_t floats() const { return floats_; }
  int copies() const { return copies_; }
  float* slot(int rank, int copy) const { return bases_[static_cast<std::size_t>(rank)] + static_cast<std::size_t>(copy) * stride_; }
  // Collective: a barrier of the communicator with the synchronisation of the shared memory.
  virtual void sync() = 0;
  // The copy the next exchange writes; kept here, with the memory, so that successive users of
  // the same slots alternate too.
  int nextCopy = 0;

 protected:
  SharedSlots() = default;
  std::vector<float*> bases_;  // per rank
  std::size_t floats_ = 0, stride_ = 0;
  int copies_ = 0;
};

// Collective over `comm`: the slots when all of comm's ranks (more than one) share one node,
// nullptr otherwise. Communicator::sharedSlots keeps them; call that instead.
std::unique_ptr<SharedSlots> allocateSlots(Communicator& comm, std::size_t floats, int copies);

// Collective over `comm`: a block of `bytes` bytes shared per node. Error(Io) naming the size when
// the node cannot provide it (e.g. a full /dev/shm).
std::unique_ptr<SharedBlock> allocateShared(Communicator& comm, std::size_t bytes);

}  // namespace hepsweep::dist
