#include "cli/context.hpp"

int main(int argc, char** argv) {
  return openclaw::cli::run(argc, argv);
}
