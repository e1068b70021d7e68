//! JSON nesting measured before parsing: a hostile document nested a
//! hundred thousand levels deep costs one linear pass and is refused, where
//! a recursive parser would exhaust its stack. The API and the importer use
//! the same limit.

/// How deeply a JSON document may nest arrays and objects.
pub const MAX_JSON_DEPTH: usize = 32;

/// Whether `bytes` nest arrays and objects deeper than `MAX_JSON_DEPTH`,
/// scanning once without recursion.
pub fn too_deep(bytes: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}
