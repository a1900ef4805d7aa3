//! The extraction worker on its own, for tests and for tools that embed the
//! knowledge base without the `millwright` executable.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(millwright_knowledge::isolate::worker_main(
        millwright_knowledge::isolate::worker_memory_arg(&args),
    ));
}
