//! Generates `include/segmentlog.h` with cbindgen and gives the shared library its soname.
//!
//! The header is committed: this script rewrites it only when the generated text differs, and
//! `make test-ffi` fails if the committed header is not what this script generates (drift).

use std::path::PathBuf;

fn main() {
    // The name C programs record for the library: a future incompatible ABI gets
    // libsegmentlog.so.1 (ELF soname) / libsegmentlog.1.dylib (Mach-O install name). A Windows
    // DLL is found by its file name.
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libsegmentlog.0.dylib")
        }
        Ok("windows") => {}
        _ => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsegmentlog.so.0"),
    }
    // No version script of our own: for a cdylib rustc already passes one that exports only
    // the `#[no_mangle] extern "C"` functions (all named segmentlog_*) and hides everything
    // else, and ld refuses a second one. `make test-ffi` checks the exported symbols with nm.

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let header = crate_dir.join("../include/segmentlog.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // A hand edit of the header is undone by the next build (and caught by the drift check).
    println!("cargo:rerun-if-changed={}", header.display());

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header from ffi/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    if std::fs::read(&header).ok().as_deref() != Some(generated.as_slice()) {
        std::fs::write(&header, &generated).expect("include/segmentlog.h is writable");
    }
}
