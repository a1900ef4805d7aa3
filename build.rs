//! Lets the `millwright` binary find llama.cpp's shared libraries (see crates/engine/build.rs).
fn main() {
    if let Ok(lib) = std::env::var("DEP_MILLWRIGHT_ENGINE_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
}
