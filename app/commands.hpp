// The `maac` program is thin: each command group registers its subcommands here and
// main() turns exceptions into a message and a non-zero status (DESIGN decision 8).
#pragma once
#include <CLI/CLI.hpp>

namespace maac::app {

// Each adds its subcommands to the program; defined in its own *_commands.cpp.
void add_gradcheck_commands(CLI::App& app);
void add_env_commands(CLI::App& app);
void add_train_commands(CLI::App& app);
void add_aggregate_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_video_command(CLI::App& app);
// Subcommands of `maac experiment` (the parent is made once in main.cpp).
void add_experiment_ablations(CLI::App& experiment);
void add_experiment_gradient_error(CLI::App& experiment);

}  // namespace maac::app
