// AtomicOutput: a file with its final name is complete, and a failed write leaves neither the
// target nor a temporary behind, whichever step fails (failures injected below).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"

namespace fs = std::filesystem;
using namespace hepsweep;

namespace {

struct Dir {
  fs::path path = fs::path(testing::TempDir()) /
                  ("hepsweep_atomic_" + std::to_string(::getpid()) + "_" +
                   testing::UnitTest::GetInstance()->current_test_info()->name());
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(path)) n.push_back(e.path().filename().string());
    return n;
  }
};

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void writeText(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

}  // namespace

// The temporary lies next to the target (a rename across file systems would not be atomic) and
// only commit() gives the target its content.
TEST(AtomicOutput, CommitRenamesTheTemporaryOverTheTarget) {
  Dir d;
  const fs::path target = d.path / "out.txt";
  writeText(target, "old");
  AtomicOutput out(target);
  EXPECT_EQ(out.temporary().parent_path(), target.parent_path());
  writeText(out.temporary(), "new");
  EXPECT_EQ(read(target), "old");
  out.commit();
  EXPECT_EQ(read(target), "new");
  EXPECT_EQ(d.names(), std::vector<std::string>{"out.txt"});
}

// Without the fsyncs (a checkpoint's commit) the target still gets its content whole by the
// rename, and nothing else is left in the directory.
TEST(AtomicOutput, ATransientCommitRenamesTheTemporaryOverTheTarget) {
  Dir d;
  const fs::path target = d.path / "checkpoint.h5";
  writeText(target, "old");
  AtomicOutput out(target, Durability::Transient);
  writeText(out.temporary(), "new");
  EXPECT_EQ(read(target), "old");
  out.commit();
  EXPECT_EQ(read(target), "new");
  EXPECT_EQ(d.names(), std::vector<std::string>{"checkpoint.h5"});
}

// An exception between creating the temporary and commit() (the writer failing halfway): the
// temporary is removed and an older target stays as it was.
TEST(AtomicOutput, AnErrorWhileWritingRemovesTheTemporaryAndKeepsTheOldTarget) {
  Dir d;
  const fs::path target = d.path / "out.txt";
  writeText(target, "old");
  EXPECT_THROW(
      {
        AtomicOutput out(target);
        writeText(out.temporary(), "half");
        ASSERT_TRUE(fs::exists(out.temporary()));
        throw std::runtime_error("injected failure");
      },
      std::runtime_error);
  EXPECT_EQ(read(target), "old");
  EXPECT_EQ(d.names(), std::vector<std::string>{"out.txt"});
}

// commit() itself failing (the rename refused: the target is a non-empty directory) is an
// Error(Io) naming the target, and the temporary is gone too.
TEST(AtomicOutput, AFailedRenameIsAnIoErrorNamingTheTargetAndRemovesTheTemporary) {
  Dir d;
  const fs::path target = d.path / "busy";
  fs::create_directories(target / "inside");
  try {
    AtomicOutput out(target);
    writeText(out.temporary(), "data");
    out.commit();
    FAIL() << "commit over a non-empty directory succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(d.names(), std::vector<std::string>{"busy"});
}

// A directory that does not exist is refused before anything is written, naming it.
TEST(AtomicOutput, AMissingDirectoryIsAnIoErrorNamingIt) {
  Dir d;
  try {
    AtomicOutput out(d.path / "missing" / "out.txt");
    FAIL() << "no error for a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find((d.path / "missing").string()), std::string::npos) << e.what();
  }
}

// writeFileAtomically: the text arrives whole; a failed write (injected: a file size limit below
// the text's size, as a full disk or a quota would fail it) is an Error(Io) naming the target and
// leaves neither the target nor the temporary.
TEST(AtomicOutput, WriteFileAtomicallyWritesTheTextOrNothing) {
  Dir d;
  const fs::path target = d.path / "t.txt";
  writeFileAtomically(target, "hello\n");
  EXPECT_EQ(read(target), "hello\n");
  const fs::path big = d.path / "big.txt";
  {
    rlimit saved{};
    getrlimit(RLIMIT_FSIZE, &saved);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = saved;
    lim.rlim_cur = 1024;
    setrlimit(RLIMIT_FSIZE, &lim);
    std::string message;
    try {
      writeFileAtomically(big, std::string(64 * 1024, 'x'));
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Io);
      message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, oldHandler);
    EXPECT_NE(message.find(big.string()), std::string::npos) << "no error naming the target: " << message;
  }
  EXPECT_EQ(d.names(), std::vector<std::string>{"t.txt"});
}
