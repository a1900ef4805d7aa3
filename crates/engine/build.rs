//! llama.cpp is built as shared libraries (its CPU kernels are modules chosen at
//! run time). llama-cpp-sys-2 leaves only dangling `.so` symlinks beside the
//! binaries, so every binary gets an rpath to the real build output, and that
//! path is passed on (as `DEP_MILLWRIGHT_ENGINE_LIB_DIR`) to packages that link
//! this crate into binaries of their own.
fn main() {
    let backends = std::env::var("DEP_LLAMA_BACKENDS_DIR")
        .expect("llama-cpp-sys-2 with the dynamic-backends feature reports its backends dir");
    let out = std::path::Path::new(&backends)
        .parent()
        .expect("backends dir has a parent");
    let lib = ["lib64", "lib"]
        .iter()
        .map(|d| out.join(d))
        .find(|d| d.is_dir())
        .expect("llama.cpp build has a lib dir");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    println!("cargo:lib_dir={}", lib.display());
}
