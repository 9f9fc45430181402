//! Embeds the spoken-digit defaults (examples/kws: model, cochlea settings,
//! held-out clips) into the binary, so `spikefab demo` runs from anywhere.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let kws = root.join("examples/kws");
    println!("cargo:rerun-if-changed=examples/kws");
    let mut files: Vec<String> = ["kws.nir", "cochlea.txt"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // the held-out test sets: espeak-ng voices, and another synthesizer
    for set in ["test", "test_festival"] {
        files.push(format!("{set}/labels.csv"));
        if let Ok(dir) = std::fs::read_dir(kws.join(set)) {
            let mut wavs: Vec<String> = dir
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".wav"))
                .map(|n| format!("{set}/{n}"))
                .collect();
            wavs.sort();
            files.extend(wavs);
        }
    }
    let mut src = String::from(
        "/// (path inside examples/kws, bytes)\npub const KWS_FILES: &[(&str, &[u8])] = &[\n",
    );
    for f in &files {
        let full = kws.join(f);
        if full.exists() {
            let _ = writeln!(
                src,
                "    ({f:?}, include_bytes!({:?})),",
                full.display().to_string()
            );
        }
    }
    src.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("kws_embedded.rs");
    std::fs::write(out, src).expect("OUT_DIR is writable");
}
