//! The `promptfence` command: scan text, files and JSON Lines; evaluate on labelled corpora;
//! list and test rules; benchmark.

// The command line is native only (files, processes, serde_json); building the crate's targets
// for wasm32, as the wasm tests do, gets an empty binary.
#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::run(&args) {
        Ok(code) => std::process::exit(code),
        Err(message) => {
            eprintln!("promptfence: {message}");
            std::process::exit(2);
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
