//! The `promptfence` command: scan text, files and JSON Lines; evaluate on labelled corpora;
//! list and test rules; benchmark.

mod cli;

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
