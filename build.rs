//! The Fluent catalogues in `locales/` are embedded at compile time; a new language's file must
//! rebuild the crate even though no Rust file changed.

fn main() {
    println!("cargo:rerun-if-changed=locales");
}
