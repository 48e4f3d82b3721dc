//! Records the cargo profile this crate is built in, so `system_version` can tell an
//! operator (and `truffle bench`) whether a node runs an optimised build.

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "?".to_owned());
    // PROFILE is only ever `debug` or `release` (custom profiles report what they
    // inherit from); the opt-level and debug-info settings tell the rest.
    let mut build = format!(
        "{}, opt-level {}, debug info {}",
        var("PROFILE"),
        var("OPT_LEVEL"),
        var("DEBUG")
    );
    if std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some() {
        build.push_str(", debug assertions");
    }
    println!("cargo:rustc-env=TRUFFLE_BUILD_PROFILE={build}");
    println!("cargo:rerun-if-changed=build.rs");
}
