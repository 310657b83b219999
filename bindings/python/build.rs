//! For a Windows target: writes the import library of python3.dll (the stable ABI) into
//! `PYO3_CROSS_LIB_DIR` and links against it, so that the wheel cross-builds with
//! mingw and no Windows Python installed. Nothing to do for other targets.

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_CROSS_LIB_DIR");
    let windows = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows");
    if let (true, Some(dir)) = (windows, std::env::var_os("PYO3_CROSS_LIB_DIR")) {
        let arch = std::env::var("CARGO_CFG_TARGET_ARCH").expect("set by cargo");
        let env = std::env::var("CARGO_CFG_TARGET_ENV").expect("set by cargo");
        python3_dll_a::generate_implib_for_target(std::path::Path::new(&dir), &arch, &env)
            .expect("writing the python3.dll import library");
        // maturin's pyo3 configuration for a cross-build names the directory but no library.
        println!("cargo:rustc-link-search=native={}", dir.to_string_lossy());
        println!("cargo:rustc-link-lib=python3");
    }
}
