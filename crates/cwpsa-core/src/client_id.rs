//! The `clientId` header's shape, shared by the client (which checks its setting) and the
//! sandbox (which checks requests).

/// True for a UUID written as 8-4-4-4-12 hex digits, the form ConnectWise issues client ids in.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_uuid;

    #[test]
    fn accepts_only_the_8_4_4_4_12_hex_form() {
        assert!(is_uuid("00000000-0000-4000-8000-000000000000"));
        assert!(is_uuid("ABCDEF01-2345-6789-abcd-ef0123456789"));
        for bad in [
            "",
            "x",
            "00000000-0000-4000-8000-00000000000",
            "0000000g-0000-4000-8000-000000000000",
            "00000000000040008000000000000000",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }
}
