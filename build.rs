//! Embeds every `seeds/*.md` file in the binary, so a fresh start anywhere
//! can load the seed incidents.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=seeds");
    let mut files: Vec<_> = std::fs::read_dir("seeds")
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "md"));
    files.sort();
    let mut code = String::from("&[\n");
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let absolute = std::fs::canonicalize(&path).expect("seed file path");
        writeln!(code, "    ({name:?}, include_str!({:?})),", absolute.display().to_string()).unwrap();
    }
    code.push(']');
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("seeds.rs");
    std::fs::write(out, code).expect("write seeds.rs");
}
