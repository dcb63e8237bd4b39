#include <exception>
#include <iostream>

#include "app/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"maac: model-augmented actor-critic (C++20 / CUDA)", "maac"};
  app.require_subcommand(1);
  maac::app::add_train_commands(app);
  maac::app::add_gradcheck_commands(app);
  maac::app::add_env_commands(app);
  maac::app::add_aggregate_command(app);
  maac::app::add_sweep_command(app);
  maac::app::add_video_command(app);
  auto* experiment = app.add_subcommand("experiment", "the paper's experiments (docs/experiments.md)");
  experiment->require_subcommand(1);
  maac::app::add_experiment_ablations(*experiment);
  maac::app::add_experiment_gradient_error(*experiment);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "maac: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
