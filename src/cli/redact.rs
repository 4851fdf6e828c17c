//! `promptfence redact`: masks the personal data and secrets of a text, keeping the originals
//! in a vault file; `--unmask` restores them in a text (a model's answer) from the vault.

use super::Args;
use promptfence::{RedactMode, Vault};

pub fn run(args: &Args) -> Result<i32, String> {
    let mut config = args.config.clone();
    if let Some(mode) = args.value("--mode") {
        config.redaction.default_mode = RedactMode::parse(mode)
            .ok_or_else(|| format!("--mode takes mask, hash, remove or leave, not `{mode}`"))?;
    }
    let engine = promptfence::Engine::new(config).map_err(|e| e.to_string())?;
    let text = super::input_text(args)?;
    let vault_path = args.value("--vault");
    let mut vault = match vault_path {
        Some(p) if std::path::Path::new(p).exists() => {
            let json = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
            Vault::from_json(&json).map_err(|e| format!("{p}: {e}"))?
        }
        _ => Vault::new(),
    };
    if args.flag("--unmask") {
        if vault_path.is_none() {
            return Err("--unmask needs --vault FILE".to_owned());
        }
        print!("{}", vault.unmask(&text));
        return Ok(0);
    }
    let redaction = engine
        .redact(&text, &mut vault)
        .map_err(|e| e.to_string())?;
    print!("{}", redaction.text);
    if let Some(p) = vault_path {
        std::fs::write(p, vault.to_json()).map_err(|e| format!("cannot write {p}: {e}"))?;
    }
    Ok(0)
}
