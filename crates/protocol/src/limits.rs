//! Limits and naming rules that client and server both enforce.

use crate::ErrorCode;
use crate::ParseError;

/// Largest text frame the server accepts, in bytes. Larger frames get `frameTooLarge`.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest identity (the token's `sub`), in characters.
pub const MAX_IDENTITY_CHARS: usize = 128;

/// A room name is 1 to 64 characters of ASCII letters, digits, `-`, `_` and `.`.
pub fn validate_room(room: &str) -> Result<(), ParseError> {
    if room.is_empty() || room.chars().count() > MAX_ROOM_CHARS {
        return Err(ParseError::new(
            ErrorCode::InvalidRoom,
            format!("room name must be 1 to {MAX_ROOM_CHARS} characters"),
        ));
    }
    if let Some(bad) = room
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(ParseError::new(
            ErrorCode::InvalidRoom,
            format!("room name may hold only letters, digits, '-', '_' and '.', not {bad:?}"),
        ));
    }
    Ok(())
}

/// An identity is 1 to 128 printable ASCII characters without spaces, and without `:`
/// (the TURN username puts one between expiry and identity).
pub fn validate_identity(identity: &str) -> Result<(), ParseError> {
    let ok = !identity.is_empty()
        && identity.len() <= MAX_IDENTITY_CHARS
        && identity.chars().all(|c| c.is_ascii_graphic() && c != ':');
    if ok {
        Ok(())
    } else {
        Err(ParseError::new(
            ErrorCode::InvalidName,
            format!("identity must be 1 to {MAX_IDENTITY_CHARS} printable ASCII characters without spaces or ':'"),
        ))
    }
}

/// A display name is 1 to 64 characters, any script, no control characters, and not
/// only whitespace.
pub fn validate_name(name: &str) -> Result<(), ParseError> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ParseError::new(
            ErrorCode::InvalidName,
            format!("display name must be 1 to {MAX_NAME_CHARS} characters and not blank"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ParseError::new(
            ErrorCode::InvalidName,
            "display name may not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_accept_the_documented_charset() {
        assert!(validate_room("standup-2026_11.21").is_ok());
        assert!(validate_room(&"r".repeat(MAX_ROOM_CHARS)).is_ok());
    }

    #[test]
    fn room_names_reject_empty_long_and_foreign_characters() {
        for bad in ["", "a b", "ümlaut", "x/y", "<script>"] {
            assert_eq!(
                validate_room(bad).unwrap_err().code,
                ErrorCode::InvalidRoom,
                "{bad:?}"
            );
        }
        assert!(validate_room(&"r".repeat(MAX_ROOM_CHARS + 1)).is_err());
    }

    #[test]
    fn identities_are_printable_ascii_without_colons() {
        assert!(validate_identity("user-42@example").is_ok());
        for bad in ["", "a b", "a:b", "é", "x\n"] {
            assert!(validate_identity(bad).is_err(), "{bad:?}");
        }
        assert!(validate_identity(&"i".repeat(MAX_IDENTITY_CHARS + 1)).is_err());
    }

    #[test]
    fn display_names_accept_any_script_and_reject_blank_or_control() {
        assert!(validate_name("Zoë 山田").is_ok());
        for bad in ["", "   ", "tab\there", "nl\n"] {
            assert_eq!(
                validate_name(bad).unwrap_err().code,
                ErrorCode::InvalidName,
                "{bad:?}"
            );
        }
        assert!(validate_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    }
}
