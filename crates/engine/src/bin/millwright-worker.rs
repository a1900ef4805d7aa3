//! A stand-alone engine worker, for tests and for hosts that cannot re-launch
//! their own executable. The `millwright` binary runs the same code when started
//! with its hidden worker argument.
fn main() {
    std::process::exit(millwright_engine::worker::main());
}
