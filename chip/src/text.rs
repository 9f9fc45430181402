//! Strings that come from files — names of chips, networks, layers, sources.
//!
//! They end up in generated Verilog and Markdown, in `.coe`/`.mif` headers and
//! on the user's terminal, so they are checked where they enter: a name holds
//! no control characters (a newline would end a Verilog `//` comment and turn
//! the rest into code; an escape sequence would drive the terminal) and no
//! bidirectional-override characters (which make text read differently from
//! what it is), and it has a bounded length. Generators escape as well
//! (defence in depth), but nothing unchecked gets that far.

/// Longest name (network, layer, input, arch) in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest free text (an arch's description, a program's source) in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Characters no name or text from a file may hold.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{061C}'       // directional marks
            | '\u{202A}'..='\u{202E}'                 // embeddings and overrides
            | '\u{2066}'..='\u{2069}'                 // isolates
            | '\u{2028}' | '\u{2029}'                 // line and paragraph separators
            | '\u{FEFF}')
}

/// Checks a name: non-empty, at most [`MAX_NAME_CHARS`], no forbidden characters.
/// The error names `field` and shows the value escaped.
pub fn check_name(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field} is empty"));
    }
    check(field, value, MAX_NAME_CHARS)
}

/// Checks free text (may be empty): at most `max_chars`, no forbidden characters.
pub fn check(field: &str, value: &str, max_chars: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max_chars {
        return Err(format!(
            "{field} has {n} characters, at most {max_chars} are allowed"
        ));
    }
    if let Some((i, c)) = value.char_indices().find(|&(_, c)| is_forbidden(c)) {
        return Err(format!(
            "{field} \"{}\" holds the control character U+{:04X} at byte {i}; names and texts may not",
            escape(value),
            c as u32
        ));
    }
    Ok(())
}

/// The string with every forbidden character written as `\u{..}`, for messages
/// about strings that failed the check (so that the message is safe to print).
pub fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars().take(MAX_NAME_CHARS) {
        if is_forbidden(c) {
            s.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            s.push(c);
        }
    }
    if value.chars().count() > MAX_NAME_CHARS {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_newlines_escapes_or_overrides_are_refused() {
        for bad in [
            "net\n$system(\"rm -rf ~\");",
            "a\r",
            "\u{1b}[31mred",
            "evil\u{202E}txt.v",
            "x\u{2028}y",
            "nul\0",
        ] {
            let e = check_name("network name", bad).unwrap_err();
            assert!(e.contains("network name") && e.contains("U+"), "{e}");
            assert!(
                !e.chars().any(is_forbidden),
                "the message itself is safe: {e:?}"
            );
        }
        assert!(check_name("x", "").is_err());
        assert!(check_name("x", &"a".repeat(MAX_NAME_CHARS + 1)).is_err());
        for good in ["kws", "layer 1.lif", "Ünïcode ok — 数字", "a/b:c"] {
            check_name("x", good).unwrap();
        }
    }
}
