#pragma once
// Private to src/search: running an LBFGSpp minimisation (the GP fit and the acquisition's local
// refinement) where giving up part-way is an expected outcome.
#include <stdexcept>
#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::search {

// Runs `minimise` (a call of LBFGSpp's LBFGSBSolver::minimize). Returns false when LBFGSpp gave
// up: its line search could not progress (std::runtime_error) or found no descent direction
// (std::logic_error), which happens on flat or noisy objectives; the caller keeps the best point
// it saw. hepsweep's own errors propagate unchanged (an Error is a std::runtime_error and must not
// be mistaken for a line-search failure), and std::invalid_argument, which LBFGSpp throws for a
// bad parameter, is a bug here: Error(Internal).
template <class F>
bool minimiseOrGiveUp(F&& minimise) {
  try {
    minimise();
    return true;
  } catch (const Error&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw Error(ErrorCategory::Internal, std::string("L-BFGS-B (LBFGSpp) refused its parameters: ") + e.what());
  } catch (const std::runtime_error&) {
    return false;
  } catch (const std::logic_error&) {
    return false;
  }
}

}  // namespace hepsweep::search
